from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from storage.models.receipts import Receipt
from storage.models.reconcile import ReconcileRecord


class ReconcileRepository(Protocol):
    """What the daily reconciliation (services/reconcile/) reads and keeps."""

    async def day_receipts(
        self, shop_id: int, start: datetime, end: datetime, *, limit: int = 10_000
    ) -> list[Receipt]:
        """The shop's receipts paid in [start, end) or registered (fiscal_date) in it, by id."""
        ...

    async def refunded_sales(self, shop_id: int, *, limit: int = 10_000) -> list[Receipt]:
        """The shop's registered receipts with money given back, newest first (their return
        receipts relate to their sales: the Z report's returns are told from a till's)."""
        ...

    async def shops_with_keys(self) -> list[int]:
        """The shops that have LiqPay keys (the ones the daily check covers), by id."""
        ...

    async def save(self, shop_id: int, day: date, result: dict[str, Any], now: datetime) -> None:
        """Keep `result` as the day's last reconciliation (replacing an earlier one)."""
        ...

    async def get(self, shop_id: int, day: date) -> ReconcileRecord | None:
        """The day's last reconciliation, if any."""
        ...
