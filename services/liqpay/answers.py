"""What LiqPay said about one order, read strictly: a field of the wrong type or out of any
sane range is a ValueError naming the field, never an exception from deeper down."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.core.money import from_wire
from services.liqpay.statuses import PaymentState, payment_state

MAX_REPORTED_KOPECKS = 10**15  # far above any payment, far below SQLite's 64-bit INTEGER
MAX_TIMESTAMP_MS = 253_402_300_799_999  # 9999-12-31 23:59:59.999 UTC, datetime's limit
MAX_TEXT = 255


class LiqPayAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")

    result: str | None = None
    status: str | None = None
    err_code: str | None = None
    err_description: str | None = None


class InvoiceAnswer(LiqPayAnswer):
    href: str | None = None
    id: int | str | None = None
    token: str | None = None
    order_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None


class CancelAnswer(LiqPayAnswer):
    invoice_id: int | str | None = None


class StatusAnswer(LiqPayAnswer):
    order_id: str | None = None
    payment_id: int | str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    sender_card_mask2: str | None = None
    sender_card_bank: str | None = None
    sender_card_type: str | None = None
    rrn_debit: int | str | None = None
    authcode_debit: int | str | None = None
    paytype: str | None = None
    create_date: int | None = None
    end_date: int | None = None

    refund_amount: Decimal | None = None  # cumulative refunded sum, after a refund
    refund_date_last: int | str | None = None

    @property
    def paid_at(self) -> datetime | None:
        stamp = self.end_date or self.create_date
        return datetime.fromtimestamp(stamp / 1000, UTC) if stamp else None

    @property
    def refunded_kopecks(self) -> int:
        return payload_refunded_kopecks({"refund_amount": self.refund_amount})

    @property
    def refunded_at(self) -> datetime | None:
        return payload_refunded_at({"refund_date_last": self.refund_date_last})


class RefundAnswer(LiqPayAnswer):
    """`status` "reversed": the money went back. A partial refund may be answered `success`
    with `refund_amount` instead (see `covers`). Anything else that is not a refusal (e.g.
    `wait_reserve`) is still under way: learn the outcome from `status` or the callback."""

    action: str | None = None
    payment_id: int | str | None = None
    wait_amount: bool | None = None  # paid out of the shop's future incoming payments
    refund_amount: Decimal | None = None  # not documented here: read as the cumulative sum

    @property
    def refunded(self) -> bool:
        return self.status == "reversed"

    def covers(self, total: int) -> bool:
        """An `ok` answer of a settled payment whose `refund_amount` reaches `total` kopecks
        (the refunded sum this refund makes): the refund is done. Read as the cumulative
        sum, a `refund_amount` that is this refund's alone covers only a first refund; any
        other answer leaves the outcome to `status`."""
        if self.result != "ok" or payment_state(self.status) is not PaymentState.PAID:
            return False
        try:
            return self.refunded_kopecks >= total > 0
        except ValueError:
            return False

    @property
    def refunded_kopecks(self) -> int:
        return payload_refunded_kopecks({"refund_amount": self.refund_amount})


def payload_refunded_kopecks(payload: Mapping[str, Any]) -> int:
    """The cumulative refunded sum a status answer or a callback carries (0 when none).
    Raises ValueError for a `refund_amount` that is not an amount."""
    value = payload.get("refund_amount")
    return 0 if value is None or value == "" else from_wire(value)


def payload_refunded_at(payload: Mapping[str, Any]) -> datetime | None:
    """When the last refund was made, from `refund_date_last` in milliseconds (its format is
    not documented: anything else gives None)."""
    value = payload.get("refund_date_last")
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        return None
    try:
        stamp = int(str(value))
    except ValueError:
        return None
    return datetime.fromtimestamp(stamp / 1000, UTC) if stamp > 0 else None


class MalformedReport(ValueError):
    """A field LiqPay sent is not what LiqPay sends; `field` names it (never its value)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"malformed field {field!r}")
        self.field = field


