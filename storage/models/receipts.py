from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.models.common import UNSET, Unset, assigned_fields
from storage.models.fiscal import FiscalState


class ReceiptStatus(StrEnum):
    DRAFT = "draft"  # order id reserved, LiqPay not yet confirmed the invoice
    AWAITING = "awaiting"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class Channel(StrEnum):
    EMAIL = "email"
    PRIVAT24 = "privat24"
    SMS = "sms"
    LINK = "link"


class EventSource(StrEnum):
    CALLBACK = "callback"
    POLL = "poll"
    USER = "user"


@dataclass(frozen=True)
class CurrencyTotal:
    """How many receipts and how much money (kopecks) in one currency."""

    currency: str
    count: int
    kopecks: int


@dataclass(frozen=True)
class PaymentMismatch:
    """What LiqPay reported for a receipt when it did not match it (amount or currency)."""

    amount: int | None  # kopecks
    currency: str | None
    payment_id: str | None


@dataclass(frozen=True)
class Receipt:
    id: int
    shop_id: int
    number: int
    cashier_id: int
    amount: int  # kopecks
    currency: str
    description: str
    channel: Channel
    contact: str | None
    order_id: str
    public_key: str | None
    link: str | None
    invoice_token: str | None
    status: ReceiptStatus
    liqpay_status: str | None
    flagged: str | None
    expires_at: datetime
    created_at: datetime
    paid_at: datetime | None
    payment_id: str | None
    card_mask: str | None
    card_chat_id: int | None
    card_message_id: int | None
    mismatch: PaymentMismatch | None = None  # set with `flagged` when a payment differed
    issuing_until: datetime | None = None  # the issuing lease (see services/invoices/leases.py)
    # what LiqPay reported of the card payment besides its id and mask (none is a secret):
    # printed on the fiscal receipt
    payment_rrn: str | None = None
    payment_auth_code: str | None = None
    payment_bank: str | None = None
    payment_system: str | None = None  # visa, mc, ...
    # the fiscal dimension of a paid receipt (None: not to be registered, or not paid)
    fiscal_state: FiscalState | None = None
    fiscal_code: str | None = None
    fiscal_date: datetime | None = None
    fiscal_url: str | None = None
    fiscal_error: str | None = None  # the registrar's words when it failed
    fiscal_attempt: int = 1  # -> services.fiscal.registrar.receipt_uuid(order_id, attempt)
    refunded_amount: int = 0  # kopecks given back so far (partly refunded: PAID and > 0)

    @property
    def refundable(self) -> int:
        """Kopecks that may still be refunded."""
        return max(0, self.amount - self.refunded_amount)


@dataclass(frozen=True)
class NumberedText:
    """A text that names the receipt's number, which only the store knows when it reserves
    it: every `{number}` in `template` becomes the number."""

    template: str

    def render(self, number: int) -> str:
        return self.template.replace("{number}", str(number))


@dataclass(frozen=True)
class NewDraft:
    """Everything a draft receipt is made of, decided by services; the store adds the number."""

    shop_id: int
    cashier_id: int
    amount: int  # kopecks
    currency: str
    description: str | NumberedText  # a plain text is stored as it is
    channel: Channel
    contact: str | None
    idempotency_key: str  # a second draft with the same key is the first one
    order_id: str
    expires_at: datetime
    public_key: str | None = None  # the LiqPay key pair the invoice is made with

    def description_for(self, number: int) -> str:
        if isinstance(self.description, NumberedText):
            return self.description.render(number)
        return self.description


@dataclass(frozen=True)
class ReceiptChanges:
    """Fields a transition sets besides the status; fields left UNSET stay as they are."""

    link: str | Unset | None = UNSET
    invoice_token: str | Unset | None = UNSET
    paid_at: datetime | Unset | None = UNSET
    payment_id: str | Unset | None = UNSET
    card_mask: str | Unset | None = UNSET
    expires_at: datetime | Unset = UNSET
    payment_rrn: str | Unset | None = UNSET
    payment_auth_code: str | Unset | None = UNSET
    payment_bank: str | Unset | None = UNSET
    payment_system: str | Unset | None = UNSET
    fiscal_state: FiscalState | Unset | None = UNSET  # set when paid: NOT_REGISTERED or None

    def assigned(self) -> dict[str, Any]:
        """The fields to set, by name (a datetime stays a datetime)."""
        return assigned_fields(self)


@dataclass(frozen=True)
class ReceiptEvent:
    receipt_id: int
    at: datetime
    source: EventSource
    from_status: ReceiptStatus | None
    to_status: ReceiptStatus
    liqpay_status: str | None
    detail: str | None
    # a change of the fiscal dimension (status unchanged): the fiscal state it moved to
    fiscal_from: FiscalState | None = None
    fiscal_to: FiscalState | None = None
