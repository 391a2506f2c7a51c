"""/reconcile through the real dispatcher (a recording Bot, LiqPay scripted): the owner
picks a day and gets one message; a cashier and a stranger are refused politely."""

from __future__ import annotations

from datetime import timedelta

from services.core.clock import utcnow
from storage.models.receipts import Channel, EventSource, NewDraft, ReceiptStatus
from tests.bot_fixtures import (
    CASHIER,
    LIQPAY_REQUEST,
    OWNER,
    STRANGER,
    BotWorld,
    join_cashier,
    make_shop_by_bot,
    world,
)
from tests.doubles.liqpay_mock import liqpay_answer

__all__ = ["world"]
S = ReceiptStatus
SHOP = 1
EMPTY = {"result": "success", "data": []}


async def test_the_owner_reconciles_today_and_a_lost_payment_is_marked_paid(
    world: BotWorld,
) -> None:
    await make_shop_by_bot(world)
    store = world.services.store
    now = utcnow()
    draft = NewDraft(
        shop_id=SHOP, cashier_id=OWNER.id, amount=45270, currency="UAH", description="Кава",
        channel=Channel.EMAIL, contact="buyer@example.com", idempotency_key="k-lost",
        order_id="order-lost", expires_at=now + timedelta(hours=1),
    )  # fmt: skip
    receipt, _ = await store.receipts.create_draft(draft, now)
    awaiting = await store.receipts.transition(
        receipt.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=now
    )
    assert awaiting is not None
    end_ms = int(now.timestamp() * 1000)
    payment = {
        "action": "pay", "status": "success", "order_id": "order-lost", "amount": 452.70,
        "currency": "UAH", "payment_id": 2000000123, "end_date": end_ms, "create_date": end_ms,
    }  # fmt: skip
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer({"result": "success", "data": [payment]}))
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer({"result": "ok", **payment}))

    replies = await world.say(OWNER, "/reconcile")
    assert "which day?" in replies[-1]
    replies = await world.press(OWNER, "Today")

    [text] = [r for r in replies if "Reconciliation of" in r]
    assert "LiqPay and the bot agree on 1 payment, 452,70\u00a0UAH." in text
    assert "Receipt No 1, 452,70\u00a0UAH: the payment had been missed" in text
    paid = await store.receipts.get(receipt.id)
    assert paid is not None and paid.status is S.PAID
    assert [r["action"] for r in world.liqpay_requests()][-2:] == ["reports", "status"]


async def test_a_typed_date_and_liqpay_down(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await world.say(OWNER, "/reconcile")
    replies = await world.press(OWNER, "Other date")
    assert "like 05.12.2026" in replies[-1]
    replies = await world.say(OWNER, "31.02.2026")
    assert "no such date" in replies[-1]
    day = (utcnow() - timedelta(days=3)).astimezone().strftime("%d.%m.%Y")
    for _ in range(2):  # the archive is read-only: asked again once
        world.liqpay.post(LIQPAY_REQUEST, status=502, body="Bad Gateway")
    replies = await world.say(OWNER, day)
    assert "LiqPay is not answering, so nothing was checked" in replies[-1]

    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(EMPTY))
    await world.say(OWNER, "/reconcile")
    replies = await world.press(OWNER, "Yesterday")
    assert "No payments in LiqPay that day, and none in the bot ✅" in replies[-1]


async def test_a_cashier_and_a_stranger_are_refused(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await join_cashier(world)
    replies = await world.say(CASHIER, "/reconcile")
    assert replies[-1] == "Only the shop owner can do this."
    replies = await world.say(STRANGER, "/reconcile")
    assert "for shop members" in replies[-1]
    assert not [r for r in world.liqpay_requests() if r["action"] == "reports"]
