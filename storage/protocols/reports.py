from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol

from storage.models.receipts import ReceiptStatus
from storage.models.reports import ExportRow, LineExportRow, ReportGroup, ReportRow, TopItem


class ReportRepository(Protocol):
    """A shop's receipts over a period, streamed for reports and exports: rows are read in
    batches of `batch_size` (keyset pagination), so a period of 100,000 receipts never sits
    in memory. `start` is included, `end` excluded; `cashier_id` keeps one cashier's."""

    def report_rows(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        *,
        cashier_id: int | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[ReportRow]:
        """Every receipt created or paid in [start, end) (a superset of what a report
        counts: services/reports/totals.py decides which day counts each), by id."""
        ...

    def export_rows(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        *,
        cashier_id: int | None = None,
        statuses: Sequence[ReceiptStatus] | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[ExportRow]:
        """Every receipt created in [start, end) (in these statuses, when given), by number;
        the cashier's name as a member of the shop, or their user id once they left it."""
        ...

    async def top_items(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        *,
        cashier_id: int | None = None,
        limit: int = 10,
    ) -> list[TopItem]:
        """The catalogue items most sold in receipts paid in [start, end) and not refunded
        in full: the goods lines of an item (not amount-only lines) under one code, name and
        unit, less what refunds gave back; by
        their sum, then quantity, then name; at most `limit`."""
        ...

    def export_line_rows(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        *,
        cashier_id: int | None = None,
        statuses: Sequence[ReceiptStatus] | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[LineExportRow]:
        """The goods lines of every receipt created in [start, end) (in these statuses,
        when given), by number and position; a receipt without stored lines is one row
        named by its purpose, quantity 1, at its amount."""
        ...

    async def recent_items(self, shop_id: int, cashier_id: int, limit: int) -> list[int]:
        """The catalogue items in the cashier's last 200 receipts' lines (any status), the
        most recently sold first; at most `limit` ids."""

    async def report_groups(
        self, shop_id: int, start: datetime, end: datetime, *, cashier_id: int | None = None
    ) -> list[ReportGroup]:
        """What report_rows gives, summed in the database: the receipts a report counts in
        [start, end) (by `paid_at` when the money came in, else `created_at`: see
        services/reports/totals.py), in groups of alike ones (ReportGroup)."""
        ...
