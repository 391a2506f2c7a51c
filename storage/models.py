"""Typed rows and plain values the store exchanges with services, the same on every engine.

Times are timezone-aware UTC datetimes; money is integer kopecks; job payloads are
JSON-able dicts. Nothing here knows about a database driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, Final


class Role(StrEnum):
    OWNER = "owner"
    CASHIER = "cashier"


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


class FiscalMode(StrEnum):
    AUTO = "auto"  # register as soon as the invoice is paid (default once set up)
    MANUAL = "manual"  # only by the Register receipt button


class FiscalState(StrEnum):
    """A dimension of a PAID receipt, not a payment status."""

    NOT_REGISTERED = "not_registered"
    REGISTERING = "registering"
    REGISTERED = "registered"
    FAILED = "failed"


DEFAULT_FISCAL_PAYMENT_LABEL = "Платіж через інтегратора LIQPAY"  # services.fiscal's default
DEFAULT_CLOSE_SHIFT_AT = 23 * 60 + 45  # minutes after Kyiv midnight
MINUTES_PER_DAY = 24 * 60


class Unset(Enum):
    """The marker of a change object's field that is left as it is (None sets NULL)."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


class IntegrityViolation(Exception):
    """A write broke a rule of the schema (an unknown shop, a duplicate key, a CHECK):
    nothing of the operation was written. Engines raise it from their driver's error."""


@dataclass(frozen=True)
class Member:
    shop_id: int
    shop_name: str
    user_id: int
    role: Role
    name: str

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER


@dataclass(frozen=True)
class ShopSettings:
    shop_id: int
    public_key: str | None
    private_key_enc: bytes | None
    api_version: int
    invoice_lifetime: int  # seconds
    currency: str
    sms_token_enc: bytes | None
    sms_sender: str | None
    # reminders (services/reminders.py), each off by default
    remind_cashier: bool = False
    remind_customer: bool = False
    remind_lead: int = 3600  # seconds before an invoice expires
    digest: bool = False
    digest_at: int = 20 * 60  # minutes after Kyiv midnight

    @property
    def has_keys(self) -> bool:
        return bool(self.public_key and self.private_key_enc)

    @property
    def has_sms(self) -> bool:
        return bool(self.sms_token_enc and self.sms_sender)


@dataclass(frozen=True)
class SettingsChanges:
    """The shop settings an owner changes; fields left UNSET stay as they are."""

    api_version: int | Unset = UNSET
    invoice_lifetime: int | Unset = UNSET  # seconds
    currency: str | Unset = UNSET
    remind_cashier: bool | Unset = UNSET
    remind_customer: bool | Unset = UNSET
    remind_lead: int | Unset = UNSET  # seconds
    digest: bool | Unset = UNSET
    digest_at: int | Unset = UNSET  # minutes after Kyiv midnight

    def assigned(self) -> dict[str, Any]:
        return _assigned(self)


@dataclass(frozen=True)
class FiscalSettings:
    """A shop's fiscal registrar (PRRO): credentials encrypted like the LiqPay private key."""

    shop_id: int
    enabled: bool  # the off switch (False: nothing is registered)
    mode: FiscalMode
    license_key_enc: bytes | None
    pin_enc: bytes | None
    token_enc: bytes | None  # the cashier token, reused across restarts and replicas
    payment_label: str  # one of services.fiscal.PAYMENT_LABELS
    tax_code: int | None  # None: no VAT (the goods line carries no tax)
    tax_label: str | None  # what the register calls it, e.g. "ПДВ 20%"
    close_shift_at: int  # minutes after Kyiv midnight

    @property
    def configured(self) -> bool:
        return bool(self.license_key_enc and self.pin_enc)


@dataclass(frozen=True)
class FiscalSettingsChanges:
    """The fiscal settings an owner changes; fields left UNSET stay as they are."""

    enabled: bool | Unset = UNSET
    mode: FiscalMode | Unset = UNSET
    payment_label: str | Unset = UNSET
    tax_code: int | Unset | None = UNSET
    tax_label: str | Unset | None = UNSET
    close_shift_at: int | Unset = UNSET

    def assigned(self) -> dict[str, Any]:
        return _assigned(self)


@dataclass(frozen=True)
class FiscalChanges:
    """Fields a fiscal change sets besides the fiscal state; UNSET stays as it is."""

    fiscal_code: str | Unset | None = UNSET
    fiscal_date: datetime | Unset | None = UNSET
    fiscal_url: str | Unset | None = UNSET
    fiscal_error: str | Unset | None = UNSET
    fiscal_attempt: int | Unset = UNSET

    def assigned(self) -> dict[str, Any]:
        return _assigned(self)


