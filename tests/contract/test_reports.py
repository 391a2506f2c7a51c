"""Contract: the period queries behind /report and /export — rows equal what was stored,
[start, end) boundaries, the cashier filter, the order, and batching past the batch size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from services.core.periods import Period, PeriodKind
from services.reports.totals import stream_reports
from storage.models.fiscal import FiscalChanges, FiscalState
from storage.models.receipts import (
    Channel,
    EventSource,
    NewDraft,
    Receipt,
    ReceiptChanges,
    ReceiptStatus,
)
from storage.models.reports import ExportRow, ReportRow
from storage.protocols.store import Store

S = ReceiptStatus
T = TypeVar("T")
START = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)  # Kyiv midnight opening 1 Nov 2026
END = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # Kyiv midnight closing 30 Nov 2026
OWNER, CASHIER, OTHER_OWNER = 10, 20, 30
_keys = iter(range(1, 10**9))


async def collect(rows: AsyncIterator[T]) -> list[T]:
    return [row async for row in rows]


async def shop_with_cashier(store: Store) -> int:
    shop = await store.shops.create_shop(OWNER, "Olena", "Кав'ярня", START - timedelta(days=60))
    await store.shops.create_invite(
        shop.shop_id, "invite-1", OWNER, START - timedelta(days=60), END + timedelta(days=60)
    )
    await store.shops.redeem_invite("invite-1", CASHIER, "Іван", START - timedelta(days=59))
    return shop.shop_id


async def receipt(
    store: Store,
    shop_id: int,
    created: datetime,
    *,
    status: ReceiptStatus = S.AWAITING,
    paid: datetime | None = None,
    cashier_id: int = OWNER,
    amount: int = 25050,
    channel: Channel = Channel.EMAIL,
    contact: str | None = "buyer@example.com",
    currency: str = "UAH",
) -> Receipt:
    key = f"k{next(_keys)}"
    draft = NewDraft(
        shop_id=shop_id,
        cashier_id=cashier_id,
        amount=amount,
        currency=currency,
        description=f"Кава {key}",
        channel=channel,
        contact=contact,
        idempotency_key=key,
        order_id=f"order-{key}",
        expires_at=created + timedelta(days=1),
    )
    made, _ = await store.receipts.create_draft(draft, created)
    if status is S.DRAFT:
        return made
    moved = await store.receipts.transition(
        made.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=created
    )
    assert moved is not None
    if status in (S.PAID, S.REFUNDED):
        changes = ReceiptChanges(paid_at=paid or created, payment_id=f"pay-{key}")
        moved = await store.receipts.transition(
            made.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK,
            now=paid or created, changes=changes,
        )  # fmt: skip
        assert moved is not None
    if status is S.REFUNDED:
        moved = await store.receipts.transition(
            made.id, expected=[S.PAID], new=S.REFUNDED, source=EventSource.CALLBACK,
            now=paid or created,
        )  # fmt: skip
    elif status is not S.AWAITING and status is not S.PAID:
        moved = await store.receipts.transition(
            made.id, expected=[S.AWAITING], new=status, source=EventSource.POLL, now=created
        )
    assert moved is not None
    return moved


def refunded(r: Receipt) -> int:
    """A receipt refunded before refunds were tracked counts as refunded in full."""
    if r.status is S.REFUNDED and r.refunded_amount == 0:
        return r.amount
    return r.refunded_amount


def as_report_row(r: Receipt) -> ReportRow:
    return ReportRow(
        status=r.status,
        amount=r.amount,
        refunded=refunded(r),
        currency=r.currency,
        channel=r.channel,
        cashier_id=r.cashier_id,
        created_at=r.created_at,
        paid_at=r.paid_at,
        fiscal_registered=r.fiscal_state is FiscalState.REGISTERED,
    )


def as_export_row(r: Receipt, cashier: str) -> ExportRow:
    return ExportRow(
        number=r.number,
        created_at=r.created_at,
        paid_at=r.paid_at,
        cashier=cashier,
        amount=r.amount,
        currency=r.currency,
        description=r.description,
        channel=r.channel,
        contact=r.contact,
        status=r.status,
        payment_id=r.payment_id,
        fiscal_number=r.fiscal_code,
        refunded=refunded(r),
    )


async def test_rows_equal_what_was_stored(store: Store) -> None:
    shop = await shop_with_cashier(store)
    day = START + timedelta(days=3, hours=9, microseconds=123456)
    made = [
        await receipt(store, shop, day, status=S.PAID, paid=day + timedelta(minutes=5)),
        await receipt(store, shop, day, status=S.REFUNDED, cashier_id=CASHIER, amount=99),
        await receipt(store, shop, day, status=S.EXPIRED, channel=Channel.SMS, contact="38050"),
        await receipt(store, shop, day, status=S.CANCELLED, channel=Channel.LINK, contact=None),
        await receipt(store, shop, day, status=S.FAILED, currency="USD"),
        await receipt(store, shop, day),  # awaiting
        await receipt(store, shop, day, status=S.DRAFT),
    ]
    reported = await collect(store.reports.report_rows(shop, START, END))
    assert reported == [as_report_row(r) for r in made]
    exported = await collect(store.reports.export_rows(shop, START, END))
    names = {OWNER: "Olena", CASHIER: "Іван"}
    assert exported == [as_export_row(r, names[r.cashier_id]) for r in made]
    assert exported[1].refunded == 99 and exported[0].refunded == 0
    assert exported[0].payment_id is not None and exported[0].paid_at == made[0].paid_at


async def test_period_boundaries(store: Store) -> None:
    shop = await shop_with_cashier(store)
    tick = timedelta(microseconds=1)
    before = await receipt(store, shop, START - tick)
    first = await receipt(store, shop, START)
    last = await receipt(store, shop, END - tick)
    await receipt(store, shop, END)
    # made before the period, paid in it: the report sees it (it counts by paid_at)
    paid_in = await receipt(store, shop, START - timedelta(days=2), status=S.PAID, paid=START)
    # made in the period, paid after it: both see it (the report decides where it counts)
    paid_after = await receipt(store, shop, END - tick, status=S.PAID, paid=END)
    await receipt(store, shop, START - timedelta(days=2), status=S.PAID, paid=END)
    await receipt(store, shop, END, status=S.PAID, paid=END + timedelta(hours=1))
    reported = await collect(store.reports.report_rows(shop, START, END))
    assert reported == [as_report_row(r) for r in (first, last, paid_in, paid_after)]
    exported = await collect(store.reports.export_rows(shop, START, END))
    assert [r.number for r in exported] == [first.number, last.number, paid_after.number]
    assert before.number not in [r.number for r in exported]


async def test_cashier_filter_and_other_shops(store: Store) -> None:
    shop = await shop_with_cashier(store)
    other = await store.shops.create_shop(OTHER_OWNER, "Petro", "Other", START)
    day = START + timedelta(days=1)
    mine = await receipt(store, shop, day, cashier_id=CASHIER)
    await receipt(store, shop, day, cashier_id=OWNER)
    await receipt(store, other.shop_id, day, cashier_id=OTHER_OWNER)
    reported = await collect(store.reports.report_rows(shop, START, END, cashier_id=CASHIER))
    assert reported == [as_report_row(mine)]
    exported = await collect(store.reports.export_rows(shop, START, END, cashier_id=CASHIER))
    assert exported == [as_export_row(mine, "Іван")]
    assert len(await collect(store.reports.report_rows(shop, START, END))) == 2
    assert len(await collect(store.reports.export_rows(other.shop_id, START, END))) == 1


async def test_export_status_filter_and_a_cashier_who_left(store: Store) -> None:
    shop = await shop_with_cashier(store)
    day = START + timedelta(days=1)
    await receipt(store, shop, day, status=S.DRAFT)
    kept = await receipt(store, shop, day, cashier_id=CASHIER, status=S.PAID)
    assert await store.shops.remove_cashier(shop, CASHIER)
    wanted = [s for s in S if s is not S.DRAFT]
    exported = await collect(store.reports.export_rows(shop, START, END, statuses=wanted))
    assert exported == [as_export_row(kept, str(CASHIER))]
    assert await collect(store.reports.export_rows(shop, START, END, statuses=[])) == []


async def test_export_is_ordered_by_number(store: Store) -> None:
    shop = await shop_with_cashier(store)
    # numbers follow creation; creation times do not have to (a clock moved back)
    times = [START + timedelta(days=d) for d in (5, 1, 3, 2, 4)]
    made = [await receipt(store, shop, at) for at in times]
    exported = await collect(store.reports.export_rows(shop, START, END, batch_size=2))
    assert [r.number for r in exported] == sorted(r.number for r in made)


@pytest.mark.parametrize("batch_size", [1, 3, 7, 1000])
async def test_batches_past_the_batch_size(store: Store, batch_size: int) -> None:
    shop = await shop_with_cashier(store)
    made = [
        await receipt(store, shop, START + timedelta(hours=i), cashier_id=(OWNER, CASHIER)[i % 2])
        for i in range(7)
    ]
    await receipt(store, shop, END + timedelta(hours=1))  # outside, after the last batch
    reported = await collect(store.reports.report_rows(shop, START, END, batch_size=batch_size))
    assert reported == [as_report_row(r) for r in made]
    exported = await collect(store.reports.export_rows(shop, START, END, batch_size=batch_size))
    assert [r.number for r in exported] == [r.number for r in made]
    own = await collect(
        store.reports.export_rows(shop, START, END, cashier_id=CASHIER, batch_size=batch_size)
    )
    assert [r.number for r in own] == [r.number for r in made if r.cashier_id == CASHIER]


async def test_rows_are_read_batch_by_batch(store: Store) -> None:
    """The stream is lazy: a receipt stored after the first batch was read shows up in a
    later one, so the whole period is never fetched at once."""
    shop = await shop_with_cashier(store)
    for i in range(4):
        await receipt(store, shop, START + timedelta(hours=i))
    stream = store.reports.export_rows(shop, START, END, batch_size=2)
    first = await anext(stream)
    await receipt(store, shop, START + timedelta(hours=10))
    rest = [row async for row in stream]
    assert [r.number for r in [first, *rest]] == [1, 2, 3, 4, 5]


async def test_empty_period_and_bad_batch_size(store: Store) -> None:
    shop = await shop_with_cashier(store)
    assert await collect(store.reports.report_rows(shop, START, END)) == []
    assert await collect(store.reports.export_rows(shop, START, END)) == []
    with pytest.raises(ValueError):
        await collect(store.reports.report_rows(shop, START, END, batch_size=0))


async def test_report_over_the_store_across_kyiv_midnight_and_dst(store: Store) -> None:
    """Autumn 2026: Kyiv goes from UTC+3 to UTC+2 on Sunday 25 October, a 25-hour day.
    The store's rows, summed by services/reports/totals.py, land on the Kyiv day they belong to."""
    shop = await shop_with_cashier(store)
    day = datetime(2026, 10, 24, tzinfo=UTC).date()
    period = Period(PeriodKind.RANGE, day, day + timedelta(days=2))
    assert period.start == datetime(2026, 10, 23, 21, 0, tzinfo=UTC)
    moments = {
        datetime(2026, 10, 24, 20, 59, 59, tzinfo=UTC): 100,  # 23:59:59 on the 24th
        datetime(2026, 10, 24, 21, 0, tzinfo=UTC): 200,  # midnight opening the 25th
        datetime(2026, 10, 25, 21, 30, tzinfo=UTC): 400,  # 23:30 on the 25th (UTC+2 now)
        datetime(2026, 10, 25, 22, 0, tzinfo=UTC): 800,  # midnight opening the 26th
    }
    for moment, amount in moments.items():
        await receipt(store, shop, moment, status=S.PAID, amount=amount)
    # made on the 24th, paid on the 26th: the 26th's takings
    await receipt(
        store, shop, datetime(2026, 10, 24, 8, tzinfo=UTC), status=S.PAID, amount=1600,
        paid=datetime(2026, 10, 26, 8, tzinfo=UTC), cashier_id=CASHIER,
    )  # fmt: skip
    await receipt(store, shop, datetime(2026, 10, 26, 21, 59, tzinfo=UTC), amount=3200)
    await receipt(store, shop, datetime(2026, 10, 26, 22, 0, tzinfo=UTC), status=S.PAID)  # after

    (report,) = await stream_reports(
        store.reports.report_rows(shop, period.start, period.end),
        period,
        currency="UAH",
    )
    assert report.paid_kopecks_by_day == {
        day: 100,
        day + timedelta(days=1): 600,
        day + timedelta(days=2): 2400,
    }
    assert report.totals.paid.count == 5 and report.totals.paid.kopecks == 3100
    assert report.totals.awaiting.count == 1 and report.totals.awaiting.kopecks == 3200
    assert report.by_cashier[CASHIER].paid.kopecks == 1600


async def test_fiscal_number_and_refunded_sum_come_from_the_receipt(store: Store) -> None:
    shop = await shop_with_cashier(store)
    day = START + timedelta(days=5, hours=10)
    sold = await receipt(store, shop, day, status=S.PAID)
    registered = await store.receipts.fiscal_transition(
        sold.id, expected=[None, FiscalState.NOT_REGISTERED], new=FiscalState.REGISTERED,
        source=EventSource.USER, now=day, changes=FiscalChanges(fiscal_code="TEST-42"),
    )  # fmt: skip
    assert registered is not None
    partly = await store.refunds.record_refunded(
        sold.id, expected_refunded=0, refunded=10000, status=S.PAID,
        source=EventSource.CALLBACK, now=day,
    )  # fmt: skip
    assert partly is not None and partly.refunded_amount == 10000

    [report_row] = await collect(store.reports.report_rows(shop, START, END))
    [export_row] = await collect(store.reports.export_rows(shop, START, END))
    assert report_row.fiscal_registered and report_row.refunded == 10000
    assert export_row.fiscal_number == "TEST-42" and export_row.refunded == 10000
    assert report_row == as_report_row(partly)