@dataclass(frozen=True)
class PaymentReport:
    """What LiqPay said about one order, from a callback or a `status` answer."""

    status: str | None
    amount: int | None  # kopecks
    currency: str | None
    payment_id: str | None
    card_mask: str | None
    paid_at: datetime | None
    # printed on the fiscal receipt; none is a secret
    rrn: str | None = None  # rrn_debit
    auth_code: str | None = None  # authcode_debit
    bank: str | None = None  # sender_card_bank
    payment_system: str | None = None  # sender_card_type: visa, mc, ...
    refunded: int = 0  # refund_amount: the cumulative refunded sum, in kopecks

    @classmethod
    def from_status(cls, answer: StatusAnswer) -> PaymentReport:
        return cls(
            status=answer.status,
            amount=_amount(answer.amount, "amount"),
            currency=answer.currency,
            payment_id=_identifier(answer.payment_id, "payment_id"),
            card_mask=answer.sender_card_mask2,
            paid_at=_paid_at(answer.end_date, answer.create_date),
            rrn=_optional_identifier(answer.rrn_debit, "rrn_debit"),
            auth_code=_optional_identifier(answer.authcode_debit, "authcode_debit"),
            bank=_optional_text(answer.sender_card_bank, "sender_card_bank"),
            payment_system=_optional_text(answer.sender_card_type, "sender_card_type"),
            refunded=_amount(answer.refund_amount, "refund_amount") or 0,
        )

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> PaymentReport:
        """From a verified callback payload (read directly: this is the hot path).
        Raises MalformedReport (a ValueError) for any field of the wrong shape."""
        get = payload.get
        return cls(
            status=_text(get("status"), "status"),
            amount=_amount(get("amount"), "amount"),
            currency=_text(get("currency"), "currency"),
            payment_id=_identifier(get("payment_id"), "payment_id"),
            card_mask=_text(get("sender_card_mask2"), "sender_card_mask2") or None,
            paid_at=_paid_at(get("end_date"), get("create_date")),
            rrn=_optional_identifier(get("rrn_debit"), "rrn_debit"),
            auth_code=_optional_identifier(get("authcode_debit"), "authcode_debit"),
            bank=_optional_text(get("sender_card_bank"), "sender_card_bank"),
            payment_system=_optional_text(get("sender_card_type"), "sender_card_type"),
            refunded=_amount(_blank_none(get("refund_amount")), "refund_amount") or 0,
        )


def _blank_none(value: object) -> object:
    return None if value == "" else value


def _text(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise MalformedReport(field)
    return value


def _optional_text(value: object, field: str) -> str | None:
    """A detail only printed on the fiscal receipt: a bad one is dropped, never a reason
    to refuse the payment."""
    try:
        return _text(value, field) or None
    except MalformedReport:
        return None


def _optional_identifier(value: object, field: str) -> str | None:
    try:
        return _identifier(value, field)
    except MalformedReport:
        return None


def _identifier(value: object, field: str) -> str | None:
    """LiqPay's ids are JSON numbers; a string of one is taken too."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise MalformedReport(field)
    text = str(value)
    if not text or len(text) > MAX_TEXT:
        raise MalformedReport(field)
    return text


def _amount(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise MalformedReport(field)
    try:
        kopecks = from_wire(value)
    except ValueError:
        raise MalformedReport(field) from None
    if not 0 <= kopecks <= MAX_REPORTED_KOPECKS:
        raise MalformedReport(field)
    return kopecks


def _paid_at(end_date: object, create_date: object) -> datetime | None:
    """When the payment ended, else when it was made; both must be sane if present."""
    ended, created = _moment(end_date, "end_date"), _moment(create_date, "create_date")
    return ended or created


def _moment(value: object, field: str) -> datetime | None:
    """Milliseconds since the epoch (a JSON number, or its digits as a string); 0 or absent
    is "not said"."""
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise MalformedReport(field)
    if isinstance(value, float) and not math.isfinite(value):
        raise MalformedReport(field)
    if isinstance(value, Decimal) and not value.is_finite():
        raise MalformedReport(field)
    if not 0 <= value <= MAX_TIMESTAMP_MS:
        raise MalformedReport(field)
    if not value:
        return None
    return datetime.fromtimestamp(int(value) / 1000, UTC)
