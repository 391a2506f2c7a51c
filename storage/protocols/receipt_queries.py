"""Receipts read in lists, pages and totals: the read side of the receipts aggregate, apart
from ReceiptRepository, which creates and moves them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from storage.models.fiscal import FiscalState, FiscalTotals
from storage.models.receipt_search import ReceiptSearch
from storage.models.receipts import CurrencyTotal, Receipt, ReceiptEvent, ReceiptStatus


class ReceiptQueries(Protocol):
    """Receipts in lists, pages and totals, and a receipt's events (no writes)."""

    async def list_by_status(
        self,
        shop_id: int,
        statuses: Sequence[ReceiptStatus],
        *,
        cashier_id: int | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[list[Receipt], int]:
        """A page of the shop's receipts in these statuses (of one cashier when given),
        newest (highest id) first, and how many there are in all."""
        ...

    async def recent_with_amount(
        self,
        shop_id: int,
        amount: int,
        currency: str,
        *,
        statuses: Sequence[ReceiptStatus],
        created_since: datetime,
        expires_after: datetime,
        limit: int = 50,
    ) -> list[Receipt]:
        """The shop's receipts of exactly this amount and currency, in these statuses,
        created at or after `created_since` and expiring after `expires_after`, newest
        (highest id) first, at most `limit`: of every cashier and every contact."""
        ...

    async def totals(
        self,
        shop_id: int,
        statuses: Sequence[ReceiptStatus],
        *,
        cashier_id: int | None = None,
        paid_from: datetime | None = None,
        paid_until: datetime | None = None,
        expires_after: datetime | None = None,
    ) -> list[CurrencyTotal]:
        """How many of the shop's receipts are in these statuses and their sum, one total per
        currency (by currency name; none for a currency without receipts). Only those of one
        cashier, paid in [paid_from, paid_until), expiring after `expires_after`, when given."""
        ...

    async def events(self, receipt_id: int) -> list[ReceiptEvent]:
        """Oldest first."""
        ...

    async def list_by_fiscal_state(
        self,
        shop_id: int,
        states: Sequence[FiscalState],
        *,
        statuses: Sequence[ReceiptStatus],
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[list[Receipt], int]:
        """A page of the shop's receipts in one of these payment `statuses` whose fiscal
        state is one of `states`, newest first, and how many there are in all."""
        ...

    async def fiscal_totals(self, shop_id: int, since: datetime, until: datetime) -> FiscalTotals:
        """The shop's receipts REGISTERED with a fiscal date in [since, until)."""
        ...

    async def search(self, query: ReceiptSearch) -> list[Receipt]:
        """A page of the registry: `query`'s filters and search terms (models/receipt_search.py),
        newest (highest id) first, below its `before_id` cursor when given."""
        ...
