"""A period's reports from sums the store made (ReportGroup), not from one row per receipt:
the same Report as totals.py builds from rows, for a screen that must answer at once on a
shop of 100,000 receipts (the Mini App). Which receipts count and on which day is decided
by the store's grouping the way totals.py decides it (the contract tests compare the two)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from services.core.periods import Period, kyiv_day
from services.reports.totals import _TOTALS_FIELDS, _UNPAID, _UNPAID_BUCKET, Bucket, Report, Totals
from storage.models.receipts import Channel
from storage.models.reports import ReportGroup


def group_parts(group: ReportGroup) -> tuple[tuple[str, int, int], ...]:
    """The Totals fields the group counts in: (name, count, kopecks)."""
    n = group.count
    if group.status in _UNPAID and group.refunded == 0:
        name = _UNPAID_BUCKET.get(group.status)
        return ((name, n, group.amount),) if name else ()
    fiscal = "fiscal_registered" if group.fiscal_registered else "fiscal_unregistered"
    parts = [("paid", n, group.amount), (fiscal, n, group.amount)]
    if group.refund_kind == "full":
        parts.append(("refunded_full", n, group.refunded))
    elif group.refund_kind == "partial":
        parts.append(("refunded_partial", n, group.refunded))
    return tuple(parts)


class _Sums:
    def __init__(self) -> None:
        self.counts = dict.fromkeys(_TOTALS_FIELDS, 0)
        self.kopecks = dict.fromkeys(_TOTALS_FIELDS, 0)

    def add(self, parts: tuple[tuple[str, int, int], ...]) -> None:
        for name, count, kopecks in parts:
            self.counts[name] += count
            self.kopecks[name] += kopecks

    def freeze(self) -> Totals:
        return Totals(
            **{
                name: Bucket(self.counts[name], self.kopecks[name])
                for name in _TOTALS_FIELDS
                if self.counts[name]
            }
        )


class _Currency:
    def __init__(self, period: Period, currency: str) -> None:
        self.period, self.currency = period, currency
        self.totals = _Sums()
        self.by_channel = {channel: _Sums() for channel in Channel}
        self.by_cashier: dict[int, _Sums] = {}
        self.paid = {day: [0, 0] for day in period.days}

    def add(self, group: ReportGroup) -> None:
        parts = group_parts(group)
        if not parts:
            return
        self.totals.add(parts)
        self.by_channel[group.channel].add(parts)
        self.by_cashier.setdefault(group.cashier_id, _Sums()).add(parts)
        if parts[0][0] == "paid":
            day = kyiv_day(datetime.fromtimestamp(group.hour * 3600, UTC))
            if day in self.paid:
                self.paid[day][0] += group.count
                self.paid[day][1] += group.amount

    def freeze(self) -> Report:
        return Report(
            period=self.period,
            currency=self.currency,
            totals=self.totals.freeze(),
            by_channel={channel: sums.freeze() for channel, sums in self.by_channel.items()},
            by_cashier={user: self.by_cashier[user].freeze() for user in sorted(self.by_cashier)},
            paid_by_day={day: Bucket(n, kopecks) for day, (n, kopecks) in self.paid.items()},
        )


def reports_from_groups(
    groups: Iterable[ReportGroup], period: Period, *, currency: str
) -> tuple[Report, ...]:
    """Like totals.build_reports: the shop's currency first (always there), then the others."""
    found = {currency: _Currency(period, currency)}
    for group in groups:
        found.setdefault(group.currency, _Currency(period, group.currency)).add(group)
    others = sorted(c for c in found if c != currency)
    return tuple(found[c].freeze() for c in (currency, *others))
