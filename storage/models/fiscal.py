from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.models.common import UNSET, Unset, assigned_fields


class FiscalMode(StrEnum):
    AUTO = "auto"  # register as soon as the invoice is paid (default once set up)
    MANUAL = "manual"  # only by the Register receipt button


class FiscalState(StrEnum):
    """A dimension of a PAID receipt, not a payment status."""

    NOT_REGISTERED = "not_registered"
    REGISTERING = "registering"
    REGISTERED = "registered"
    FAILED = "failed"


# services.fiscal.registrar's default
DEFAULT_FISCAL_PAYMENT_LABEL = "Платіж через інтегратора LIQPAY"
DEFAULT_CLOSE_SHIFT_AT = 23 * 60 + 45  # minutes after Kyiv midnight
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class FiscalSettings:
    """A shop's fiscal registrar (PRRO): credentials encrypted like the LiqPay private key."""

    shop_id: int
    enabled: bool  # the off switch (False: nothing is registered)
    mode: FiscalMode
    license_key_enc: bytes | None
    pin_enc: bytes | None
    token_enc: bytes | None  # the cashier token, reused across restarts and replicas
    payment_label: str  # one of services.fiscal.registrar.PAYMENT_LABELS
    tax_code: int | None  # None: no VAT (the goods line carries no tax)
    tax_label: str | None  # what the register calls it, e.g. "ПДВ 20%"
    close_shift_at: int  # minutes after Kyiv midnight
    # the cashier's signing key (services/fiscal/key_expiry.py): when it expires, None
    # while unknown; when the registrar was last asked
    certificate_end: datetime | None = None
    certificate_checked_at: datetime | None = None

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
        return assigned_fields(self)


@dataclass(frozen=True)
class FiscalChanges:
    """Fields a fiscal change sets besides the fiscal state; UNSET stays as it is."""

    fiscal_code: str | Unset | None = UNSET
    fiscal_date: datetime | Unset | None = UNSET
    fiscal_url: str | Unset | None = UNSET
    fiscal_error: str | Unset | None = UNSET
    fiscal_attempt: int | Unset = UNSET

    def assigned(self) -> dict[str, Any]:
        return assigned_fields(self)


@dataclass(frozen=True)
class FiscalTotals:
    """Registered receipts of a period: how many, and their sum in kopecks."""

    count: int
    amount: int
