"""Report arithmetic over plain rows: buckets, refunds, channels, cashiers and Kyiv days."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.core.periods import Period, PeriodKind, last_month, today
from services.reports.totals import (
    Bucket,
    Report,
    ReportRow,
    Totals,
    build_report,
    build_reports,
    row_totals,
)
from storage.models.receipts import Channel, ReceiptStatus

S = ReceiptStatus
ALICE, BOB = 111, 222


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


MADE = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)


def row(
    status: ReceiptStatus = S.PAID,
    amount: int = 10_000,
    *,
    refunded: int = 0,
    currency: str = "UAH",
    channel: Channel = Channel.LINK,
    cashier_id: int = ALICE,
    created_at: datetime = MADE,
    paid_at: datetime | None = None,
    fiscal: bool = False,
) -> ReportRow:
    if paid_at is None and status in (S.PAID, S.REFUNDED):
        paid_at = created_at + timedelta(minutes=5)
    return ReportRow(
        status=status,
        amount=amount,
        refunded=refunded,
        currency=currency,
        channel=channel,
        cashier_id=cashier_id,
        created_at=created_at,
        paid_at=paid_at,
        fiscal_registered=fiscal,
    )


NOVEMBER = Period(PeriodKind.RANGE, date(2026, 11, 1), date(2026, 11, 30))


def one(rows: list[ReportRow], period: Period = NOVEMBER) -> Report:
    return build_report(rows, period, currency="UAH")


def test_empty_period_has_every_day_and_channel_at_zero() -> None:
    report = one([])
    assert report.totals == Totals()
    assert report.totals.is_empty
    assert report.currency == "UAH"
    assert report.period == NOVEMBER
    assert list(report.paid_by_day) == list(NOVEMBER.days)
    assert len(report.paid_by_day) == 30
    assert set(report.paid_by_day.values()) == {Bucket()}
    assert list(report.by_channel) == list(Channel)
    assert report.by_cashier == {}
    assert report.paid_kopecks_by_day == dict.fromkeys(NOVEMBER.days, 0)


def test_each_status_lands_in_its_bucket() -> None:
    rows = [
        row(S.PAID, 10_050, fiscal=True),
        row(S.PAID, 20_000),
        row(S.AWAITING, 1_000),
        row(S.AWAITING, 2_000),
        row(S.AWAITING, 3_000),
        row(S.FAILED, 4_000),
        row(S.EXPIRED, 5_000),
        row(S.CANCELLED, 6_000),
        row(S.CANCELLED, 7_000),
        row(S.DRAFT, 99_999),
    ]
    totals = one(rows).totals
    assert totals.paid == Bucket(2, 30_050)
    assert totals.fiscal_registered == Bucket(1, 10_050)
    assert totals.fiscal_unregistered == Bucket(1, 20_000)
    assert totals.awaiting == Bucket(3, 6_000)
    assert totals.failed == Bucket(1, 4_000)
    assert totals.expired == Bucket(1, 5_000)
    assert totals.cancelled == Bucket(2, 13_000)
    assert totals.refunded_full == totals.refunded_partial == Bucket()
    assert totals.net_kopecks == 30_050
    assert not totals.is_empty


def test_refunds_full_and_partial() -> None:
    rows = [
        row(S.REFUNDED, 10_000, refunded=10_000),
        row(S.REFUNDED, 5_000),  # reversed with no refunded sum known: the whole amount
        row(S.PAID, 8_000, refunded=8_000),  # fully refunded, status not updated yet
        row(S.PAID, 20_000, refunded=2_550, fiscal=True),
        row(S.PAID, 1_000, refunded=1),
        row(S.PAID, 3_000),
    ]
    totals = one(rows).totals
    assert totals.paid == Bucket(6, 47_000)  # the money came in for all of them
    assert totals.refunded_full == Bucket(3, 23_000)
    assert totals.refunded_partial == Bucket(2, 2_551)
    assert totals.refunded_count == 5
    assert totals.refunded_kopecks == 25_551
    assert totals.net_kopecks == 47_000 - 25_551
    assert totals.fiscal_registered == Bucket(1, 20_000)
    assert totals.fiscal_unregistered == Bucket(5, 27_000)


def test_per_channel_and_per_cashier() -> None:
    rows = [
        row(S.PAID, 100, channel=Channel.EMAIL, cashier_id=ALICE),
        row(S.PAID, 200, channel=Channel.SMS, cashier_id=BOB),
        row(S.PAID, 300, channel=Channel.SMS, cashier_id=BOB, refunded=50),
        row(S.AWAITING, 400, channel=Channel.PRIVAT24, cashier_id=ALICE),
        row(S.EXPIRED, 500, channel=Channel.LINK, cashier_id=BOB),
    ]
    report = one(rows)
    assert report.by_channel[Channel.EMAIL].paid == Bucket(1, 100)
    assert report.by_channel[Channel.SMS].paid == Bucket(2, 500)
    assert report.by_channel[Channel.SMS].refunded_partial == Bucket(1, 50)
    assert report.by_channel[Channel.PRIVAT24].awaiting == Bucket(1, 400)
    assert report.by_channel[Channel.PRIVAT24].paid == Bucket()
    assert report.by_channel[Channel.LINK].expired == Bucket(1, 500)
    assert list(report.by_cashier) == [ALICE, BOB]
    assert report.by_cashier[ALICE].paid == Bucket(1, 100)
    assert report.by_cashier[ALICE].awaiting == Bucket(1, 400)
    assert report.by_cashier[BOB].paid == Bucket(2, 500)
    assert report.by_cashier[BOB].expired == Bucket(1, 500)
    # the parts add up to the whole
    assert sum(report.by_channel.values(), Totals()) == report.totals
    assert sum(report.by_cashier.values(), Totals()) == report.totals


def test_a_cashier_with_only_a_draft_is_not_listed() -> None:
    report = one([row(S.DRAFT, cashier_id=BOB), row(S.PAID, cashier_id=ALICE)])
    assert list(report.by_cashier) == [ALICE]


def test_paid_receipts_are_placed_by_paid_at_others_by_created_at() -> None:
    made_in_october = utc(2026, 10, 31, 12, 0)
    rows = [
        # made in October, paid in November: November's takings
        row(S.PAID, 1_000, created_at=made_in_october, paid_at=utc(2026, 11, 2, 9, 0)),
        # made in November, paid in December: not November's
        row(S.PAID, 2_000, created_at=utc(2026, 11, 30, 12, 0), paid_at=utc(2026, 12, 1, 9, 0)),
        # an awaiting one made in October is October's even if it is still awaiting
        row(S.AWAITING, 3_000, created_at=made_in_october),
        row(S.AWAITING, 4_000, created_at=utc(2026, 11, 5, 9, 0)),
    ]
    report = one(rows)
    assert report.totals.paid == Bucket(1, 1_000)
    assert report.totals.awaiting == Bucket(1, 4_000)
    assert report.paid_by_day[date(2026, 11, 2)] == Bucket(1, 1_000)
    october = build_report(rows, last_month(utc(2026, 11, 27)), currency="UAH")
    assert october.totals.paid == Bucket()
    assert october.totals.awaiting == Bucket(1, 3_000)


def test_days_begin_at_kyiv_midnight() -> None:
    rows = [
        # 21:59 UTC on the 10th is 23:59 in Kyiv: the 10th
        row(S.PAID, 100, paid_at=utc(2026, 11, 10, 21, 59)),
        # 22:00 UTC on the 10th is 00:00 on the 11th in Kyiv
        row(S.PAID, 200, paid_at=utc(2026, 11, 10, 22, 0)),
        row(S.PAID, 300, paid_at=utc(2026, 11, 11, 1, 0)),
    ]
    report = one(rows)
    assert report.paid_by_day[date(2026, 11, 10)] == Bucket(1, 100)
    assert report.paid_by_day[date(2026, 11, 11)] == Bucket(2, 500)


def test_period_bounds_are_kyiv_midnights() -> None:
    rows = [
        row(S.PAID, 1, paid_at=utc(2026, 10, 31, 21, 59)),  # 23:59 on 31.10 in Kyiv
        row(S.PAID, 10, paid_at=utc(2026, 10, 31, 22, 0)),  # 00:00 on 1.11
        row(S.PAID, 100, paid_at=utc(2026, 11, 30, 21, 59)),  # 23:59 on 30.11
        row(S.PAID, 1000, paid_at=utc(2026, 11, 30, 22, 0)),  # 00:00 on 1.12
        row(S.AWAITING, 5, created_at=utc(2026, 10, 31, 21, 59)),
        row(S.AWAITING, 50, created_at=utc(2026, 10, 31, 22, 0)),
    ]
    report = one(rows)
    assert report.totals.paid == Bucket(2, 110)
    assert report.totals.awaiting == Bucket(1, 50)
    assert report.paid_by_day[date(2026, 11, 1)] == Bucket(1, 10)
    assert report.paid_by_day[date(2026, 11, 30)] == Bucket(1, 100)


def test_across_the_autumn_dst_change() -> None:
    october = last_month(utc(2026, 11, 27))
    rows = [
        # Kyiv 25.10: 00:30 UTC is 03:30 summer time, 01:30 UTC is 03:30 winter time
        row(S.PAID, 1, paid_at=utc(2026, 10, 25, 0, 30)),
        row(S.PAID, 2, paid_at=utc(2026, 10, 25, 1, 30)),
        # the 25th lasts 25 hours: 21:30 UTC is 23:30 in Kyiv, still the 25th
        row(S.PAID, 4, paid_at=utc(2026, 10, 25, 21, 30)),
        # and on the 24th, still summer time, 21:00 UTC was already the 25th
        row(S.PAID, 8, paid_at=utc(2026, 10, 24, 21, 0)),
        row(S.PAID, 16, paid_at=utc(2026, 10, 24, 20, 59)),
        # the month's last hour in Kyiv (winter time, UTC+2) and the first of November
        row(S.PAID, 32, paid_at=utc(2026, 10, 31, 21, 59)),
        row(S.PAID, 64, paid_at=utc(2026, 10, 31, 22, 0)),
        # the month's first instant, in summer time (UTC+3)
        row(S.PAID, 128, paid_at=utc(2026, 9, 30, 21, 0)),
        row(S.PAID, 256, paid_at=utc(2026, 9, 30, 20, 59)),
    ]
    report = build_report(rows, october, currency="UAH")
    assert report.paid_by_day[date(2026, 10, 25)] == Bucket(4, 15)
    assert report.paid_by_day[date(2026, 10, 24)] == Bucket(1, 16)
    assert report.paid_by_day[date(2026, 10, 31)] == Bucket(1, 32)
    assert report.paid_by_day[date(2026, 10, 1)] == Bucket(1, 128)
    assert report.totals.paid == Bucket(7, 1 + 2 + 4 + 8 + 16 + 32 + 128)
    assert len(report.paid_by_day) == 31


def test_across_the_spring_dst_change() -> None:
    day = today(utc(2026, 3, 29, 12, 0))  # 23 hours long
    rows = [
        row(S.PAID, 1, paid_at=utc(2026, 3, 28, 21, 59)),  # 23:59 on the 28th (UTC+2)
        row(S.PAID, 2, paid_at=utc(2026, 3, 28, 22, 0)),  # 00:00 on the 29th
        row(S.PAID, 4, paid_at=utc(2026, 3, 29, 20, 59)),  # 23:59 on the 29th (UTC+3)
        row(S.PAID, 8, paid_at=utc(2026, 3, 29, 21, 0)),  # 00:00 on the 30th
    ]
    report = build_report(rows, day, currency="UAH")
    assert report.totals.paid == Bucket(2, 6)
    assert report.paid_by_day == {date(2026, 3, 29): Bucket(2, 6)}


def test_other_currencies_get_their_own_report() -> None:
    rows = [
        row(S.PAID, 100, currency="USD"),
        row(S.PAID, 1_000),
        row(S.PAID, 7, currency="EUR"),
        row(S.AWAITING, 5, currency="USD"),
    ]
    uah, eur, usd = build_reports(rows, NOVEMBER, currency="UAH")
    assert (uah.currency, eur.currency, usd.currency) == ("UAH", "EUR", "USD")
    assert uah.totals.paid == Bucket(1, 1_000)
    assert eur.totals.paid == Bucket(1, 7)
    assert usd.totals.paid == Bucket(1, 100)
    assert usd.totals.awaiting == Bucket(1, 5)
    assert build_report(rows, NOVEMBER, currency="UAH") == uah
    # the shop's currency comes first even when it has nothing
    only_usd = build_reports([row(S.PAID, 1, currency="USD")], NOVEMBER, currency="UAH")
    assert [r.currency for r in only_usd] == ["UAH", "USD"]
    assert only_usd[0].totals.is_empty


def test_rows_are_consumed_once_as_a_stream() -> None:
    def stream() -> Any:
        for i in range(1, 1001):
            yield row(S.PAID, i, paid_at=utc(2026, 11, 1 + i % 30, 12, 0))

    report = one(stream())
    assert report.totals.paid == Bucket(1000, 1000 * 1001 // 2)
    assert sum(b.kopecks for b in report.paid_by_day.values()) == 1000 * 1001 // 2


def test_row_totals_of_one_receipt() -> None:
    assert row_totals(row(S.DRAFT)) == Totals()
    assert row_totals(row(S.PAID, 5, fiscal=True)) == Totals(
        paid=Bucket(1, 5), fiscal_registered=Bucket(1, 5)
    )


def test_bucket_and_totals_add_up() -> None:
    assert Bucket(1, 5) + Bucket(2, 7) == Bucket(3, 12)
    assert Bucket().add(5).add(7) == Bucket(2, 12)
    a = Totals(paid=Bucket(1, 10), awaiting=Bucket(2, 3))
    b = Totals(paid=Bucket(2, 5), refunded_partial=Bucket(1, 1))
    assert a + b == Totals(paid=Bucket(3, 15), awaiting=Bucket(2, 3), refunded_partial=Bucket(1, 1))


def test_report_is_frozen() -> None:
    report = one([row()])
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.totals = Totals()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.totals.paid = Bucket()  # type: ignore[misc]


@pytest.mark.parametrize("bad", [Decimal("100.5"), 100.0, "100", True])
def test_amounts_must_be_integer_kopecks(bad: Any) -> None:
    with pytest.raises(TypeError, match="integer kopecks"):
        row(S.PAID, bad)
    with pytest.raises(TypeError, match="integer kopecks"):
        row(S.PAID, 100, refunded=bad)


def test_impossible_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        row(S.PAID, -1)
    with pytest.raises(ValueError, match="more than the amount"):
        row(S.PAID, 100, refunded=101)
