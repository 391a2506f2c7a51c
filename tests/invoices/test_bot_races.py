"""Handler tests through the real dispatcher: one person's updates handled one at a time,
what a Confirm/Cancel race tells, and buttons answered before a slow LiqPay call."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery
from aioresponses import CallbackResult

from tests.bot_fixtures import (
    INVOICE_OK,
    LIQPAY_REQUEST,
    NOT_FOUND,
    OWNER,
    BotWorld,
    make_shop_by_bot,
    world,
)
from tests.doubles.liqpay_mock import liqpay_answer
from tests.doubles.recording_bot import callback_update, text_update

__all__ = ["world"]


async def to_summary(world: BotWorld, amount: str = "250", channel: str = "E-mail") -> None:
    await world.say(OWNER, "/new")
    await world.say(OWNER, amount)
    await world.press(OWNER, "Skip")
    await world.press(OWNER, channel)
    if channel == "E-mail":
        await world.say(OWNER, "a@example.com")


def invoice_sends(world: BotWorld) -> list[dict[str, Any]]:
    return [r for r in world.liqpay_requests() if r["action"] == "invoice_send"]


class SlowLiqPay:
    """LiqPay answers only when let go: the handler is in the middle of its call meanwhile."""

    def __init__(self, world: BotWorld, answer: dict[str, Any]) -> None:
        self.gate = asyncio.Event()
        self.reached = asyncio.Event()
        self.answer = answer
        world.liqpay.post(LIQPAY_REQUEST, callback=self._answer)

    async def _answer(self, url: Any, **kwargs: Any) -> CallbackResult:
        self.reached.set()
        await self.gate.wait()
        return CallbackResult(
            status=200, body=json.dumps(self.answer), content_type="application/json"
        )


# one person, one update at a time


@pytest.mark.parametrize("second", ["300", "Кава"])
async def test_two_quick_messages_are_handled_in_turn(world: BotWorld, second: str) -> None:
    await make_shop_by_bot(world)
    await world.say(OWNER, "/new")
    await asyncio.gather(
        world.feed(text_update(OWNER, "250")), world.feed(text_update(OWNER, second))
    )
    replies = await world.press(OWNER, "Link")  # the second was read as the description
    summary = replies[-1]
    assert "250,00" in summary and f"For: {second}" in summary, replies


async def test_confirm_and_cancel_together_tell_what_happened(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await to_summary(world)
    confirm, cancel = world.find_button(OWNER.id, "Confirm"), world.find_button(OWNER.id, "Cancel")
    slow = SlowLiqPay(world, {**INVOICE_OK})
    before = len(world.session.requests)
    both = asyncio.gather(
        world.feed(callback_update(OWNER, confirm)), world.feed(callback_update(OWNER, cancel))
    )
    await slow.reached.wait()
    slow.gate.set()
    await both
    said = world.replies_since(before, OWNER.id)
    assert not any("Nothing was saved" in r for r in said), said
    assert any("Confirm came first" in r and "is made" in r for r in said), said
    assert len(invoice_sends(world)) == 1
    receipt = await world.services.store.receipts.get(1)
    assert receipt is not None and receipt.status.value == "awaiting"


async def test_cancel_first_then_confirm_makes_nothing(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await to_summary(world)
    confirm, cancel = world.find_button(OWNER.id, "Confirm"), world.find_button(OWNER.id, "Cancel")
    replies = await world.press_data(OWNER, cancel)
    assert any("Nothing was saved" in r for r in replies), replies
    replies = await world.press_data(OWNER, confirm)
    assert any("dialog is over" in r for r in replies), replies
    assert await world.services.store.receipts.get(1) is None and invoice_sends(world) == []


async def test_new_during_a_slow_confirm_is_not_wiped(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await to_summary(world)
    confirm = world.find_button(OWNER.id, "Confirm")
    slow = SlowLiqPay(world, {**INVOICE_OK})
    before = len(world.session.requests)
    both = asyncio.gather(
        world.feed(callback_update(OWNER, confirm)), world.feed(text_update(OWNER, "/new"))
    )
    await slow.reached.wait()
    for _ in range(20):  # let /new run meanwhile, if nothing holds it back until Confirm ends
        if any("Amount in UAH" in r for r in world.replies_since(before, OWNER.id)):
            break
        await asyncio.sleep(0.025)
    slow.gate.set()
    await both
    replies = await world.say(OWNER, "99")
    assert any("What is it for" in r for r in replies), replies


# a button whose handler calls LiqPay is answered before the call ends


async def press_while_liqpay_hangs(
    world: BotWorld, button: str, answer: dict[str, Any], then: dict[str, Any] | None = None
) -> tuple[list[Any], list[str]]:
    """Press `button` while LiqPay hangs on its first call (`then`: the next call's answer):
    (what was sent to Telegram before LiqPay answered, the texts after)."""
    slow = SlowLiqPay(world, answer)
    if then is not None:
        world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(then))
    data = world.find_button(OWNER.id, button)
    before = len(world.session.requests)
    pressed = asyncio.create_task(world.feed(callback_update(OWNER, data)))
    await asyncio.wait_for(slow.reached.wait(), 5)
    await asyncio.sleep(0.05)
    meanwhile = list(world.session.requests[before:])
    slow.gate.set()
    await pressed
    return meanwhile, world.replies_since(before, OWNER.id)


def answered(requests: list[Any]) -> bool:
    return any(isinstance(r, AnswerCallbackQuery) for r in requests)


PAID = {
    "result": "ok", "status": "success", "payment_id": 55, "amount": 250.0, "currency": "UAH",
    "sender_card_mask2": "424242*42", "end_date": 1795000000000,
}  # fmt: skip

Setup = Callable[[BotWorld], Awaitable[None]]


async def issued(world: BotWorld) -> None:
    await to_summary(world)
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    await world.press(OWNER, "Confirm")


async def cancel_asked(world: BotWorld) -> None:
    await issued(world)
    await world.press(OWNER, "Cancel invoice")


async def pending_listed(world: BotWorld) -> None:
    await issued(world)
    await world.say(OWNER, "/pending")


async def left_as_draft(world: BotWorld) -> None:
    await to_summary(world)
    world.liqpay.post(LIQPAY_REQUEST, status=503, body="down")
    await world.press(OWNER, "Confirm")


CANCELLED = {"result": "ok", "invoice_id": 777}


@pytest.mark.parametrize(
    ("setup", "button", "answer", "then", "outcome"),
    [
        (to_summary, "Confirm", INVOICE_OK, None, "Receipt No 1"),
        (issued, "Check status", PAID, None, "Paid"),
        (pending_listed, "No 1", PAID, None, "Paid"),
        (cancel_asked, "Yes, cancel", NOT_FOUND, CANCELLED, "Cancelled"),
        (left_as_draft, "Retry", NOT_FOUND, INVOICE_OK, "Awaiting payment"),
    ],
    ids=["confirm", "check", "open", "cancel_yes", "retry"],
)
async def test_a_button_is_answered_before_liqpay_does(
    world: BotWorld,
    setup: Setup,
    button: str,
    answer: dict[str, Any],
    then: dict[str, Any] | None,
    outcome: str,
) -> None:
    await make_shop_by_bot(world)
    await setup(world)
    meanwhile, after = await press_while_liqpay_hangs(world, button, answer, then)
    assert answered(meanwhile), meanwhile
    assert any(outcome in r for r in after), after


async def test_check_status_when_liqpay_fails_says_so_in_the_chat(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await issued(world)
    world.liqpay.post(LIQPAY_REQUEST, status=503, body="down", repeat=True)
    before = len(world.session.requests)
    replies = await world.press(OWNER, "Check status")
    assert answered(world.session.requests[before:])
    assert any("LiqPay is not answering" in r for r in replies), replies


# the dialog after Confirm is the receipt's


async def test_confirm_again_on_a_made_invoice_shows_it(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await to_summary(world)
    confirm = world.find_button(OWNER.id, "Confirm")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    await world.press_data(OWNER, confirm)
    replies = await world.press_data(OWNER, confirm)
    assert any("already made" in r for r in replies), replies
    assert any("Receipt No 1" in r for r in replies), replies
    assert len(invoice_sends(world)) == 1


async def test_new_warns_of_an_invoice_still_being_made(world: BotWorld) -> None:
    from datetime import timedelta

    from storage.models.receipts import Channel, NewDraft

    await make_shop_by_bot(world)
    now = world.services.receipts.clock()
    # an invoice this cashier confirmed whose maker died holding its lease
    draft = NewDraft(
        shop_id=1, cashier_id=OWNER.id, amount=4200, currency="UAH", description="x",
        channel=Channel.EMAIL, contact="a@example.com", idempotency_key="k",
        order_id="1-1", expires_at=now + timedelta(days=1),
    )  # fmt: skip
    await world.services.store.receipts.create_draft(
        draft, now, issuing_until=now + timedelta(seconds=30)
    )
    replies = await world.say(OWNER, "/new")
    assert any("still being made" in r and "42,00" in r for r in replies), replies
    assert any("Amount in UAH" in r for r in replies), replies


async def test_typing_in_a_dialog_left_mid_confirm_shows_its_receipt(world: BotWorld) -> None:
    """A dialog an older version left in the confirm step after its Confirm was pressed."""
    await make_shop_by_bot(world)
    await to_summary(world)
    key = world.find_button(OWNER.id, "Confirm").split(":")[-1]
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    await world.press(OWNER, "Confirm")
    from aiogram.fsm.storage.base import StorageKey

    from bot.invoices.dialog import NewInvoice

    storage_key = StorageKey(bot_id=world.bot.id, chat_id=OWNER.id, user_id=OWNER.id)
    await world.dp.storage.set_state(storage_key, NewInvoice.confirm)
    await world.dp.storage.set_data(storage_key, {"idempotency_key": key})
    replies = await world.say(OWNER, "hello")
    assert any("confirmed this invoice already" in r for r in replies), replies
    assert any("Receipt No 1" in r for r in replies), replies
    assert await world.dp.storage.get_state(storage_key) is None
