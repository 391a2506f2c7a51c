"""Contract: refunds (store.refunds) — reserved before LiqPay is asked, one in flight per
receipt, a key used twice is one refund, compare-and-set of states, and the receipt's
refunded sum moved with its event, refund and jobs in one transaction."""

from __future__ import annotations

import asyncio

import pytest

from storage.models.jobs import JobState, NewJob
from storage.models.receipts import EventSource, Receipt, ReceiptChanges, ReceiptStatus
from storage.models.refunds import NewRefund, RefundState
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import make_draft

S = ReceiptStatus
R = RefundState


async def make_paid(store: Store, clock: FakeClock, shop_id: int) -> Receipt:
    draft = await make_draft(store, clock, shop_id)
    paid = await store.receipts.transition(
        draft.id, expected=[S.DRAFT], new=S.PAID, source=EventSource.CALLBACK, now=clock(),
        changes=ReceiptChanges(paid_at=clock(), card_mask="473118*97"),
    )  # fmt: skip
    assert paid is not None
    return paid


def new_refund(receipt: Receipt, amount: int, key: str, refunded_before: int = 0) -> NewRefund:
    return NewRefund(
        receipt_id=receipt.id, amount=amount, idempotency_key=key, requested_by=1,
        refunded_before=refunded_before,
    )  # fmt: skip


