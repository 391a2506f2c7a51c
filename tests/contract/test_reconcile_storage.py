"""Contract: the daily reconciliation's storage (store.reconcile) — the day's receipts by
payment or registration time, the shops with LiqPay keys, and the day's kept result."""

from __future__ import annotations

from datetime import date, timedelta

from storage.models.fiscal import FiscalChanges, FiscalState
from storage.models.receipts import EventSource, Receipt, ReceiptChanges, ReceiptStatus
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import make_draft

S = ReceiptStatus


async def paid_at(store: Store, clock: FakeClock, shop_id: int, hours: float) -> Receipt:
    draft = await make_draft(store, clock, shop_id)
    moment = clock() + timedelta(hours=hours)
    paid = await store.receipts.transition(
        draft.id, expected=[S.DRAFT], new=S.PAID, source=EventSource.CALLBACK, now=moment,
        changes=ReceiptChanges(paid_at=moment, fiscal_state=FiscalState.NOT_REGISTERED),
    )  # fmt: skip
    assert paid is not None
    return paid


async def test_the_days_receipts_are_those_paid_or_registered_in_it(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    other = await make_owner(store, clock, owner_id=2)
    start, end = clock(), clock() + timedelta(days=1)
    before = await paid_at(store, clock, shop.shop_id, -1)
    inside = await paid_at(store, clock, shop.shop_id, 3)
    after = await paid_at(store, clock, shop.shop_id, 25)
    await paid_at(store, clock, other.shop_id, 3)
    await make_draft(store, clock, shop.shop_id)  # unpaid
    registered = await store.receipts.fiscal_transition(
        before.id, expected=[FiscalState.NOT_REGISTERED], new=FiscalState.REGISTERED,
        source=EventSource.POLL, now=clock() + timedelta(hours=1),
        changes=FiscalChanges(fiscal_code="TEST-1", fiscal_date=clock() + timedelta(hours=1)),
    )  # fmt: skip
    assert registered is not None

    found = await store.reconcile.day_receipts(shop.shop_id, start, end)

    assert [r.id for r in found] == [before.id, inside.id]
    assert found[0].fiscal_code == "TEST-1"
    assert after.id not in [r.id for r in found]


async def test_the_shops_with_liqpay_keys(store: Store, clock: FakeClock) -> None:
    with_keys = await make_owner(store, clock)
    await make_owner(store, clock, owner_id=2)
    await store.settings.save_keys(with_keys.shop_id, "pub", b"sealed", True, clock())

    assert await store.reconcile.shops_with_keys() == [with_keys.shop_id]


async def test_a_days_result_is_kept_and_replaced(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    day = date(2026, 12, 7)
    assert await store.reconcile.get(shop.shop_id, day) is None

    await store.reconcile.save(shop.shop_id, day, {"payments": 1, "day": "2026-12-07"}, clock())
    clock.advance(hours=1)
    await store.reconcile.save(shop.shop_id, day, {"payments": 2, "day": "2026-12-07"}, clock())
    await store.reconcile.save(shop.shop_id, day + timedelta(days=1), {"payments": 5}, clock())

    kept = await store.reconcile.get(shop.shop_id, day)
    assert kept is not None
    assert (kept.shop_id, kept.day, kept.result) == (
        shop.shop_id, day, {"payments": 2, "day": "2026-12-07"},
    )  # fmt: skip
    assert kept.checked_at == clock()


async def test_the_registered_receipts_with_money_given_back(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    other = await make_owner(store, clock, owner_id=2)

    async def receipt(shop_id: int, *, registered: bool, refunded: int) -> Receipt:
        paid = await paid_at(store, clock, shop_id, 1)
        if registered:
            done = await store.receipts.fiscal_transition(
                paid.id, expected=[FiscalState.NOT_REGISTERED], new=FiscalState.REGISTERED,
                source=EventSource.POLL, now=clock(),
                changes=FiscalChanges(fiscal_code=f"TEST-{paid.id}", fiscal_date=clock()),
            )  # fmt: skip
            assert done is not None
        if refunded:
            after = await store.refunds.record_refunded(
                paid.id, expected_refunded=0, refunded=refunded, status=S.PAID,
                source=EventSource.POLL, now=clock(),
            )  # fmt: skip
            assert after is not None
        return paid

    first = await receipt(shop.shop_id, registered=True, refunded=1000)
    await receipt(shop.shop_id, registered=True, refunded=0)
    await receipt(shop.shop_id, registered=False, refunded=500)  # no sale registered
    await receipt(other.shop_id, registered=True, refunded=700)
    second = await receipt(shop.shop_id, registered=True, refunded=2000)

    found = await store.reconcile.refunded_sales(shop.shop_id)

    assert [(r.id, r.refunded_amount) for r in found] == [(second.id, 2000), (first.id, 1000)]
    assert [r.id for r in await store.reconcile.refunded_sales(shop.shop_id, limit=1)] == [
        second.id
    ]
