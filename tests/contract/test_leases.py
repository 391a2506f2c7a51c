"""Contract: the issuing lease on receipts (issuing_until) — compare-and-set take, move and
release (release with the notifications that tell the outcome, in one transaction), the
receipts under a lease, a leased draft deleted only by its holder, receipt by idempotency
key."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from storage.models.jobs import NewJob
from storage.models.receipts import EventSource, ReceiptStatus
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import make_draft, new_draft

S = ReceiptStatus


def note(chat_id: int, kind: str) -> NewJob:
    return NewJob("notify", {"chat_id": chat_id, "kind": kind}, group_key=f"chat:{chat_id}")


async def test_issue_lease_is_a_compare_and_set(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft = await make_draft(store, clock, shop.shop_id)
    assert draft.issuing_until is None
    until = clock() + timedelta(seconds=15)
    assert await store.receipts.take_issue_lease(draft.id, clock(), until)
    assert not await store.receipts.take_issue_lease(draft.id, clock(), until)  # not twice
    got = await store.receipts.get(draft.id)
    assert got is not None and got.issuing_until == until
    # only the holder moves it on; a stale holder does not
    later = until + timedelta(seconds=10)
    assert await store.receipts.move_issue_lease(draft.id, until, later)
    assert not await store.receipts.move_issue_lease(draft.id, until, later + timedelta(seconds=1))
    # once expired, anyone may take it
    clock.advance(seconds=30)
    taken = clock() + timedelta(seconds=15)
    assert await store.receipts.take_issue_lease(draft.id, clock(), taken)
    assert not await store.receipts.release_issue_lease(draft.id, later, clock())
    assert await store.receipts.release_issue_lease(draft.id, taken, clock())
    got = await store.receipts.get(draft.id)
    assert got is not None and got.issuing_until is None


async def test_issue_lease_is_taken_on_drafts_only(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft = await make_draft(store, clock, shop.shop_id)
    awaiting = await store.receipts.transition(
        draft.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=clock()
    )
    assert awaiting is not None
    later = clock() + timedelta(seconds=5)
    assert not await store.receipts.take_issue_lease(awaiting.id, clock(), later)


async def test_a_lease_read_back_can_be_taken_over(store: Store, clock: FakeClock) -> None:
    """The recovery takes over a lease it read from the row: the value compares equal."""
    shop = await make_owner(store, clock)
    clock.advance(microseconds=123_457)
    until = clock() + timedelta(seconds=15.000_001)
    draft, _ = await store.receipts.create_draft(
        new_draft(shop.shop_id, clock, key="k"), clock(), issuing_until=until
    )
    [leased] = await store.receipts.leased_receipts(10)
    assert leased.issuing_until == until == draft.issuing_until
    assert await store.receipts.move_issue_lease(
        draft.id, leased.issuing_until, until + timedelta(1)
    )


async def test_release_tells_with_notifications_once(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft = await make_draft(store, clock, shop.shop_id)
    until = clock() + timedelta(seconds=15)
    await store.receipts.take_issue_lease(draft.id, clock(), until)
    told = [note(1, "outcome")]
    assert await store.receipts.release_issue_lease(draft.id, until, clock(), told)
    assert not await store.receipts.release_issue_lease(draft.id, until, clock(), told)
    jobs = await store.jobs.find(kind="notify", receipt_id=draft.id)
    assert [(j.payload["chat_id"], j.receipt_id, j.payload["kind"]) for j in jobs] == [
        (1, draft.id, "outcome")
    ]


async def test_leased_receipts_soonest_first(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    first = await make_draft(store, clock, shop.shop_id, cashier_id=1)
    second = await make_draft(store, clock, shop.shop_id, cashier_id=2)
    await make_draft(store, clock, shop.shop_id)  # not leased
    await store.receipts.take_issue_lease(first.id, clock(), clock() + timedelta(seconds=20))
    await store.receipts.take_issue_lease(second.id, clock(), clock() + timedelta(seconds=10))
    assert [r.id for r in await store.receipts.leased_receipts(10)] == [second.id, first.id]
    assert [r.id for r in await store.receipts.leased_receipts(1)] == [second.id]
    by_cashier = await store.receipts.leased_receipts(10, cashier_id=1)
    assert [r.id for r in by_cashier] == [first.id]


async def test_a_leased_draft_is_deleted_only_by_its_holder(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft = await make_draft(store, clock, shop.shop_id)
    until = clock() + timedelta(seconds=15)
    await store.receipts.take_issue_lease(draft.id, clock(), until)
    assert not await store.receipts.delete_draft(draft.id)  # e.g. the reconciler
    assert await store.receipts.get(draft.id) is not None
    assert not await store.receipts.delete_draft(draft.id, until + timedelta(seconds=1))
    assert await store.receipts.delete_draft(draft.id, until)
    assert await store.receipts.get(draft.id) is None


async def test_receipt_by_idempotency_key(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft, _ = await store.receipts.create_draft(
        replace(new_draft(shop.shop_id, clock, key="7:abc"), order_id="o-7"), clock()
    )
    assert await store.receipts.by_idempotency_key("7:abc") == draft
    assert await store.receipts.by_idempotency_key("7:abd") is None
