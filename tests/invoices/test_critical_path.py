"""Issue #17, item 3: what the cashier waits for. With every Telegram call taking 300 ms and
LiqPay 600 ms (long enough that the store's own work, on a busy machine, is small beside
them), the cosmetic calls (answering the button, the progress note, taking the old
keyboard off) run alongside the call that matters instead of before it; the card still
comes after LiqPay, and no progress note lands after the card. Asserted on when each call
started and finished, not on wall-clock totals."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    SendPhoto,
)
from aioresponses import CallbackResult

from tests.bot_fixtures import (
    INVOICE_OK,
    LIQPAY_REQUEST,
    NOT_FOUND,
    OWNER,
    BotWorld,
    issue,
    make_shop_by_bot,
    world,
)
from tests.doubles.http_mock import answer
from tests.doubles.liqpay_mock import liqpay_answer

__all__ = ["world"]

TELEGRAM = 0.3
LIQPAY = 0.6


@dataclass
class SlowLiqPay:
    """LiqPay answering `payload` after LIQPAY seconds; when (event-loop time) it was asked
    and when it answered."""

    payload: dict[str, Any]
    started: list[float] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)

    def callback(self) -> Callable[..., Awaitable[CallbackResult]]:
        async def reply(url: Any, **kwargs: Any) -> CallbackResult:
            loop = asyncio.get_running_loop()
            self.started.append(loop.time())
            await asyncio.sleep(LIQPAY)
            self.finished.append(loop.time())
            return answer(200, self.payload)

        return reply


def slow(world: BotWorld, payload: dict[str, Any]) -> SlowLiqPay:
    liqpay = SlowLiqPay(payload)
    world.liqpay.post(LIQPAY_REQUEST, callback=liqpay.callback())
    return liqpay


def slow_telegram(world: BotWorld) -> None:
    """From now on each Telegram call takes TELEGRAM seconds; spans are of these calls only."""
    world.session.delay = TELEGRAM
    world.session.spans.clear()


async def test_confirm_answers_and_shows_progress_while_liqpay_works(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await world.say(OWNER, "/new")
    await world.say(OWNER, "250.50")
    await world.press(OWNER, "Skip")
    await world.press(OWNER, "E-mail")
    await world.say(OWNER, "a@example.com")
    liqpay = slow(world, INVOICE_OK)
    slow_telegram(world)
    replies = await world.press(OWNER, "Confirm")
    assert "Receipt No 1" in replies[-1] and "tok123" in replies[-1]
    [asked], [answered] = liqpay.started, liqpay.finished
    ack = world.session.span(AnswerCallbackQuery)
    progress = world.session.span(EditMessageText, "Making the invoice")
    card = world.session.span(SendMessage, "Receipt No 1")
    assert ack.started < asked < ack.finished, "the button is answered while LiqPay works"
    assert progress.started < asked < progress.finished, "progress shows while LiqPay works"
    assert card.started >= answered, "the card is LiqPay's answer"
    assert progress.finished <= card.started, "no progress note after the card"


async def test_check_status_answers_while_liqpay_is_asked(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await issue(world, OWNER, "E-mail", "a@example.com", liqpay_answer(INVOICE_OK))
    paid = {
        "result": "ok", "status": "success", "payment_id": 55, "amount": 250.5,
        "currency": "UAH", "sender_card_mask2": "424242*42", "end_date": 1795000000000,
    }  # fmt: skip
    liqpay = slow(world, paid)
    slow_telegram(world)
    replies = await world.press(OWNER, "Check status")
    assert any("Paid" in r and "424242*42" in r for r in replies), replies
    [asked], [answered] = liqpay.started, liqpay.finished
    ack = world.session.span(AnswerCallbackQuery, "Checking with LiqPay")
    card = world.session.span(EditMessageText, "Checked with LiqPay")
    assert ack.started < asked < ack.finished, "the button is answered while LiqPay works"
    assert card.started >= answered


async def test_channel_button_takes_keyboard_off_alongside_the_summary(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await world.say(OWNER, "/new")
    await world.say(OWNER, "250.50")
    await world.press(OWNER, "Skip")
    slow_telegram(world)
    replies = await world.press(OWNER, "Link")
    assert any("Check the invoice" in r for r in replies), replies
    spent = world.session.span(EditMessageReplyMarkup)
    summary = world.session.span(SendMessage, "Check the invoice")
    assert summary.started < spent.finished and spent.started < summary.finished


async def test_channel_button_takes_keyboard_off_alongside_the_question(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await world.say(OWNER, "/new")
    await world.say(OWNER, "250.50")
    await world.press(OWNER, "Skip")
    slow_telegram(world)
    replies = await world.press(OWNER, "E-mail")
    assert replies == ["Customer's e-mail?"], replies
    spent = world.session.span(EditMessageReplyMarkup)
    question = world.session.span(SendMessage, "e-mail")
    assert question.started < spent.finished and spent.started < question.finished


async def test_link_confirm_shows_card_at_once_and_qr_after_it(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await world.say(OWNER, "/new")
    await world.say(OWNER, "250.50")
    await world.press(OWNER, "Skip")
    await world.press(OWNER, "Link")
    slow_telegram(world)
    world.session.delay = 1.0
    replies = await world.press(OWNER, "Confirm")
    assert any("lp.test/api/3/checkout?data=" in r for r in replies), replies
    ack = world.session.span(AnswerCallbackQuery)
    progress = world.session.span(EditMessageText, "Making the invoice")
    card = world.session.span(SendMessage, "Receipt No 1")
    qr = world.session.span(SendPhoto)
    assert card.started < ack.finished and card.started < progress.finished, "card at once"
    assert card.finished <= qr.started, "the QR code follows the card in the chat"


async def test_a_failed_confirm_gives_the_summary_back_after_its_progress_note(
    world: BotWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two edits of the same message: the note, started alongside, never lands after the
    summary is given back with its buttons."""
    await make_shop_by_bot(world)
    await world.say(OWNER, "/new")
    await world.say(OWNER, "250.50")
    await world.press(OWNER, "Skip")
    await world.press(OWNER, "Link")

    async def broken(request: object) -> None:
        raise RuntimeError("the store went away")

    monkeypatch.setattr(world.services.invoices, "issue", broken)
    slow_telegram(world)
    await world.press(OWNER, "Confirm")
    edits = [s for s in world.session.spans if isinstance(s.method, EditMessageText)]
    assert [("Making the invoice" in s.method.text) for s in edits] == [True, False]
    progress, given_back = edits
    assert progress.finished <= given_back.started
    assert given_back.method.reply_markup is not None
    assert "Confirm" in str(given_back.method.reply_markup)


