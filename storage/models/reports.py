from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.models.receipts import Channel, ReceiptStatus


def _check_kopecks(**amounts: object) -> None:
    for name, value in amounts.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be integer kopecks, not {type(value).__name__}")


@dataclass(frozen=True)
class ReportRow:
    """One receipt as a period's report needs it (services/reports/totals.py counts it)."""

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
    """One receipt as the accountant's export shows it (services/reports/export.py writes it)."""

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
class TopItem:
    """One item's sales over a period (the report's top items): the lines of paid receipts
    under one goods code, name and unit, less what refunds gave back."""

    code: str
    name: str
    unit: str
    quantity: int  # thousandths
    total: int  # kopecks: the lines' sums (each rounded half up to the kopeck)


@dataclass(frozen=True)
class LineExportRow:
    """One goods line of an exported receipt (the per-line export)."""

    number: int  # the receipt's number in the shop
    created_at: datetime
    position: int
    code: str
    name: str
    unit: str
    quantity: int  # thousandths
    price: int  # kopecks per unit
    total: int  # kopecks

    def __post_init__(self) -> None:
        _check_kopecks(price=self.price, total=self.total)


@dataclass(frozen=True)
class ReportGroup:
    """Receipts alike for a report, summed by the store: the same status, currency, channel,
    cashier, fiscal registration and kind of refund ("none", "partial", "full"), counted in
    the same UTC hour (`hour`: hours since the epoch; Kyiv days begin on a whole UTC hour)."""

    status: ReceiptStatus
    currency: str
    channel: Channel
    cashier_id: int
    fiscal_registered: bool
    refund_kind: str
    hour: int
    count: int
    amount: int  # kopecks, summed
    refunded: int  # kopecks refunded, summed (a refunded receipt's whole amount if unknown)
