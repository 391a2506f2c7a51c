from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol

from storage.models.receipts import ReceiptStatus
from storage.models.reports import ExportRow, ReportGroup, ReportRow


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

    async def report_groups(
        self, shop_id: int, start: datetime, end: datetime, *, cashier_id: int | None = None
    ) -> list[ReportGroup]:
        """What report_rows gives, summed in the database: the receipts a report counts in
        [start, end) (by `paid_at` when the money came in, else `created_at`: see
        services/reports/totals.py), in groups of alike ones (ReportGroup)."""
        ...
