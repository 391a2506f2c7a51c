"""Contract: receipts, their numbers, the compare-and-set state machine and events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.models import (
    EventSource,
    IntegrityViolation,
    JobState,
    NewJob,
    ReceiptChanges,
    ReceiptEvent,
)
from storage.protocols import Store
from tests.contract.helpers import T0, S, at, make_awaiting, make_draft, make_shop, new_draft


async def test_a_draft_gets_the_shops_next_number_and_its_text(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    other = (await make_shop(store, owner_id=2)).shop_id
    first = await make_draft(store, shop, "a")
    second = await make_draft(store, shop, "b")
    elsewhere = await make_draft(store, other, "c")
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert first.description == "Receipt No 1"
    assert second.description == "Receipt No 2"
    assert first.status is S.DRAFT
    assert (first.amount, first.currency, first.order_id) == (25050, "UAH", "order-a")
    assert (first.created_at, first.expires_at) == (T0, T0 + timedelta(days=1))
    assert first.flagged is None and first.link is None and first.paid_at is None
    assert await store.receipts.get(first.id) == first


async def test_a_number_is_never_reused_after_a_draft_is_deleted(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    first = await make_draft(store, shop, "a")
    second = await make_draft(store, shop, "b")
    assert await store.receipts.delete_draft(second.id)
    assert await store.receipts.delete_draft(first.id)
    assert (await make_draft(store, shop, "c")).number == 3


async def test_a_plain_description_is_stored_as_it_is(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    plain = new_draft(shop, "p")
    plain = type(plain)(**{**plain.__dict__, "description": "Flowers {number}"})
    receipt, _ = await store.receipts.create_draft(plain, T0)
    assert receipt.description == "Flowers {number}"


async def test_the_same_idempotency_key_is_the_same_draft(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    first, created = await store.receipts.create_draft(new_draft(shop, "k"), T0, [NewJob("a")])
    again, created_again = await store.receipts.create_draft(
        new_draft(shop, "k", order_id="another"), at(5), [NewJob("a")]
    )
    assert created and not created_again
    assert again == first
    assert len(await store.jobs.find(kind="a")) == 1
    assert (await make_draft(store, shop, "next")).number == 2


async def test_unknown_shop_and_used_order_id_are_integrity_violations(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    with pytest.raises(IntegrityViolation):
        await store.receipts.create_draft(new_draft(shop + 100, "x"), T0)
    await make_draft(store, shop, "a")
    with pytest.raises(IntegrityViolation):
        await store.receipts.create_draft(new_draft(shop, "b", order_id="order-a"), T0)
    assert (await make_draft(store, shop, "c")).number == 2  # nothing of the failure stayed


async def test_draft_jobs_belong_to_the_draft(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    draft = await make_draft(
        store, shop, "a", jobs=[NewJob("check", {"n": 1}), NewJob("notify", run_at=at(30))]
    )
    jobs = await store.jobs.find(receipt_id=draft.id)
    assert [(j.kind, j.payload, j.run_at, j.state) for j in jobs] == [
        ("check", {"n": 1}, T0, JobState.PENDING),
        ("notify", {}, at(30), JobState.PENDING),
    ]


async def test_delete_draft_only_unflagged_drafts_with_their_jobs(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    draft = await make_draft(store, shop, "a", jobs=[NewJob("check")])
    flagged = await make_draft(store, shop, "b")
    awaiting = await make_awaiting(store, shop, "c")
    assert await store.receipts.flag(
        flagged.id, reason="unknown", source=EventSource.POLL, now=T0, liqpay_status=None
    )
    assert await store.receipts.delete_draft(draft.id)
    assert await store.receipts.get(draft.id) is None
    assert await store.jobs.find(receipt_id=draft.id) == []
    assert not await store.receipts.delete_draft(draft.id)
    assert not await store.receipts.delete_draft(flagged.id)
    assert not await store.receipts.delete_draft(awaiting.id)
    assert await store.receipts.get(flagged.id) is not None


async def test_transition_is_compare_and_set_with_its_event_and_jobs(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    draft = await make_draft(store, shop, "a")
    moved = await store.receipts.transition(
        draft.id,
        expected=[S.DRAFT],
        new=S.AWAITING,
        source=EventSource.USER,
        now=at(1),
        changes=ReceiptChanges(link="https://pay/1", invoice_token="tok", expires_at=at(600)),
        jobs=[NewJob("check", run_at=at(60), dedupe_key="check-a")],
    )
    assert moved is not None
    assert (moved.status, moved.link, moved.invoice_token) == (S.AWAITING, "https://pay/1", "tok")
    assert moved.expires_at == at(600)
    assert moved.liqpay_status is None
    assert await store.receipts.get(draft.id) == moved
    # not one of `expected`: nothing written
    again = await store.receipts.transition(
        draft.id,
        expected=[S.DRAFT],
        new=S.AWAITING,
        source=EventSource.USER,
        now=at(2),
        jobs=[NewJob("never")],
    )
    assert again is None
    assert await store.jobs.find(kind="never") == []
    paid = await store.receipts.transition(
        draft.id,
        expected=[S.AWAITING, S.FAILED],
        new=S.PAID,
        source=EventSource.CALLBACK,
        now=at(3),
        changes=ReceiptChanges(paid_at=at(3), payment_id="p-1", card_mask="4242*", link=None),
        liqpay_status="success",
        detail="callback",
    )
    assert paid is not None
    assert (paid.status, paid.liqpay_status, paid.paid_at) == (S.PAID, "success", at(3))
    assert (paid.payment_id, paid.card_mask, paid.link) == ("p-1", "4242*", None)
    assert paid.invoice_token == "tok"  # left UNSET: unchanged
    assert await store.receipts.events(draft.id) == [
        ReceiptEvent(draft.id, at(1), EventSource.USER, S.DRAFT, S.AWAITING, None, None),
        ReceiptEvent(
            draft.id, at(3), EventSource.CALLBACK, S.AWAITING, S.PAID, "success", "callback"
        ),
    ]
    [check] = await store.jobs.find(receipt_id=draft.id)
    assert (check.kind, check.dedupe_key, check.run_at) == ("check", "check-a", at(60))


async def test_transition_of_an_unknown_receipt_is_none(store: Store) -> None:
    moved = await store.receipts.transition(
        404, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=T0
    )
    assert moved is None


async def test_flag_once_per_reason_with_event_and_jobs(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    receipt = await make_awaiting(store, shop, "a")
    flag = store.receipts.flag
    assert await flag(
        receipt.id,
        reason="amount differs",
        source=EventSource.CALLBACK,
        now=at(5),
        liqpay_status="success",
        jobs=[NewJob("alert")],
    )
    assert not await flag(
        receipt.id,
        reason="amount differs",
        source=EventSource.POLL,
        now=at(6),
        liqpay_status=None,
        jobs=[NewJob("alert")],
    )
    assert await flag(
        receipt.id, reason="other", source=EventSource.POLL, now=at(7), liqpay_status=None
    )
    flagged = await store.receipts.get(receipt.id)
    assert flagged is not None
    assert (flagged.flagged, flagged.status) == ("other", S.AWAITING)
    events = await store.receipts.events(receipt.id)
    assert [(e.from_status, e.to_status, e.detail, e.liqpay_status) for e in events[1:]] == [
        (S.AWAITING, S.AWAITING, "flagged: amount differs", "success"),
        (S.AWAITING, S.AWAITING, "flagged: other", None),
    ]
    assert len(await store.jobs.find(kind="alert", receipt_id=receipt.id)) == 1
    assert not await flag(404, reason="x", source=EventSource.POLL, now=T0, liqpay_status=None)


async def test_list_by_status_newest_first_with_total(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    other = (await make_shop(store, owner_id=2)).shop_id
    awaiting = [await make_awaiting(store, shop, f"a{n}", cashier_id=n % 2) for n in range(5)]
    await make_draft(store, shop, "draft", cashier_id=5)
    await make_awaiting(store, other, "elsewhere")
    page, total = await store.receipts.list_by_status(shop, [S.AWAITING], limit=2)
    assert total == 5
    assert [r.id for r in page] == [awaiting[4].id, awaiting[3].id]
    page, total = await store.receipts.list_by_status(shop, [S.AWAITING], offset=4, limit=2)
    assert [r.id for r in page] == [awaiting[0].id] and total == 5
    page, total = await store.receipts.list_by_status(
        shop, [S.AWAITING, S.DRAFT], cashier_id=1, limit=10
    )
    assert [r.id for r in page] == [awaiting[3].id, awaiting[1].id] and total == 2
    assert await store.receipts.list_by_status(shop, [], limit=10) == ([], 0)
    assert await store.receipts.list_by_status(shop, [S.PAID]) == ([], 0)


async def test_get_many_by_order_id_and_card_message(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    a = await make_draft(store, shop, "a")
    b = await make_draft(store, shop, "b")
    assert [r.id for r in await store.receipts.get_many([b.id, 404, a.id, b.id])] == [a.id, b.id]
    assert await store.receipts.get_many([]) == []
    assert await store.receipts.by_order_id("order-b") == b
    assert await store.receipts.by_order_id("nope") is None
    await store.receipts.set_card_message(a.id, -100200300400, 2**40)
    card = await store.receipts.get(a.id)
    assert card is not None
    assert (card.card_chat_id, card.card_message_id) == (-100200300400, 2**40)
    assert await store.receipts.get(404) is None


async def test_money_and_ids_beyond_32_bits(store: Store) -> None:
    big_user = 2**40 + 7
    shop = (await make_shop(store, owner_id=big_user)).shop_id
    draft = new_draft(shop, "big", cashier_id=big_user)
    draft = type(draft)(**{**draft.__dict__, "amount": 2**40})
    receipt, _ = await store.receipts.create_draft(draft, T0)
    assert (receipt.amount, receipt.cashier_id) == (2**40, big_user)
    assert await store.shops.member_ids(shop) == [big_user]


async def test_an_amount_must_be_positive(store: Store) -> None:
    shop = (await make_shop(store)).shop_id
    draft = new_draft(shop, "zero")
    with pytest.raises(IntegrityViolation):
        await store.receipts.create_draft(type(draft)(**{**draft.__dict__, "amount": 0}), T0)