async def test_a_paid_receipt_has_nothing_refunded(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    assert paid.refunded_amount == 0
    assert paid.refundable == paid.amount


async def test_reserve_makes_one_refund_per_key_with_its_jobs(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    job = NewJob("refund.resolve", {"key": "tap-1"}, dedupe_key="refund:tap-1")
    refund, created = await store.refunds.reserve(new_refund(paid, 5000, "tap-1"), clock(), [job])
    assert created and refund is not None
    assert (refund.state, refund.amount, refund.refunded_before) == (R.RESERVED, 5000, 0)
    assert refund.created_at == refund.updated_at == clock()
    again, created = await store.refunds.reserve(new_refund(paid, 5000, "tap-1"), clock(), [job])
    assert not created and again == refund
    jobs = await store.jobs.find(kind="refund.resolve")
    assert [(j.receipt_id, j.state) for j in jobs] == [(paid.id, JobState.PENDING)]
    assert await store.refunds.by_key("tap-1") == refund
    assert await store.refunds.get(refund.id) == refund
    assert await store.refunds.in_flight(paid.id) == refund
    assert await store.refunds.unsettled(10) == [refund]


async def test_reserve_refuses_over_refund_unpaid_and_a_second_in_flight(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    assert await store.refunds.reserve(new_refund(paid, paid.amount + 1, "a"), clock()) == (
        None,
        False,
    )
    draft = await make_draft(store, clock, shop.shop_id)
    assert await store.refunds.reserve(new_refund(draft, 100, "b"), clock()) == (None, False)
    first, created = await store.refunds.reserve(new_refund(paid, 100, "c"), clock())
    assert created and first is not None
    assert await store.refunds.reserve(new_refund(paid, 100, "d"), clock()) == (None, False)
    assert await store.refunds.by_key("a") is None
    assert await store.refunds.by_key("d") is None


async def test_reserve_refuses_a_confirmation_older_than_the_refunded_sum(
    store: Store, clock: FakeClock
) -> None:
    """Two confirmations made while nothing was refunded: once one refund is done, the other
    (which saw 0 refunded) reserves nothing; one that saw the new sum may."""
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    first, _ = await store.refunds.reserve(new_refund(paid, 10000, "a"), clock())
    assert first is not None
    done = await store.refunds.record_refunded(
        paid.id, expected_refunded=0, refunded=10000, status=S.PAID, source=EventSource.USER,
        now=clock(), refund_id=first.id, refund_expected=[R.RESERVED], refund_state=R.DONE,
    )  # fmt: skip
    assert done is not None and done.refunded_amount == 10000
    assert await store.refunds.reserve(new_refund(paid, 10000, "b"), clock()) == (None, False)
    assert await store.refunds.by_key("b") is None
    # a confirmation claiming more was refunded than was (a forged button) reserves nothing
    assert await store.refunds.reserve(new_refund(paid, 100, "d", 20000), clock()) == (
        None,
        False,
    )
    fresh, created = await store.refunds.reserve(new_refund(paid, 10000, "c", 10000), clock())
    assert created and fresh is not None and fresh.refunded_before == 10000


async def test_concurrent_reserves_of_one_receipt_make_one(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    results = await asyncio.gather(
        *(store.refunds.reserve(new_refund(paid, 100, f"k{i}"), clock()) for i in range(6))
    )
    assert sum(created for _, created in results) == 1
    assert len(await store.refunds.for_receipt(paid.id)) == 1


async def test_move_is_compare_and_set(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    refund, _ = await store.refunds.reserve(new_refund(paid, 100, "k"), clock())
    assert refund is not None
    clock.advance(seconds=5)
    sent = await store.refunds.move(refund.id, expected=[R.RESERVED], new=R.SENT, now=clock())
    assert sent is not None and sent.state is R.SENT and sent.updated_at == clock()
    assert (
        await store.refunds.move(refund.id, expected=[R.RESERVED], new=R.SENT, now=clock()) is None
    )
    notice = NewJob("notify", {"chat_id": 1, "kind": "refund_failed"}, dedupe_key="rf:1")
    failed = await store.refunds.move(
        refund.id, expected=[R.SENT], new=R.FAILED, now=clock(), error="limit", jobs=[notice]
    )
    assert failed is not None and failed.error == "limit" and not failed.in_flight
    assert [j.receipt_id for j in await store.jobs.find(kind="notify")] == [paid.id]
    assert await store.refunds.in_flight(paid.id) is None
    again, created = await store.refunds.reserve(new_refund(paid, 100, "k2"), clock())
    assert created and again is not None


async def test_record_refunded_partly_then_fully(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    refund, _ = await store.refunds.reserve(new_refund(paid, 5000, "k"), clock())
    assert refund is not None
    notice = NewJob("notify", {"chat_id": 1, "kind": "refund"}, dedupe_key="refund:5000")
    partly = await store.refunds.record_refunded(
        paid.id, expected_refunded=0, refunded=5000, status=S.PAID, source=EventSource.USER,
        now=clock(), liqpay_status="reversed", detail="refunded 5000", jobs=[notice],
        refund_id=refund.id, refund_expected=[R.SENT, R.RESERVED], refund_state=R.DONE,
    )  # fmt: skip
    assert partly is not None
    assert (partly.status, partly.refunded_amount, partly.refundable) == (S.PAID, 5000, 20050)
    assert (await store.refunds.get(refund.id)).state is R.DONE  # type: ignore[union-attr]
    # a repeat with the same sums changes nothing and writes no jobs
    repeat = await store.refunds.record_refunded(
        paid.id, expected_refunded=5000, refunded=5000, status=S.PAID,
        source=EventSource.CALLBACK, now=clock(),
    )  # fmt: skip
    assert repeat is not None and repeat.refunded_amount == 5000
    stale = await store.refunds.record_refunded(
        paid.id, expected_refunded=0, refunded=25050, status=S.REFUNDED,
        source=EventSource.CALLBACK, now=clock(),
    )  # fmt: skip
    assert stale is None
    full = await store.refunds.record_refunded(
        paid.id, expected_refunded=5000, refunded=25050, status=S.REFUNDED,
        source=EventSource.CALLBACK, now=clock(), detail="cabinet",
    )  # fmt: skip
    assert full is not None and full.status is S.REFUNDED and full.refundable == 0
    events = await store.receipt_queries.events(paid.id)
    assert [(e.from_status, e.to_status, e.detail) for e in events[-2:]] == [
        (S.PAID, S.PAID, "refunded 5000"),
        (S.PAID, S.REFUNDED, "cabinet"),
    ]
    assert len(await store.jobs.find(kind="notify")) == 1


async def test_record_refunded_with_a_refund_not_in_flight_writes_nothing(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    refund, _ = await store.refunds.reserve(new_refund(paid, 5000, "k"), clock())
    assert refund is not None
    await store.refunds.move(refund.id, expected=[R.RESERVED], new=R.FAILED, now=clock())
    result = await store.refunds.record_refunded(
        paid.id, expected_refunded=0, refunded=5000, status=S.PAID, source=EventSource.USER,
        now=clock(), jobs=[NewJob("notify", {"chat_id": 1})],
        refund_id=refund.id, refund_expected=[R.SENT], refund_state=R.DONE,
    )  # fmt: skip
    assert result is None
    assert (await store.receipts.get(paid.id)).refunded_amount == 0  # type: ignore[union-attr]
    assert await store.jobs.find(kind="notify") == []


@pytest.mark.parametrize("amount", [0, -1])
async def test_a_refund_is_a_positive_amount(store: Store, clock: FakeClock, amount: int) -> None:
    shop = await make_owner(store, clock)
    paid = await make_paid(store, clock, shop.shop_id)
    from storage.models.common import IntegrityViolation

    with pytest.raises(IntegrityViolation):
        await store.refunds.reserve(new_refund(paid, amount, "k"), clock())