@dataclass(frozen=True)
class FiscalTotals:
    """Registered receipts of a period: how many, and their sum in kopecks."""

    count: int
    amount: int


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
    issuing_until: datetime | None = None  # the issuing lease (see services/leases.py)
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
    fiscal_attempt: int = 1  # -> services.fiscal.receipt_uuid(order_id, attempt)
    refunded_amount: int = 0  # kopecks given back so far (partly refunded: PAID and > 0)

    @property
    def refundable(self) -> int:
        """Kopecks that may still be refunded."""
        return max(0, self.amount - self.refunded_amount)


class RefundState(StrEnum):
    RESERVED = "reserved"  # recorded, LiqPay not asked yet
    SENT = "sent"  # LiqPay asked (or being asked); the answer not recorded yet
    UNKNOWN = "unknown"  # LiqPay's answer was lost (a timeout): ask `status`, never resend
    DONE = "done"  # the money went back
    FAILED = "failed"  # LiqPay refused, or no refund came of it


REFUNDS_IN_FLIGHT = (RefundState.RESERVED, RefundState.SENT, RefundState.UNKNOWN)


@dataclass(frozen=True)
class NewRefund:
    """A refund the owner confirmed; the store reserves it before LiqPay is asked."""

    receipt_id: int
    amount: int  # kopecks
    idempotency_key: str  # the confirmation button's: a double tap is the same refund
    requested_by: int  # the owner's user id
    refunded_before: int  # the receipt's refunded sum the owner saw when confirming


@dataclass(frozen=True)
class Refund:
    id: int
    receipt_id: int
    amount: int  # kopecks
    state: RefundState
    idempotency_key: str
    requested_by: int
    refunded_before: int  # the receipt's refunded sum when this refund was reserved
    error: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def in_flight(self) -> bool:
        return self.state in REFUNDS_IN_FLIGHT


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
        return _assigned(self)


def _check_kopecks(**amounts: object) -> None:
    for name, value in amounts.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be integer kopecks, not {type(value).__name__}")


@dataclass(frozen=True)
class ReportRow:
    """One receipt as a period's report needs it (services/report.py counts it)."""

    status: ReceiptStatus
    amount: int  # kopecks
    refunded: int  # kopecks refunded so far (0 when none)
    currency: str
    channel: Channel
    cashier_id: int  # Telegram user id of the cashier who issued it
    created_at: datetime
    paid_at: datetime | None
    fiscal_registered: bool  # a fiscal receipt was registered with the tax service

    def __post_init__(self) -> None:
        _check_kopecks(amount=self.amount, refunded=self.refunded)
        if self.amount < 0 or self.refunded < 0:
            raise ValueError("an amount is negative")
        if self.refunded > self.amount:
            raise ValueError("refunded more than the amount")


@dataclass(frozen=True)
class ExportRow:
    """One receipt as the accountant's export shows it (services/export.py writes it)."""

    number: int
    created_at: datetime
    paid_at: datetime | None
    cashier: str  # the cashier's name
    amount: int  # kopecks
    currency: str
    description: str
    channel: Channel
    contact: str | None  # e-mail or phone the invoice went to
    status: ReceiptStatus
    payment_id: str | None  # LiqPay's payment id
    fiscal_number: str | None  # the fiscal receipt's number from the tax service
    refunded: int  # kopecks refunded so far

    def __post_init__(self) -> None:
        _check_kopecks(amount=self.amount, refunded=self.refunded)


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


class InviteOutcome(StrEnum):
    JOINED = "joined"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY_MEMBER = "already_member"


class JobState(StrEnum):
    PENDING = "pending"  # waiting for its run_at, or claimed (see Job.leased)
    DONE = "done"
    DEAD = "dead"  # given up on


@dataclass(frozen=True)
class NewJob:
    """A unit of background work. `group_key`: at most one job of a group is claimed at a
    time, the oldest first (a chat's messages keep their order). `dedupe_key`: a second job
    with the same key is never created, whatever the first one's state."""

    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)  # JSON-able
    run_at: datetime | None = None  # None: at once (the operation's `now`)
    group_key: str | None = None
    dedupe_key: str | None = None
    receipt_id: int | None = None  # set by the store for jobs a receipt operation causes


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    run_at: datetime
    group_key: str | None
    dedupe_key: str | None
    receipt_id: int | None
    state: JobState
    attempts: int  # how many times it was claimed
    created_at: datetime
    claimed_at: datetime | None  # the last claim
    lease_owner: str | None
    lease_until: datetime | None
    finished_at: datetime | None
    last_error: str | None

    def leased(self, now: datetime) -> bool:
        return self.lease_until is not None and self.lease_until > now


@dataclass(frozen=True)
class StoreHealth:
    """What /healthz may show: no shop's data or volume."""

    engine: str
    schema_version: int
    jobs_pending: int  # due and not leased: the backlog


def _assigned(changes: object) -> dict[str, Any]:
    return {
        f.name: getattr(changes, f.name)
        for f in fields(changes)  # type: ignore[arg-type]
        if getattr(changes, f.name) is not UNSET
    }
