"""LiqPay's payments archive (action `reports`): the merchant's payments over a date range.

Documented request: `date_from`, `date_to` (ms since the epoch, UTC), `resp_format`
(`json` by default). Documented answer: `{"result": ..., "data": [payment, ...]}`, each row
with the fields of a `status` answer (`order_id`, `payment_id`, `action`, `status`, `amount`,
`currency`, `create_date`, `end_date`, ...). Not documented: whether a refund gets a row of
its own, and whether a row carries `refund_amount`; a row is read strictly where it matters
(the order, the status, the amount) and any refund activity (a `refund` action, a `reversed`
status, a `refund_amount`) is only a hint: the caller asks `status` for that order.

A row of an odd shape is skipped, logged (its position and the field, never a value) and
counted (`Archive.unreadable`), so one row does not make the whole day unread; an answer
whose `data` is no list of rows is still MalformedReport.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.liqpay.answers import MalformedReport, PaymentReport, payload_refunded_kopecks
from services.liqpay.statuses import PaymentState, payment_state

log = logging.getLogger(__name__)

MAX_ROWS = 100_000  # far above one shop's day; an answer beyond it is not read as sane


@dataclass(frozen=True)
class ArchiveRow:
    """One row of the archive. `amount` in kopecks (None when the row has none)."""

    order_id: str
    action: str | None
    status: str | None
    amount: int | None
    currency: str | None
    payment_id: str | None
    ended_at: datetime | None
    refund_amount: int  # the row's `refund_amount` (0 when none)

    @property
    def is_refund(self) -> bool:
        """A row of a refund, or of a payment with money given back: worth a `status`."""
        return (
            self.action == "refund"
            or payment_state(self.status) is PaymentState.REFUNDED
            or self.refund_amount > 0
        )

    @property
    def money_taken(self) -> bool:
        """A payment row whose money the shop got (refunded later or not)."""
        if self.action == "refund":
            return False
        return payment_state(self.status) in (PaymentState.PAID, PaymentState.REFUNDED)


def ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)


@dataclass(frozen=True)
class Archive:
    """The rows of an answer read, and how many rows LiqPay listed that could not be."""

    rows: list[ArchiveRow] = field(default_factory=list)
    unreadable: int = 0


def parse_archive(answer: dict[str, Any]) -> Archive:
    """The rows of a `reports` answer; MalformedReport (a ValueError) names what is wrong
    with the answer as a whole. A row that can't be read is skipped and counted."""
    data = answer.get("data")
    if data is None and answer.get("result") in ("ok", "success"):
        return Archive()
    if not isinstance(data, list) or len(data) > MAX_ROWS:
        raise MalformedReport("data")
    rows: list[ArchiveRow] = []
    unreadable = 0
    for position, item in enumerate(data):
        try:
            rows.append(_row(item))
        except MalformedReport as exc:
            unreadable += 1
            log.warning("LiqPay's archive: row %d skipped, %r unreadable", position, exc.field)
    return Archive(rows, unreadable)


def _row(item: object) -> ArchiveRow:
    if not isinstance(item, dict):
        raise MalformedReport("data")
    order_id = item.get("order_id")
    if not isinstance(order_id, str | int) or isinstance(order_id, bool) or not str(order_id):
        raise MalformedReport("order_id")
    action = item.get("action")
    report = PaymentReport.from_payload({k: v for k, v in item.items() if k != "refund_amount"})
    try:
        refunded = payload_refunded_kopecks(item)
    except ValueError:
        raise MalformedReport("refund_amount") from None
    return ArchiveRow(
        order_id=str(order_id),
        action=action if isinstance(action, str) else None,
        status=report.status,
        amount=report.amount,
        currency=report.currency,
        payment_id=report.payment_id,
        ended_at=report.paid_at,
        refund_amount=refunded,
    )
