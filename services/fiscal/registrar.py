"""The fiscal registrar (PRRO) seen from the domain: what a paid receipt needs to become a
fiscal receipt registered with the tax service, whichever cash register software does it.

Nothing here knows a particular PRRO; services/checkbox/client.py is the first implementation.
Money is integer kopecks.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from pydantic import SecretStr

from storage.models.fiscal import DEFAULT_FISCAL_PAYMENT_LABEL
from storage.models.lines import QUANTITY_SCALE, line_sum, name_code

# Never change it: every receipt id ever sent was derived under it.
RECEIPT_NAMESPACE = uuid.UUID("e83d878a-c171-45ff-8d97-17b2cad14181")

DEFAULT_PAYMENT_LABEL = DEFAULT_FISCAL_PAYMENT_LABEL  # what a new shop's receipts print

# The Finance Ministry's approved names (order 601) that can describe a card payment taken
# through LiqPay; the owner's accountant picks one. Names that need a brand filled in
# (e-money, digital money, crypto) and substitutes (certificates, tokens, chips) never fit
# a LiqPay card payment, so they are not offered.
PAYMENT_LABELS: tuple[str, ...] = (
    DEFAULT_PAYMENT_LABEL,
    "Інтернет еквайринг",
    "Картка",
    "Інтернет банкінг",
    "З поточного рахунку",
    "Переказ через ПТКС банку",
    "Переказ через ННПП",
    "Переказ через ПТКС ННПП",
)


def receipt_uuid(order_id: str, attempt: int = 1) -> str:
    """The fiscal receipt id of a paid order: the same order always gives the same id, so
    the registrar itself refuses a second receipt for it.

    `attempt` > 1 only after the registrar ended the previous receipt in an error (no fiscal
    receipt exists), when a new one must carry a new id.
    """
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    name = order_id if attempt == 1 else f"{order_id}#{attempt}"
    return str(uuid.uuid5(RECEIPT_NAMESPACE, name))


@dataclass(frozen=True)
class FiscalCredentials:
    """The cash register's license key and the cashier's PIN code."""

    license_key: SecretStr = field(repr=False)
    pin_code: SecretStr = field(repr=False)


@dataclass(frozen=True)
class SaleGood:
    """One goods line of a fiscal receipt."""

    code: str  # 1–256 characters; never the order id
    name: str  # 1–128 characters
    price: int  # kopecks per unit (per 1000 of quantity)
    quantity: int  # thousandths
    tax_codes: tuple[int, ...] = ()  # codes from tax_rates(); none: not taxed
    barcode: str | None = None
    uktzed: str | None = None

    @property
    def total(self) -> int:
        return line_sum(self.price, self.quantity)


@dataclass(frozen=True, kw_only=True)
class Sale:
    """A paid invoice to register: its goods lines and one cashless payment of their sum,
    `price`. Without `goods`, one line of `price` named `description` (taxed `tax_code`)."""

    order_id: str
    description: str
    price: int  # kopecks, the paid amount: the goods' sum
    tax_code: int | None  # a code from tax_rates(); None: goods not taxed
    goods: tuple[SaleGood, ...] = ()
    payment_label: str = DEFAULT_PAYMENT_LABEL
    card_mask: str | None = None
    bank: str | None = None
    payment_system: str | None = None  # visa, mastercard, ...
    rrn: str | None = None
    auth_code: str | None = None
    payment_id: str | None = None  # the acquirer's (LiqPay's) payment id
    customer_email: str | None = None  # e-mailed with email_receipt() once registered
    attempt: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.price, bool) or not isinstance(self.price, int) or self.price <= 0:
            raise ValueError("price is a positive number of kopecks")
        if self.payment_label not in PAYMENT_LABELS:
            raise ValueError("payment_label is not an approved name")
        if not self.goods:
            taxes = () if self.tax_code is None else (self.tax_code,)
            name = self.description.strip()
            if not name:
                raise ValueError("a sale names its goods")
            one = SaleGood(name_code(name), name[:128], self.price, QUANTITY_SCALE, taxes)
            object.__setattr__(self, "goods", (one,))
        if sum(good.total for good in self.goods) != self.price:
            raise ValueError("price is the goods' sum")

    @property
    def receipt_id(self) -> str:
        return receipt_uuid(self.order_id, self.attempt)


@dataclass(frozen=True, kw_only=True)
class SaleReturn:
    """Money given back for a registered sale: `sale` describes what is returned."""

    sale: Sale
    related_receipt_id: str  # the sale's fiscal receipt id
    return_no: int = 1  # the n-th return of this order

    @property
    def receipt_id(self) -> str:
        return receipt_uuid(f"{self.sale.order_id}#return{self.return_no}", self.sale.attempt)


class FiscalStatus(StrEnum):
    PENDING = "pending"  # accepted, the tax service has not answered yet
    DONE = "done"
    ERROR = "error"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class FiscalResult:
    receipt_id: str
    status: FiscalStatus
    fiscal_code: str | None = None
    fiscal_date: datetime | None = None
    tax_url: str | None = None  # the tax service's check page
    receipt_url: str | None = None  # the registrar's own page of the receipt
    error_message: str | None = None  # the registrar's words when status is ERROR
    is_return: bool = False
    created_offline: bool = False  # made in offline mode, dated at fiscal_date
    sent_to_tax: bool = True  # False: made offline and not sent to the tax service yet

    @property
    def finished(self) -> bool:
        return self.status is not FiscalStatus.PENDING

    @property
    def link(self) -> str | None:
        return self.tax_url or self.receipt_url


@dataclass(frozen=True)
class ListedReceipt:
    """A receipt as the registrar lists a period's (the daily reconciliation reads them)."""

    receipt_id: str
    status: FiscalStatus
    total: int  # kopecks
    is_return: bool = False
    fiscal_code: str | None = None
    created_at: datetime | None = None
    related_receipt_id: str | None = None  # a return's sale