async def test_cancel_answers_while_liqpay_withdraws_the_invoice(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await issue(world, OWNER, "E-mail", "a@example.com", liqpay_answer(INVOICE_OK))
    await world.press(OWNER, "Cancel invoice")
    status = slow(world, NOT_FOUND)
    withdrawn = slow(world, {"result": "ok"})
    slow_telegram(world)
    replies = await world.press(OWNER, "Yes, cancel")
    assert any("Cancelled" in r for r in replies), replies
    ack = world.session.span(AnswerCallbackQuery, "Cancelling the invoice")
    card = world.session.span(EditMessageText, "Cancelled")
    assert ack.started < status.started[0] < ack.finished
    assert card.started >= withdrawn.finished[0]


async def test_retry_answers_while_liqpay_is_asked(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await issue(world, OWNER, "E-mail", "a@example.com", {"status": 503, "body": "x"})
    status = slow(world, NOT_FOUND)
    made = slow(world, INVOICE_OK)
    slow_telegram(world)
    replies = await world.press(OWNER, "Retry")
    assert any("tok123" in r for r in replies), replies
    ack = world.session.span(AnswerCallbackQuery, "Making the invoice")
    card = world.session.span(SendMessage, "Receipt No 1")
    assert ack.started < status.started[0] < ack.finished
    assert card.started >= made.finished[0]
