"""Contract: receipts — drafts and their numbers, compare-and-set transitions with their
events and jobs in one transaction, flags, listings."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from storage.models.common import UNSET, IntegrityViolation
from storage.models.jobs import JobState, NewJob
from storage.models.receipts import (
    EventSource,
    NumberedText,
    PaymentMismatch,
    Receipt,
    ReceiptChanges,
    ReceiptStatus,
)
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import make_draft, new_draft

S = ReceiptStatus


async def make_awaiting(
    store: Store, clock: FakeClock, shop_id: int, *, cashier_id: int = 1
) -> Receipt:
    draft = await make_draft(store, clock, shop_id, cashier_id=cashier_id)
    moved = await store.receipts.transition(
        draft.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=clock()
    )
    assert moved is not None
    return moved


def note(chat_id: int, kind: str) -> NewJob:
    return NewJob("notify", {"chat_id": chat_id, "kind": kind}, group_key=f"chat:{chat_id}")


async def notes(store: Store, receipt_id: int | None = None) -> list[tuple[int, int | None, str]]:
    jobs = await store.jobs.find(kind="notify", receipt_id=receipt_id)
    return [(j.payload["chat_id"], j.receipt_id, j.payload["kind"]) for j in jobs]


# drafts: idempotency and numbering


async def test_create_draft_fields(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft = new_draft(shop.shop_id, clock, key="tap", cashier_id=7)
    receipt, created = await store.receipts.create_draft(draft, clock())
    assert created is True
    assert receipt.status is S.DRAFT
    assert receipt.number == 1
    assert (receipt.shop_id, receipt.cashier_id, receipt.amount) == (shop.shop_id, 7, 25050)
    assert (receipt.currency, receipt.description, receipt.order_id) == (
        "UAH",
        "Coffee",
        "order-tap",
    )
    assert receipt.created_at == clock()
    assert receipt.expires_at == clock() + timedelta(days=1)
    assert receipt.created_at.utcoffset() == timedelta(0)  # datetimes come back in UTC
    assert (receipt.link, receipt.paid_at, receipt.flagged) == (None, None, None)
    assert await store.receipts.get(receipt.id) == receipt
    assert await store.receipts.by_order_id("order-tap") == receipt
    assert await store.receipts.by_order_id("nope") is None


async def test_a_numbered_description_gets_the_reserved_number(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    await make_draft(store, clock, shop.shop_id)
    template = NumberedText("Payment for receipt No {number}")
    draft = replace(new_draft(shop.shop_id, clock, key="numbered"), description=template)
    receipt, _ = await store.receipts.create_draft(draft, clock())
    assert receipt.number == 2
    assert receipt.description == "Payment for receipt No 2"


async def test_create_draft_is_idempotent(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    first, created_first = await store.receipts.create_draft(
        new_draft(shop.shop_id, clock, key="tap-1"), clock(), [NewJob("check")]
    )
    again, created_again = await store.receipts.create_draft(
        new_draft(shop.shop_id, clock, key="tap-1", amount=999), clock(), [NewJob("check")]
    )
    assert (created_first, created_again) == (True, False)
    assert again == first
    assert again.amount == 25050  # the first one's, not the repeat's
    assert len(await store.jobs.find(kind="check")) == 1  # the repeat wrote nothing
    other, created_other = await store.receipts.create_draft(
        new_draft(shop.shop_id, clock, key="tap-2"), clock()
    )
    assert created_other is True
    assert other.number == 2


async def test_numbers_are_sequential_per_shop(store: Store, clock: FakeClock) -> None:
    a = (await make_owner(store, clock, owner_id=1)).shop_id
    b = (await make_owner(store, clock, owner_id=2)).shop_id
    numbers = [(shop, (await make_draft(store, clock, shop)).number) for shop in (a, b, a, a, b)]
    assert numbers == [(a, 1), (b, 1), (a, 2), (a, 3), (b, 2)]


async def test_concurrent_drafts_never_share_a_number(store: Store, clock: FakeClock) -> None:
    a = (await make_owner(store, clock, owner_id=1)).shop_id
    b = (await make_owner(store, clock, owner_id=2)).shop_id
    made = await asyncio.gather(
        *(
            store.receipts.create_draft(new_draft(shop, clock, key=f"c{n}"), clock())
            for n, shop in enumerate([a, b] * 15)
        )
    )
    by_shop: dict[int, list[int]] = {a: [], b: []}
    for receipt, created in made:
        assert created
        by_shop[receipt.shop_id].append(receipt.number)
    assert sorted(by_shop[a]) == list(range(1, 16))
    assert sorted(by_shop[b]) == list(range(1, 16))


async def test_a_number_is_never_reused(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await make_draft(store, clock, shop.shop_id)
    dropped = await make_draft(store, clock, shop.shop_id)
    assert await store.receipts.delete_draft(dropped.id)
    assert (await make_draft(store, clock, shop.shop_id)).number == 3


async def test_a_draft_for_an_unknown_shop_is_refused(store: Store, clock: FakeClock) -> None:
    with pytest.raises(IntegrityViolation):
        await store.receipts.create_draft(new_draft(999, clock, key="x"), clock())


async def test_an_order_id_is_used_once(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    first = new_draft(shop.shop_id, clock, key="one")
    await store.receipts.create_draft(first, clock())
    second = replace(first, idempotency_key="two")
    with pytest.raises(IntegrityViolation):
        await store.receipts.create_draft(second, clock())
    # the failed draft took no number and left nothing behind
    assert (await make_draft(store, clock, shop.shop_id)).number == 2


async def test_delete_draft_removes_only_unflagged_drafts(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft = await make_draft(store, clock, shop.shop_id, jobs=(NewJob("check"),))
    awaiting = await make_awaiting(store, clock, shop.shop_id)
    flagged = await make_draft(store, clock, shop.shop_id)
    await store.receipts.flag(
        flagged.id, reason="paid 1.00", source=EventSource.CALLBACK, now=clock(),
        liqpay_status="success",
    )  # fmt: skip
    assert await store.receipts.delete_draft(draft.id) is True
    assert await store.receipts.delete_draft(awaiting.id) is False
    assert await store.receipts.delete_draft(flagged.id) is False
    assert await store.receipts.get(draft.id) is None
    assert await store.jobs.find(receipt_id=draft.id) == []  # its jobs went with it
    assert await store.receipts.get(awaiting.id) == awaiting
    assert await store.receipts.get(flagged.id) is not None


async def test_draft_jobs_belong_to_the_draft(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft = await make_draft(store, clock, shop.shop_id, jobs=(NewJob("check"),))
    [job] = await store.jobs.find(kind="check")
    assert (job.receipt_id, job.state, job.run_at, job.attempts) == (
        draft.id,
        JobState.PENDING,
        clock(),
        0,
    )


# transitions


async def test_transition_moves_and_records(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft = await make_draft(store, clock, shop.shop_id)
    clock.advance(minutes=1)
    moved = await store.receipts.transition(
        draft.id,
        expected=[S.DRAFT],
        new=S.AWAITING,
        source=EventSource.USER,
        now=clock(),
        changes=ReceiptChanges(link="https://liqpay.ua/apipay/invoice/t", invoice_token="t"),
        liqpay_status="invoice_wait",
        detail="sent",
        jobs=[note(1, "issued"), note(2, "issued")],
    )
    assert moved is not None
    assert moved.status is S.AWAITING
    assert moved.link == "https://liqpay.ua/apipay/invoice/t"
    assert moved.invoice_token == "t"
    assert moved.liqpay_status == "invoice_wait"
    assert await store.receipts.get(draft.id) == moved
    [event] = await store.receipt_queries.events(draft.id)
    assert (event.from_status, event.to_status, event.source) == (
        S.DRAFT,
        S.AWAITING,
        EventSource.USER,
    )
    assert (event.liqpay_status, event.detail, event.at) == ("invoice_wait", "sent", clock())
    assert await notes(store) == [(1, draft.id, "issued"), (2, draft.id, "issued")]


async def test_changes_left_unset_keep_their_values(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)
    linked = await store.receipts.transition(
        receipt.id, expected=[S.AWAITING], new=S.FAILED, source=EventSource.POLL, now=clock(),
        changes=ReceiptChanges(link="L", card_mask="4242"),
    )  # fmt: skip
    assert linked is not None
    paid_at = clock() + timedelta(seconds=5)
    paid = await store.receipts.transition(
        receipt.id, expected=[S.FAILED], new=S.PAID, source=EventSource.POLL, now=clock(),
        changes=ReceiptChanges(paid_at=paid_at, payment_id="77", card_mask=None),
    )  # fmt: skip
    assert paid is not None
    assert (paid.link, paid.paid_at, paid.payment_id, paid.card_mask) == ("L", paid_at, "77", None)
    assert ReceiptChanges(link=None).assigned() == {"link": None}
    assert ReceiptChanges().link is UNSET


async def test_transition_is_compare_and_set(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft = await make_draft(store, clock, shop.shop_id)
    result = await store.receipts.transition(
        draft.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK, now=clock(),
        jobs=[note(1, "paid")],
    )  # fmt: skip
    assert result is None
    assert await store.receipts.get(draft.id) == draft
    assert await store.receipt_queries.events(draft.id) == []
    assert await notes(store) == []
    missing = await store.receipts.transition(
        12345, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=clock()
    )
    assert missing is None


async def test_transition_second_racer_loses(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)
    first = await store.receipts.transition(
        receipt.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK, now=clock()
    )
    second = await store.receipts.transition(
        receipt.id, expected=[S.AWAITING], new=S.CANCELLED, source=EventSource.USER, now=clock()
    )
    assert first is not None and first.status is S.PAID
    assert second is None
    assert [e.to_status for e in await store.receipt_queries.events(receipt.id)] == [
        S.AWAITING,
        S.PAID,
    ]


async def test_concurrent_transitions_one_wins(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)
    targets = [S.PAID, S.CANCELLED, S.FAILED, S.EXPIRED] * 3
    results = await asyncio.gather(
        *(
            store.receipts.transition(
                receipt.id,
                expected=[S.AWAITING],
                new=target,
                source=EventSource.CALLBACK,
                now=clock(),
                jobs=[note(1, target.value)],
            )
            for target in targets
        )
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    events = await store.receipt_queries.events(receipt.id)
    assert [e.to_status for e in events] == [S.AWAITING, winners[0].status]
    assert len(await notes(store)) == 1  # only the winner's notification


async def test_transition_is_one_transaction(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)
    with pytest.raises(IntegrityViolation):  # the job is refused after the status changed
        await store.receipts.transition(
            receipt.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK,
            now=clock(), changes=ReceiptChanges(payment_id="123"), liqpay_status="success",
            jobs=[note(1, "paid"), NewJob("")],
        )  # fmt: skip
    # ...and all of it was rolled back.
    assert await store.receipts.get(receipt.id) == receipt
    assert [e.to_status for e in await store.receipt_queries.events(receipt.id)] == [S.AWAITING]
    assert await notes(store) == []
    moved = await store.receipts.transition(
        receipt.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK, now=clock()
    )
    assert moved is not None and moved.status is S.PAID


# flags


async def test_flag_once_per_reason(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)

    async def flag(reason: str) -> bool:
        return await store.receipts.flag(
            receipt.id, reason=reason, source=EventSource.CALLBACK, now=clock(),
            liqpay_status="success", jobs=[note(1, "mismatch")],
        )  # fmt: skip

    assert await flag("paid 1.00 UAH") is True
    assert await flag("paid 1.00 UAH") is False
    assert await flag("paid 2.00 UAH") is True
    flagged = await store.receipts.get(receipt.id)
    assert flagged is not None
    assert (flagged.flagged, flagged.status) == ("paid 2.00 UAH", S.AWAITING)
    events = (await store.receipt_queries.events(receipt.id))[1:]
    assert [(e.from_status, e.to_status, e.detail) for e in events] == [
        (S.AWAITING, S.AWAITING, "flagged: paid 1.00 UAH"),
        (S.AWAITING, S.AWAITING, "flagged: paid 2.00 UAH"),
    ]
    assert [kind for _, _, kind in await notes(store, receipt.id)] == ["mismatch", "mismatch"]


# listings


async def test_list_by_status_scopes_and_orders(store: Store, clock: FakeClock) -> None:
    a = (await make_owner(store, clock, owner_id=1)).shop_id
    b = (await make_owner(store, clock, owner_id=2)).shop_id
    r1 = await make_awaiting(store, clock, a, cashier_id=10)
    r2 = await make_awaiting(store, clock, a, cashier_id=11)
    await make_awaiting(store, clock, b, cashier_id=10)  # other shop
    for final in (S.PAID, S.CANCELLED):
        done = await make_awaiting(store, clock, a, cashier_id=10)
        moved = await store.receipts.transition(
            done.id, expected=[S.AWAITING], new=final, source=EventSource.POLL, now=clock()
        )
        assert moved is not None
    draft = await make_draft(store, clock, a, cashier_id=10)
    r4 = await make_awaiting(store, clock, a, cashier_id=10)
    pending = [S.AWAITING, S.DRAFT]

    listed, total = await store.receipt_queries.list_by_status(a, pending)
    assert [r.id for r in listed] == [r4.id, draft.id, r2.id, r1.id]
    assert total == 4

    mine, mine_total = await store.receipt_queries.list_by_status(a, pending, cashier_id=10)
    assert ([r.id for r in mine], mine_total) == ([r4.id, draft.id, r1.id], 3)

    page, page_total = await store.receipt_queries.list_by_status(a, pending, offset=1, limit=2)
    assert ([r.id for r in page], page_total) == ([draft.id, r2.id], 4)

    assert await store.receipt_queries.list_by_status(b, pending, cashier_id=11) == ([], 0)
    paid, paid_total = await store.receipt_queries.list_by_status(a, [S.PAID])
    assert paid_total == 1 and paid[0].status is S.PAID


async def test_get_many_and_card_message(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    first = await make_awaiting(store, clock, shop.shop_id)
    second = await make_awaiting(store, clock, shop.shop_id)
    await store.receipts.set_card_message(second.id, 42, 555)
    found = await store.receipts.get_many([second.id, 999, first.id])
    assert [r.id for r in found] == [first.id, second.id]
    assert (found[1].card_chat_id, found[1].card_message_id) == (42, 555)
    assert await store.receipts.get_many([]) == []


async def test_flag_keeps_the_reported_payment_and_is_written_once_per_payment(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)
    short = PaymentMismatch(444, "UAH", "900008")

    async def flag(mismatch: PaymentMismatch) -> bool:
        return await store.receipts.flag(
            receipt.id, reason="mismatch", source=EventSource.CALLBACK, now=clock(),
            liqpay_status="success", jobs=[note(1, "mismatch")], mismatch=mismatch,
        )  # fmt: skip

    assert await flag(short) is True
    flagged = await store.receipts.get(receipt.id)
    assert flagged is not None
    assert (flagged.flagged, flagged.mismatch, flagged.status) == ("mismatch", short, S.AWAITING)
    assert await flag(short) is False  # LiqPay repeats the callback
    assert len(await notes(store, receipt.id)) == 1
    other = PaymentMismatch(10300, "USD", "900009")
    assert await flag(other) is True  # another payment that does not match: told again
    assert (await store.receipts.get(receipt.id)).mismatch == other  # type: ignore[union-attr]
    assert len(await notes(store, receipt.id)) == 2
    details = [e.detail for e in await store.receipt_queries.events(receipt.id) if e.detail]
    assert len(details) == 2 and all("900008" in d or "900009" in d for d in details)
