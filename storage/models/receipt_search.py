"""What the receipts' registry is searched and filtered by (the Mini App's list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.models.fiscal import FiscalState
from storage.models.receipts import Channel, ReceiptStatus


@dataclass(frozen=True)
class ReceiptSearch:
    """A page of one shop's receipts, newest (highest id) first.

    The filters (cashier, statuses, fiscal states, channels, created in [created_from,
    created_until), a refund in flight when `refunding`) all hold; the search terms (`text`
    anywhere in the contact, the description or a goods line's name, the receipt's
    `number`, its `amount` in kopecks) match when ANY of those given matches. Empty tuples
    and None mean "no such condition". `before_id` is the keyset cursor: only receipts with
    a lower id (the last id of the previous page)."""

    shop_id: int
    limit: int = 20
    before_id: int | None = None
    cashier_id: int | None = None
    statuses: tuple[ReceiptStatus, ...] = ()
    fiscal_states: tuple[FiscalState, ...] = ()
    channels: tuple[Channel, ...] = ()
    created_from: datetime | None = None
    created_until: datetime | None = None
    text: str | None = None
    number: int | None = None
    amount: int | None = None
    refunding: bool = False  # only receipts with a refund in flight (reserved, sent, unknown)

    @property
    def has_terms(self) -> bool:
        return bool(self.text) or self.number is not None or self.amount is not None


def like_pattern(text: str) -> str:
    """`text` anywhere, with LIKE's own wildcards taken literally (escape character `\\`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
