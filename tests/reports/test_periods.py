"""Report periods: Kyiv days as UTC intervals, across midnight and the DST changes of 2026."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.core.periods import (
    KYIV,
    MAX_RANGE_DAYS,
    Period,
    PeriodError,
    PeriodErrorReason,
    PeriodKind,
    kyiv_day,
    kyiv_midnight,
    last_month,
    parse_range,
    preset,
    this_month,
    this_week,
    today,
    yesterday,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# 2026-11-27 12:00 UTC is a Friday, 14:00 in Kyiv (UTC+2 in winter).
NOW = utc(2026, 11, 27, 12, 0)


def test_kyiv_midnight_in_winter_and_summer() -> None:
    assert kyiv_midnight(date(2026, 1, 15)) == utc(2026, 1, 14, 22, 0)  # UTC+2
    assert kyiv_midnight(date(2026, 7, 15)) == utc(2026, 7, 14, 21, 0)  # UTC+3


def test_today_is_the_kyiv_day_not_the_utc_day() -> None:
    # 22:30 UTC on the 27th is already 00:30 on the 28th in Kyiv.
    late = utc(2026, 11, 27, 22, 30)
    period = today(late)
    assert period.first_day == period.last_day == date(2026, 11, 28)
    assert period.start == utc(2026, 11, 27, 22, 0)
    assert period.end == utc(2026, 11, 28, 22, 0)
    assert period.kind is PeriodKind.TODAY
    # and a minute before Kyiv midnight it is still the 27th
    assert today(utc(2026, 11, 27, 21, 59)).first_day == date(2026, 11, 27)


def test_around_midnight_bounds_are_half_open() -> None:
    period = today(NOW)
    assert period.contains(utc(2026, 11, 26, 22, 0))  # Kyiv 00:00 of the 27th
    assert not period.contains(utc(2026, 11, 26, 21, 59, 59, 999999))
    assert period.contains(utc(2026, 11, 27, 21, 59, 59, 999999))
    assert not period.contains(utc(2026, 11, 27, 22, 0))  # Kyiv 00:00 of the 28th


def test_yesterday() -> None:
    period = yesterday(NOW)
    assert (period.first_day, period.last_day) == (date(2026, 11, 26), date(2026, 11, 26))
    assert period.end == today(NOW).start
    # yesterday of the first of the month (Kyiv) is the last of the previous one
    assert yesterday(utc(2026, 11, 30, 22, 30)).first_day == date(2026, 11, 30)
    assert yesterday(utc(2026, 1, 1, 0, 0)).first_day == date(2025, 12, 31)


def test_this_week_starts_on_monday() -> None:
    period = this_week(NOW)  # Friday 27.11.2026
    assert period.first_day == date(2026, 11, 23)
    assert period.first_day.weekday() == 0
    assert period.last_day == date(2026, 11, 29)
    assert len(period.days) == 7
    # Sunday 23:30 in Kyiv belongs to the week that began on Monday
    sunday_late = datetime(2026, 11, 29, 23, 30, tzinfo=KYIV)
    assert this_week(sunday_late).first_day == date(2026, 11, 23)
    # and Monday 00:10 in Kyiv (still Sunday in UTC) starts a new one
    monday_early = datetime(2026, 11, 30, 0, 10, tzinfo=KYIV)
    assert monday_early.astimezone(UTC).date() == date(2026, 11, 29)
    assert this_week(monday_early).first_day == date(2026, 11, 30)


def test_this_week_across_the_year_end() -> None:
    period = this_week(utc(2027, 1, 1, 10, 0))  # a Friday
    assert period.first_day == date(2026, 12, 28)
    assert period.last_day == date(2027, 1, 3)


def test_this_month_is_the_whole_month() -> None:
    period = this_month(NOW)
    assert (period.first_day, period.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert len(period.days) == 30
    assert period.days[0] == date(2026, 11, 1)
    assert period.days[-1] == date(2026, 11, 30)
    assert len(this_month(utc(2026, 12, 5)).days) == 31
    assert len(this_month(utc(2026, 2, 5)).days) == 28
    assert len(this_month(utc(2028, 2, 5)).days) == 29


def test_last_month() -> None:
    period = last_month(NOW)
    assert (period.first_day, period.last_day) == (date(2026, 10, 1), date(2026, 10, 31))
    assert len(period.days) == 31
    january = last_month(utc(2027, 1, 10))
    assert (january.first_day, january.last_day) == (date(2026, 12, 1), date(2026, 12, 31))
    # on Kyiv's 1st of December at 00:30 (still 30.11 in UTC) last month is November
    early = datetime(2026, 12, 1, 0, 30, tzinfo=KYIV)
    assert last_month(early).first_day == date(2026, 11, 1)


def test_preset_dispatch() -> None:
    for kind, make in [
        (PeriodKind.TODAY, today),
        (PeriodKind.YESTERDAY, yesterday),
        (PeriodKind.THIS_WEEK, this_week),
        (PeriodKind.THIS_MONTH, this_month),
        (PeriodKind.LAST_MONTH, last_month),
    ]:
        assert preset(kind, NOW) == make(NOW)
    with pytest.raises(ValueError, match="not a preset"):
        preset(PeriodKind.RANGE, NOW)


# DST: Kyiv went to summer time on Sunday 29.03.2026 (03:00 -> 04:00) and back to winter
# time on Sunday 25.10.2026 (04:00 -> 03:00).


def test_spring_change_day_lasts_23_hours() -> None:
    period = today(utc(2026, 3, 29, 12, 0))
    assert period.first_day == date(2026, 3, 29)
    assert period.start == utc(2026, 3, 28, 22, 0)  # UTC+2 before
    assert period.end == utc(2026, 3, 29, 21, 0)  # UTC+3 after
    assert period.end - period.start == timedelta(hours=23)


def test_autumn_change_day_lasts_25_hours() -> None:
    period = today(utc(2026, 10, 25, 12, 0))
    assert period.first_day == date(2026, 10, 25)
    assert period.start == utc(2026, 10, 24, 21, 0)  # UTC+3 before
    assert period.end == utc(2026, 10, 25, 22, 0)  # UTC+2 after
    assert period.end - period.start == timedelta(hours=25)


def test_months_with_a_dst_change() -> None:
    march = this_month(utc(2026, 3, 10))
    assert march.start == utc(2026, 2, 28, 22, 0)
    assert march.end == utc(2026, 3, 31, 21, 0)
    assert march.end - march.start == timedelta(days=31, hours=-1)
    october = last_month(NOW)
    assert october.start == utc(2026, 9, 30, 21, 0)
    assert october.end == utc(2026, 10, 31, 22, 0)
    assert october.end - october.start == timedelta(days=31, hours=1)


def test_day_of_across_the_autumn_change() -> None:
    period = last_month(NOW)
    # the repeated hour 03:00-04:00 Kyiv: both 00:30 and 01:30 UTC are on the 25th
    assert period.day_of(utc(2026, 10, 25, 0, 30)) == date(2026, 10, 25)
    assert period.day_of(utc(2026, 10, 25, 1, 30)) == date(2026, 10, 25)
    # 21:59 UTC on the 25th is 23:59 Kyiv (UTC+2 by then); 22:00 is the 26th
    assert period.day_of(utc(2026, 10, 25, 21, 59)) == date(2026, 10, 25)
    assert period.day_of(utc(2026, 10, 25, 22, 0)) == date(2026, 10, 26)
    # the day before: 20:59 UTC is 23:59 Kyiv (UTC+3), 21:00 is the 25th already
    assert period.day_of(utc(2026, 10, 24, 20, 59)) == date(2026, 10, 24)
    assert period.day_of(utc(2026, 10, 24, 21, 0)) == date(2026, 10, 25)


def test_day_of_across_the_spring_change() -> None:
    period = this_month(utc(2026, 3, 10))
    assert period.day_of(utc(2026, 3, 28, 21, 59)) == date(2026, 3, 28)
    assert period.day_of(utc(2026, 3, 28, 22, 0)) == date(2026, 3, 29)
    assert period.day_of(utc(2026, 3, 29, 20, 59)) == date(2026, 3, 29)
    assert period.day_of(utc(2026, 3, 29, 21, 0)) == date(2026, 3, 30)


def test_every_instant_maps_to_a_day_of_the_period_and_days_tile_the_interval() -> None:
    period = Period(PeriodKind.RANGE, date(2026, 3, 27), date(2026, 10, 27))
    assert len(period.days) == 215
    # consecutive days' midnights tile [start, end) exactly
    bounds = [kyiv_midnight(d) for d in period.days] + [period.end]
    assert bounds[0] == period.start
    lengths = {b - a for a, b in itertools.pairwise(bounds)}
    assert lengths == {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25)}
    moment = period.start
    while moment < period.end:
        assert period.day_of(moment) in period.days
        moment += timedelta(minutes=37)


def test_day_of_refuses_instants_outside_and_naive_ones() -> None:
    period = today(NOW)
    with pytest.raises(ValueError, match="outside"):
        period.day_of(period.end)
    with pytest.raises(ValueError, match="outside"):
        period.day_of(period.start - timedelta(microseconds=1))
    with pytest.raises(ValueError, match="naive"):
        period.day_of(datetime(2026, 11, 27, 12, 0))
    with pytest.raises(ValueError, match="naive"):
        today(datetime(2026, 11, 27, 12, 0))


def test_any_timezone_is_accepted() -> None:
    new_york = timezone(timedelta(hours=-5))
    assert kyiv_day(datetime(2026, 11, 27, 19, 30, tzinfo=new_york)) == date(2026, 11, 28)


def test_a_period_cannot_be_reversed() -> None:
    with pytest.raises(ValueError):
        Period(PeriodKind.RANGE, date(2026, 11, 2), date(2026, 11, 1))


def test_range_text() -> None:
    assert last_month(NOW).range_text() == "01.10.2026–31.10.2026"
    assert today(NOW).range_text() == "27.11.2026"


# typed ranges


@pytest.mark.parametrize(
    "text",
    [
        "01.11.2026–30.11.2026",  # en dash
        "01.11.2026-30.11.2026",  # hyphen-minus
        "01.11.2026—30.11.2026",  # em dash
        "01.11.2026 – 30.11.2026",
        "  01.11.2026 -  30.11.2026 ",
        "1.11.2026–30.11.2026",
        "01.11.2026\u00a0–\u00a030.11.2026",  # no-break spaces from a phone keyboard
        "01.11.2026\u221230.11.2026",  # minus sign
        "1.11.2026\u201130.11.2026",  # non-breaking hyphen
    ],
)
def test_parse_range_accepts(text: str) -> None:
    period = parse_range(text, utc(2026, 12, 10, 9, 0))
    assert period.kind is PeriodKind.RANGE
    assert (period.first_day, period.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert period.start == utc(2026, 10, 31, 22, 0)
    assert period.end == utc(2026, 11, 30, 22, 0)


def test_parse_single_date_is_one_day() -> None:
    period = parse_range("5.11.2026", NOW)
    assert period.first_day == period.last_day == date(2026, 11, 5)
    assert len(period.days) == 1
    assert parse_range(" 05.11.2026 ", NOW) == period


def test_parse_range_of_one_day_written_twice() -> None:
    period = parse_range("27.11.2026–27.11.2026", NOW)
    assert period.days == (date(2026, 11, 27),)


def test_parse_range_up_to_today_in_kyiv() -> None:
    # 22:30 UTC on the 27th is the 28th in Kyiv: the 28th is "today", not the future
    assert parse_range("28.11.2026", utc(2026, 11, 27, 22, 30)).last_day == date(2026, 11, 28)
    with pytest.raises(PeriodError) as caught:
        parse_range("28.11.2026", utc(2026, 11, 27, 21, 59))
    assert caught.value.reason is PeriodErrorReason.FUTURE


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", PeriodErrorReason.MALFORMED),
        ("november", PeriodErrorReason.MALFORMED),
        ("01.11.26–30.11.26", PeriodErrorReason.MALFORMED),
        ("01/11/2026–30/11/2026", PeriodErrorReason.MALFORMED),
        ("2026-11-01", PeriodErrorReason.MALFORMED),
        ("01.11.2026–", PeriodErrorReason.MALFORMED),
        ("01.11.2026 30.11.2026", PeriodErrorReason.MALFORMED),
        ("01.11.2026–30.11.2026–01.12.2026", PeriodErrorReason.MALFORMED),
        ("01.11.2026..30.11.2026", PeriodErrorReason.MALFORMED),
        ("31.02.2026", PeriodErrorReason.NO_SUCH_DATE),
        ("01.13.2026–02.13.2026", PeriodErrorReason.NO_SUCH_DATE),
        ("00.11.2026", PeriodErrorReason.NO_SUCH_DATE),
        ("30.11.2026–01.11.2026", PeriodErrorReason.REVERSED),
        ("02.11.2026–01.11.2026", PeriodErrorReason.REVERSED),
        ("01.11.2026–28.11.2026", PeriodErrorReason.FUTURE),
        ("01.01.2027", PeriodErrorReason.FUTURE),
        ("01.01.2025–27.11.2026", PeriodErrorReason.TOO_LONG),
    ],
)
def test_parse_range_refuses(text: str, reason: PeriodErrorReason) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_range(text, NOW)
    assert caught.value.reason is reason
    assert isinstance(caught.value, ValueError)


def test_too_long_limit_is_366_days() -> None:
    # 27.11.2025..27.11.2026 is 366 days: allowed; one more day is not
    assert len(parse_range("27.11.2025–27.11.2026", NOW).days) == MAX_RANGE_DAYS
    with pytest.raises(PeriodError) as caught:
        parse_range("26.11.2025–27.11.2026", NOW)
    assert caught.value.reason is PeriodErrorReason.TOO_LONG
    assert len(parse_range("01.11.2026–27.11.2026", NOW, max_days=27).days) == 27
    with pytest.raises(PeriodError):
        parse_range("01.11.2026–27.11.2026", NOW, max_days=26)
