"""Report periods in Kyiv time.

A period is a run of whole Kyiv calendar days, `first_day`..`last_day` inclusive. As
instants it is the half-open interval [start, end) in UTC whose bounds are Kyiv midnights,
so a day lasts 23 hours on the spring DST change (last Sunday of March) and 25 on the autumn
one (last Sunday of October); Kyiv changes its clocks at 03:00/04:00, so midnight itself is
never skipped or repeated.

`this_week` and `this_month` cover the whole calendar week (Monday to Sunday) and month,
days still to come included (they simply have no receipts yet): a month's chart always has
its 28–31 bars. A typed range may not reach past today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")
MAX_RANGE_DAYS = 366


class PeriodKind(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    THIS_WEEK = "this_week"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    RANGE = "range"  # typed by the user


class PeriodErrorReason(StrEnum):
    MALFORMED = "malformed"  # not "dd.mm.yyyy" or "dd.mm.yyyy–dd.mm.yyyy"
    NO_SUCH_DATE = "no_such_date"  # well-formed but not on the calendar: 31.02.2026
    REVERSED = "reversed"  # the first date is after the second
    TOO_LONG = "too_long"  # more than MAX_RANGE_DAYS days
    FUTURE = "future"  # reaches past today (Kyiv)


class PeriodError(ValueError):
    """Why a typed range was refused; `reason` is what the bot turns into a message."""

    def __init__(self, reason: PeriodErrorReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a naive datetime is not an instant: give it a timezone")
    return instant


def kyiv_day(instant: datetime) -> date:
    """The Kyiv calendar day an instant falls on."""
    return _aware(instant).astimezone(KYIV).date()


def kyiv_midnight(day: date) -> datetime:
    """The instant (UTC) at which a Kyiv calendar day begins."""
    return datetime.combine(day, time(0), tzinfo=KYIV).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    first_day: date
    last_day: date  # inclusive

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("a period's last day is before its first")

    @property
    def start(self) -> datetime:
        """Kyiv midnight opening the first day, in UTC (included)."""
        return kyiv_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """Kyiv midnight after the last day, in UTC (excluded)."""
        return kyiv_midnight(self.last_day + timedelta(days=1))

    @property
    def day_count(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def days(self) -> tuple[date, ...]:
        """Every Kyiv calendar day of the period, in order (one chart bar each)."""
        return tuple(self.first_day + timedelta(days=i) for i in range(self.day_count))

    def contains(self, instant: datetime) -> bool:
        return self.start <= _aware(instant) < self.end

    def day_of(self, instant: datetime) -> date:
        """The Kyiv day of an instant; ValueError if it is outside the period."""
        if not self.contains(instant):
            raise ValueError(f"{instant.isoformat()} is outside the period")
        return kyiv_day(instant)

    def range_text(self) -> str:
        """Language-neutral "01.11.2026–30.11.2026", or one date for a one-day period."""
        first = self.first_day.strftime("%d.%m.%Y")
        if self.first_day == self.last_day:
            return first
        return f"{first}–{self.last_day.strftime('%d.%m.%Y')}"


def today(now: datetime) -> Period:
    day = kyiv_day(now)
    return Period(PeriodKind.TODAY, day, day)


def yesterday(now: datetime) -> Period:
    day = kyiv_day(now) - timedelta(days=1)
    return Period(PeriodKind.YESTERDAY, day, day)


def this_week(now: datetime) -> Period:
    monday = kyiv_day(now) - timedelta(days=kyiv_day(now).weekday())
    return Period(PeriodKind.THIS_WEEK, monday, monday + timedelta(days=6))


def _month_end(first: date) -> date:
    next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return next_month - timedelta(days=1)


def this_month(now: datetime) -> Period:
    first = kyiv_day(now).replace(day=1)
    return Period(PeriodKind.THIS_MONTH, first, _month_end(first))


def last_month(now: datetime) -> Period:
    last = kyiv_day(now).replace(day=1) - timedelta(days=1)
    return Period(PeriodKind.LAST_MONTH, last.replace(day=1), last)


_PRESETS = {
    PeriodKind.TODAY: today,
    PeriodKind.YESTERDAY: yesterday,
    PeriodKind.THIS_WEEK: this_week,
    PeriodKind.THIS_MONTH: this_month,
    PeriodKind.LAST_MONTH: last_month,
}


def preset(kind: PeriodKind, now: datetime) -> Period:
    """A button's period; RANGE has none (it is typed: see parse_range)."""
    try:
        make = _PRESETS[kind]
    except KeyError:
        raise ValueError(f"{kind} is not a preset period") from None
    return make(now)


_DATE = r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})"  # ASCII: \d takes other scripts' digits
# hyphen-minus, hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus sign
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"
_RANGE_RE = re.compile(rf"{_DATE}(?:\s*[{_DASHES}]\s*{_DATE})?")


def _date(day: str, month: str, year: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise PeriodError(PeriodErrorReason.NO_SUCH_DATE) from None


def parse_range(text: str, now: datetime, *, max_days: int = MAX_RANGE_DAYS) -> Period:
    """A typed period: "01.11.2026–30.11.2026" (any dash, spaces allowed, 1.11.2026 too),
    or one date for one day. Raises PeriodError with the reason it was refused."""
    match = _RANGE_RE.fullmatch(text.strip())
    if match is None:
        raise PeriodError(PeriodErrorReason.MALFORMED)
    first = _date(*match.group(1, 2, 3))
    last = _date(*match.group(4, 5, 6)) if match.group(4) else first
    if last < first:
        raise PeriodError(PeriodErrorReason.REVERSED)
    if last > kyiv_day(now):
        raise PeriodError(PeriodErrorReason.FUTURE)
    if (last - first).days + 1 > max_days:
        raise PeriodError(PeriodErrorReason.TOO_LONG)
    return Period(PeriodKind.RANGE, first, last)