@dataclass(frozen=True)
class OfflineTime:
    """A register's offline time: the session going on now and the month's (offline mode
    is limited to 36 h in a row and 168 h a month)."""

    current: timedelta
    month: timedelta


class ShiftStatus(StrEnum):
    OPENING = "opening"
    OPENED = "opened"
    CLOSING = "closing"
    CLOSED = "closed"


@dataclass(frozen=True)
class ShiftInfo:
    id: str
    status: ShiftStatus
    serial: int | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    card_sales: int | None = None  # kopecks
    card_returns: int | None = None  # kopecks
    error_message: str | None = None  # why it closed instead of opening

    def age(self, now: datetime) -> timedelta | None:
        return None if self.opened_at is None else now - self.opened_at


@dataclass(frozen=True)
class TaxRate:
    code: int
    label: str
    symbol: str = ""
    rate: Decimal = Decimal(0)  # percent
    included: bool = True
    no_vat: bool = False


@dataclass(frozen=True)
class RegisterGood:
    """One of the goods the register keeps (its catalogue), as it reads them."""

    code: str
    name: str
    price: int  # kopecks; 0 when the register keeps none
    tax_codes: tuple[int, ...] = ()
    barcode: str | None = None
    uktzed: str | None = None
    is_weight: bool = False


@dataclass(frozen=True)
class CashierProfile:
    """The cashier the registrar signs as."""

    certificate_end: datetime | None = None  # when the signing key expires; None: not said


class RefusalReason(StrEnum):
    BAD_CREDENTIALS = "bad_credentials"  # wrong license key or PIN
    INVALID_TOKEN = "invalid_token"  # noqa: S105 (a reason, not a secret)
    SHIFT_NOT_OPENED = "shift_not_opened"
    SHIFT_ALREADY_OPENED = "shift_already_opened"
    REGISTER_BUSY = "register_busy"  # another cashier works with the register
    SHIFT_FAILED = "shift_failed"  # the shift closed instead of opening
    KEY_EXPIRED = "key_expired"  # the cashier's signing key (certificate) has expired
    NOT_FOUND = "not_found"
    VALIDATION = "validation"
    OTHER = "other"


class FiscalError(Exception):
    """Base of every error a registrar raises."""


class FiscalUnavailable(FiscalError):
    """Timeout, connection error, 5xx or an answer that is not the registrar's JSON: the
    outcome is unknown, ask again later (find() first before re-sending a sale)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"fiscal registrar unavailable: {reason}")
        self.reason = reason


class FiscalRefused(FiscalError):
    """The registrar answered and said no; `message` is its own words."""

    def __init__(
        self,
        reason: RefusalReason,
        message: str = "",
        http_status: int = 0,
        *,
        key_expired: bool = False,
    ) -> None:
        super().__init__(f"fiscal registrar refused ({reason}): {message}")
        self.reason = reason
        self.message = message
        self.http_status = http_status
        # the cashier's signing key has expired (the reason itself, or said in the words
        # of a shift that closed instead of opening)
        self.key_expired = key_expired or reason is RefusalReason.KEY_EXPIRED


class FiscalRegistrar(Protocol):
    """A PRRO. Credentials come per call (every shop has its own register); an
    implementation signs in once per credentials and reuses the session."""

    async def check_credentials(self, creds: FiscalCredentials) -> None:
        """Sign in; FiscalRefused(BAD_CREDENTIALS) when the key or PIN is wrong."""

    def session_token(self, creds: FiscalCredentials) -> str | None:
        """The session token in use for these credentials, if the registrar has sessions,
        so it can be kept (sealed) for restarts and other processes."""

    def resume_session(self, creds: FiscalCredentials, token: str) -> None:
        """Reuse a session token kept from before instead of signing in again."""

    async def me(self, creds: FiscalCredentials) -> CashierProfile:
        """The cashier's profile (read after a sign-in, for the signing key's end)."""

    def receipt_url(self, receipt_id: str) -> str:
        """The registrar's own page of a receipt (shown when the tax service gave none)."""

    async def tax_rates(self, creds: FiscalCredentials) -> list[TaxRate]: ...

    async def current_shift(self, creds: FiscalCredentials) -> ShiftInfo | None: ...

    async def open_shift(self, creds: FiscalCredentials) -> ShiftInfo:
        """The open shift sales go to, opened (and a stale one closed) when needed."""

    async def close_shift(self, creds: FiscalCredentials) -> ShiftInfo | None:
        """Close the open shift (Z report) and return it with the day's totals; None when
        no shift was open."""

    async def register_sale(self, creds: FiscalCredentials, sale: Sale) -> FiscalResult:
        """Register once under sale.receipt_id and wait (bounded) for the tax service.
        The result is DONE, ERROR, or PENDING when the wait ran out: then find() or
        wait_result() later; never sell again without asking find() first."""

    async def register_return(
        self, creds: FiscalCredentials, sale_return: SaleReturn
    ) -> FiscalResult: ...

    async def find(self, creds: FiscalCredentials, receipt_id: str) -> FiscalResult | None:
        """The receipt's state now, or None when the registrar has no such receipt."""

    async def wait_result(self, creds: FiscalCredentials, receipt_id: str) -> FiscalResult:
        """Poll (bounded) until DONE or ERROR; PENDING when the wait ran out."""

    async def receipt_png(self, creds: FiscalCredentials, receipt_id: str) -> bytes: ...

    async def email_receipt(
        self, creds: FiscalCredentials, receipt_id: str, emails: Sequence[str]
    ) -> None: ...
