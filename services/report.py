"""What a report says about a period, computed from plain rows with no store behind it.

A store streams `ReportRow`s (one per receipt) into `build_reports`, or fills the same
frozen shapes from sums it computed itself (`Bucket`s and `Totals` add up with `+`).

Which receipts belong to the period, and on which Kyiv day:
- a receipt that was paid (any status but draft, awaiting, failed, expired and cancelled,
  or one with a refunded sum) by its `paid_at` (by `created_at` if that is missing), so an
  invoice made on Monday and paid on Tuesday is Tuesday's takings;
- every other receipt by its `created_at`.
A store should therefore select `paid_at` in [start, end) or (`paid_at` is NULL and
`created_at` in [start, end)); rows outside the period are ignored here anyway.

Refunds: a paid receipt with a refunded sum below its amount is a partial refund; one whose
refunded sum equals its amount, or whose status is refunded, is a full refund (with its
refunded sum, or its whole amount when the status says refunded and no sum is known). A
refunded receipt still counts in `paid` (the money came in) and its refunded sum in
`refunded_*`; `net_kopecks` is the difference. Drafts (never confirmed by LiqPay) count
nowhere. Refunds count on the day of the payment: rows carry no refund date.

Money is integer kopecks only; a float or Decimal amount is refused with TypeError.
Receipts in another currency than the shop's get a report of their own: sums of different
currencies are never added together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime

from services.periods import Period, kyiv_day
from storage.models import Channel, ReceiptStatus


@dataclass(frozen=True)
class ReportRow:
    """One receipt as the report needs it."""

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
        for name in ("amount", "refunded"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be integer kopecks, not {type(value).__name__}")
            if value < 0:
                raise ValueError(f"{name} is negative")
        if self.refunded > self.amount:
            raise ValueError("refunded more than the amount")

    @property
    def was_paid(self) -> bool:
        return self.status not in _UNPAID or self.refunded > 0

    @property
    def counted_at(self) -> datetime:
        """The instant that places the receipt in a period and on a day."""
        if self.was_paid and self.paid_at is not None:
            return self.paid_at
        return self.created_at


_UNPAID = frozenset(
    {
        ReceiptStatus.DRAFT,
        ReceiptStatus.AWAITING,
        ReceiptStatus.FAILED,
        ReceiptStatus.EXPIRED,
        ReceiptStatus.CANCELLED,
    }
)
_UNPAID_BUCKET = {
    ReceiptStatus.AWAITING: "awaiting",
    ReceiptStatus.FAILED: "failed",
    ReceiptStatus.EXPIRED: "expired",
    ReceiptStatus.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class Bucket:
    """How many receipts and how many kopecks."""

    count: int = 0
    kopecks: int = 0

    def add(self, kopecks: int) -> Bucket:
        return Bucket(self.count + 1, self.kopecks + kopecks)

    def __add__(self, other: Bucket) -> Bucket:
        return Bucket(self.count + other.count, self.kopecks + other.kopecks)


_EMPTY = Bucket()


@dataclass(frozen=True)
class Totals:
    """One period's counts and sums (for the shop, a channel or a cashier)."""

    paid: Bucket = _EMPTY  # every receipt the money came in for, refunded ones included
    fiscal_registered: Bucket = _EMPTY  # of the paid: registered with the tax service
    fiscal_unregistered: Bucket = _EMPTY  # of the paid: not registered
    awaiting: Bucket = _EMPTY
    failed: Bucket = _EMPTY
    expired: Bucket = _EMPTY
    cancelled: Bucket = _EMPTY
    refunded_full: Bucket = _EMPTY  # kopecks: the refunded sums
    refunded_partial: Bucket = _EMPTY  # kopecks: the refunded sums

    @property
    def refunded_count(self) -> int:
        return self.refunded_full.count + self.refunded_partial.count

    @property
    def refunded_kopecks(self) -> int:
        return self.refunded_full.kopecks + self.refunded_partial.kopecks

    @property
    def net_kopecks(self) -> int:
        """What stays with the shop: paid less refunded."""
        return self.paid.kopecks - self.refunded_kopecks

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name).count == 0 for f in fields(self))

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True)
class Report:
    """A period's report in one currency."""

    period: Period
    currency: str
    totals: Totals
    by_channel: Mapping[Channel, Totals]  # every channel, in Channel order, empty ones too
    by_cashier: Mapping[int, Totals]  # cashiers with at least one receipt, by user id
    paid_by_day: Mapping[date, Bucket]  # every day of the period in order, empty ones too

    @property
    def paid_kopecks_by_day(self) -> dict[date, int]:
        """What the chart draws."""
        return {day: bucket.kopecks for day, bucket in self.paid_by_day.items()}


def row_totals(row: ReportRow) -> Totals:
    """The one receipt's contribution."""
    if not row.was_paid:
        name = _UNPAID_BUCKET.get(row.status)
        return Totals(**{name: Bucket(1, row.amount)}) if name else Totals()
    paid = Bucket(1, row.amount)
    fiscal = {"fiscal_registered" if row.fiscal_registered else "fiscal_unregistered": paid}
    if row.status is ReceiptStatus.REFUNDED:
        return Totals(paid=paid, **fiscal, refunded_full=Bucket(1, row.refunded or row.amount))
    if row.refunded == 0:
        return Totals(paid=paid, **fiscal)
    kind = "refunded_full" if row.refunded == row.amount else "refunded_partial"
    return Totals(paid=paid, **fiscal, **{kind: Bucket(1, row.refunded)})


class _Accumulator:
    def __init__(self, period: Period, currency: str) -> None:
        self.period = period
        self.currency = currency
        self.totals = Totals()
        self.by_channel = {channel: Totals() for channel in Channel}
        self.by_cashier: dict[int, Totals] = {}
        self.by_day = {day: Bucket() for day in period.days}

    def add(self, row: ReportRow, counted_at: datetime) -> None:
        part = row_totals(row)
        if part.is_empty:
            return
        self.totals += part
        self.by_channel[row.channel] += part
        self.by_cashier[row.cashier_id] = self.by_cashier.get(row.cashier_id, Totals()) + part
        if part.paid.count:
            day = kyiv_day(counted_at)
            self.by_day[day] = self.by_day[day].add(row.amount)

    def freeze(self) -> Report:
        return Report(
            period=self.period,
            currency=self.currency,
            totals=self.totals,
            by_channel=dict(self.by_channel),
            by_cashier=dict(sorted(self.by_cashier.items())),
            paid_by_day=dict(self.by_day),
        )


def build_reports(
    rows: Iterable[ReportRow], period: Period, *, currency: str
) -> tuple[Report, ...]:
    """The shop's report in `currency` first (always there, even when empty), then one for
    each other currency that occurs in the period, in alphabetical order."""
    accumulators = {currency: _Accumulator(period, currency)}
    for row in rows:
        counted_at = row.counted_at
        if not period.contains(counted_at):
            continue
        accumulator = accumulators.get(row.currency)
        if accumulator is None:
            accumulator = accumulators[row.currency] = _Accumulator(period, row.currency)
        accumulator.add(row, counted_at)
    others = sorted(c for c in accumulators if c != currency)
    return tuple(accumulators[c].freeze() for c in (currency, *others))


def build_report(rows: Iterable[ReportRow], period: Period, *, currency: str) -> Report:
    """The report in `currency` alone; rows in other currencies are left out."""
    return build_reports((r for r in rows if r.currency == currency), period, currency=currency)[0]
