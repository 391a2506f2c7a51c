"""Contract: the report summed by the store (report_groups, services/reports/sums.py) is the
report counted row by row (report_rows, services/reports/totals.py), on every engine."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.core.periods import Period, PeriodKind, kyiv_day
from services.reports.service import ReportingService
from storage.models.fiscal import FiscalState
from storage.models.receipts import Channel, EventSource, ReceiptChanges, ReceiptStatus
from storage.models.shops import Member, Role
from storage.protocols.store import Store
from storage.sqlite.migrations import MIGRATIONS as SQLITE_MIGRATIONS
from storage.sqlite.report_groups import _SQL, CHANNEL_AT, INDEX, STATUS_AT
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import new_draft

S = ReceiptStatus


async def receipt(
    store: Store,
    clock: FakeClock,
    shop_id: int,
    key: str,
    *,
    amount: int,
    end: ReceiptStatus,
    cashier_id: int = 1,
    currency: str = "UAH",
    channel: Channel = Channel.EMAIL,
    paid_later: timedelta = timedelta(0),
    refunded: int = 0,
) -> None:
    draft = replace(
        new_draft(shop_id, clock, key=key, cashier_id=cashier_id, amount=amount),
        currency=currency,
        channel=channel,
    )
    made, _ = await store.receipts.create_draft(draft, clock())
    moved = await store.receipts.transition(
        made.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=clock()
    )
    assert moved is not None
    if end in (S.EXPIRED, S.CANCELLED):
        await store.receipts.transition(
            made.id, expected=[S.AWAITING], new=end, source=EventSource.POLL, now=clock()
        )
    if end is S.PAID:
        paid_at = clock() + paid_later
        fiscal = FiscalState.NOT_REGISTERED if amount % 2 else None
        await store.receipts.transition(
            made.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK,
            now=paid_at, changes=ReceiptChanges(paid_at=paid_at, fiscal_state=fiscal),
        )  # fmt: skip
        if refunded:
            await store.refunds.record_refunded(
                made.id, expected_refunded=0, refunded=refunded,
                status=S.REFUNDED if refunded == amount else S.PAID,
                source=EventSource.USER, now=paid_at,
            )  # fmt: skip


async def test_summed_by_the_store_is_counted_row_by_row(store: Store, clock: FakeClock) -> None:
    owner = await make_owner(store, clock, owner_id=1)
    shop = owner.shop_id
    # just before a Kyiv midnight: some are paid after it (counted on the next day)
    clock.now = datetime(2026, 11, 9, 21, 50, tzinfo=UTC)  # 23:50 in Kyiv
    n = 0
    for day in range(4):
        for end, amount, refunded, later in (
            (S.PAID, 10001, 0, timedelta(minutes=20)),
            (S.PAID, 20000, 5000, timedelta(0)),
            (S.PAID, 3000, 3000, timedelta(0)),
            (S.AWAITING, 777, 0, timedelta(0)),
            (S.EXPIRED, 500, 0, timedelta(0)),
            (S.CANCELLED, 400, 0, timedelta(0)),
        ):
            n += 1
            await receipt(
                store, clock, shop, f"g{n}", amount=amount + day, end=end, refunded=refunded,
                paid_later=later, cashier_id=1 + n % 2,
                channel=(Channel.EMAIL, Channel.SMS, Channel.LINK)[n % 3],
            )  # fmt: skip
        await receipt(store, clock, shop, f"usd{day}", amount=999, end=S.PAID, currency="USD")
        clock.advance(days=1)
    other = (await make_owner(store, clock, owner_id=9)).shop_id
    await receipt(store, clock, other, "elsewhere", amount=5555, end=S.PAID)
    service = ReportingService(store.reports, store.settings, batch_size=7)
    first = kyiv_day(datetime(2026, 11, 9, 21, 50, tzinfo=UTC))
    for period in (
        Period(PeriodKind.RANGE, first, first + timedelta(days=3)),
        Period(PeriodKind.RANGE, first + timedelta(days=1), first + timedelta(days=1)),
        Period(PeriodKind.RANGE, first - timedelta(days=5), first + timedelta(days=10)),
    ):
        for member in (owner, Member(shop, "Shop 1", 2, Role.CASHIER, "Cashier")):
            rows = await service.report(member, period)
            summed = await service.summary(member, period)
            assert summed == rows
            assert rows[0].totals.paid.count > 0


async def test_summed_by_day_right_around_kyiv_midnights_in_summer_winter_and_dst(
    store: Store, clock: FakeClock
) -> None:
    """Kyiv midnight is 21:00 UTC in summer, 22:00 in winter: receipts paid just before and
    after each, on the days the clocks change too, fall on the days row by row says."""
    owner = await make_owner(store, clock, owner_id=1)
    n = 0
    moments = []
    days = ((7, 14), (12, 14), (3, 28), (3, 29), (10, 24), (10, 25))  # DST: Mar 29, Oct 25
    for day in (datetime(2026, month, d, tzinfo=UTC) for month, d in days):
        for hour, minute in ((20, 59), (21, 0), (21, 30), (21, 59), (22, 0), (22, 1), (0, 30)):
            moments.append(day.replace(hour=hour, minute=minute))
    for moment in moments:
        n += 1
        clock.now = moment - timedelta(minutes=1)
        await receipt(store, clock, owner.shop_id, f"m{n}", amount=1000 + n, end=S.PAID,
                      paid_later=timedelta(minutes=1))  # fmt: skip
    service = ReportingService(store.reports, store.settings, batch_size=5)
    for first in (kyiv_day(m) for m in moments[::7]):
        period = Period(PeriodKind.RANGE, first - timedelta(days=1), first + timedelta(days=2))
        rows = await service.report(owner, period)
        assert await service.summary(owner, period) == rows
        assert rows[0].totals.paid.count > 0
        by_day = rows[0].paid_by_day
        assert sum(b.count for b in by_day.values()) == rows[0].totals.paid.count


def test_sqlite_sums_the_report_by_its_index_with_no_sort(tmp_path: Path) -> None:
    """The migration's index is report_groups' expression letter for letter, and a month's
    report reads that index in group order (no temporary B-tree: no sort)."""
    step = " ".join(SQLITE_MIGRATIONS[-1].split())
    assert " ".join(INDEX.split()) + ";" in step
    db = sqlite3.connect(tmp_path / "plan.sqlite3")
    for script in SQLITE_MIGRATIONS:
        db.executescript(script)
    for cashier, params in (("", (1, 0, 1, 0, 1)), ("AND cashier_id + 0 = ? ", (1, 0, 1, 0, 1, 2))):
        sql = _SQL.format(cashier=cashier)
        plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "receipts_report_groups" in plan
        assert "TEMP B-TREE" not in plan
    # every status and channel has its code
    assert set(STATUS_AT.values()) == set(ReceiptStatus)
    assert set(CHANNEL_AT.values()) == set(Channel)
