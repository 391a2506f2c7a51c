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

from collections.abc import AsyncIterable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime

from services.core.periods import Period, kyiv_day
from storage.models.receipts import Channel, ReceiptStatus
from storage.models.reports import ReportRow

__all__ = ["ReportRow"]  # re-exported: the store yields them, services count them


def was_paid(row: ReportRow) -> bool:
    """The money came in for it (a refund implies it did)."""
    return row.status not in _UNPAID or row.refunded > 0


def counted_at(row: ReportRow) -> datetime:
    """The instant that places the receipt in a period and on a day."""
    if was_paid(row) and row.paid_at is not None:
        return row.paid_at
    return row.created_at


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


def row_parts(row: ReportRow) -> tuple[tuple[str, int], ...]:
    """The one receipt's contribution: the Totals fields it counts in, with its kopecks
    in each (a refund's are the refunded sum)."""
    if not was_paid(row):
        name = _UNPAID_BUCKET.get(row.status)
        return ((name, row.amount),) if name else ()
    paid = ("paid", row.amount)
    fiscal = ("fiscal_registered" if row.fiscal_registered else "fiscal_unregistered", row.amount)
    if row.status is ReceiptStatus.REFUNDED:
        return paid, fiscal, ("refunded_full", row.refunded or row.amount)
    if row.refunded == 0:
        return paid, fiscal
    kind = "refunded_full" if row.refunded == row.amount else "refunded_partial"
    return paid, fiscal, (kind, row.refunded)


def row_totals(row: ReportRow) -> Totals:
    """The one receipt's contribution as Totals."""
    return Totals(**{name: Bucket(1, kopecks) for name, kopecks in row_parts(row)})


_TOTALS_FIELDS = tuple(f.name for f in fields(Totals))


class _Sums:
    """Totals being added up in place (a frozen Totals per row would be rebuilt 3 times
    for every one of 100,000 rows)."""

    __slots__ = ("counts", "kopecks")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(_TOTALS_FIELDS, 0)
        self.kopecks = dict.fromkeys(_TOTALS_FIELDS, 0)

    def add(self, parts: tuple[tuple[str, int], ...]) -> None:
        for name, kopecks in parts:
            self.counts[name] += 1
            self.kopecks[name] += kopecks

    def freeze(self) -> Totals:
        return Totals(
            **{
                name: Bucket(self.counts[name], self.kopecks[name]) if self.counts[name] else _EMPTY
                for name in _TOTALS_FIELDS
            }
        )


class _Accumulator:
    def __init__(self, period: Period, currency: str) -> None:
        self.period = period
        self.currency = currency
        self.totals = _Sums()
        self.by_channel = {channel: _Sums() for channel in Channel}
        self.by_cashier: dict[int, _Sums] = {}
        self.paid_count = dict.fromkeys(period.days, 0)
        self.paid_kopecks = dict.fromkeys(period.days, 0)

    def add(self, row: ReportRow, counted_at: datetime) -> None:
        parts = row_parts(row)
        if not parts:
            return
        self.totals.add(parts)
        self.by_channel[row.channel].add(parts)
        cashier = self.by_cashier.get(row.cashier_id)
        if cashier is None:
            cashier = self.by_cashier[row.cashier_id] = _Sums()
        cashier.add(parts)
        if parts[0][0] == "paid":
            day = kyiv_day(counted_at)
            self.paid_count[day] += 1
            self.paid_kopecks[day] += row.amount

    def freeze(self) -> Report:
        return Report(
            period=self.period,
            currency=self.currency,
            totals=self.totals.freeze(),
            by_channel={channel: sums.freeze() for channel, sums in self.by_channel.items()},
            by_cashier={user: self.by_cashier[user].freeze() for user in sorted(self.by_cashier)},
            paid_by_day={
                day: Bucket(count, self.paid_kopecks[day]) for day, count in self.paid_count.items()
            },
        )


class ReportBuilder:
    """Builds the reports of a period from rows fed one at a time (see build_reports)."""

    def __init__(self, period: Period, *, currency: str) -> None:
        self.period = period
        self.currency = currency
        self._accumulators = {currency: _Accumulator(period, currency)}

    def add(self, row: ReportRow) -> None:
        at = counted_at(row)
        if not self.period.contains(at):
            return
        accumulator = self._accumulators.get(row.currency)
        if accumulator is None:
            accumulator = self._accumulators[row.currency] = _Accumulator(self.period, row.currency)
        accumulator.add(row, at)

    def reports(self) -> tuple[Report, ...]:
        others = sorted(c for c in self._accumulators if c != self.currency)
        return tuple(self._accumulators[c].freeze() for c in (self.currency, *others))


def build_reports(
    rows: Iterable[ReportRow], period: Period, *, currency: str
) -> tuple[Report, ...]:
    """The shop's report in `currency` first (always there, even when empty), then one for
    each other currency that occurs in the period, in alphabetical order."""
    builder = ReportBuilder(period, currency=currency)
    for row in rows:
        builder.add(row)
    return builder.reports()


async def stream_reports(
    rows: AsyncIterable[ReportRow], period: Period, *, currency: str
) -> tuple[Report, ...]:
    """build_reports over rows a store streams: only the sums are kept, never the rows."""
    builder = ReportBuilder(period, currency=currency)
    async for row in rows:
        builder.add(row)
    return builder.reports()


def build_report(rows: Iterable[ReportRow], period: Period, *, currency: str) -> Report:
    """The report in `currency` alone; rows in other currencies are left out."""
    return build_reports((r for r in rows if r.currency == currency), period, currency=currency)[0]
