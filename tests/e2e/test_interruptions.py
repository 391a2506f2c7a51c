"""What a cashier is told when things go wrong mid-invoice: the process killed while LiqPay
makes the invoice or before it was reached, Telegram's rate limits on the card, messages
sent faster than they are handled. In none of them may a sale be invoiced twice."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import BotMessage, FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import Person, open_shop

STUCK = "Tap one of the buttons above, or /cancel."  # what a stranded dialog used to answer
WENT_WRONG = "Something went wrong"
# A restarted process takes over the invoice its killed predecessor was making at once, not
# when that one's lease runs out (15 s after Confirm: LiqPay's timeout and a margin).
TOLD_WITHIN = 6


async def summary(who: Person, amount: str, email: str) -> BotMessage:
    await who.say("/new", "Amount in UAH")
    asked = await who.say(amount, "What is it for")
    channels = await who.tap(asked, "Skip", "How does the customer get")
    await who.tap(channels, "E-mail", "?")
    return await who.say(email, "Check the invoice")


async def until(condition: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def invoice_sends(liqpay: FakeLiqPay) -> list[str]:
    """Order ids of the invoice_send requests that reached LiqPay, each one made."""
    sends = liqpay.requests_for("invoice_send")
    assert all(r.answer and r.answer.get("result") == "ok" for r in sends), sends
    return [r.payload["order_id"] for r in sends]


async def test_killed_while_liqpay_makes_the_invoice_the_cashier_is_told_it_is_made(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"  # told by the recovery, not the reconciler
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)
    shown = await summary(owner, "42", "c@example.com")
    fake_liqpay.answer_delay["invoice_send"] = 60  # made at once, the answer never comes
    await fake_telegram.press(owner.user, shown, "Confirm")
    await fake_liqpay.wait_for_request("invoice_send")
    await owner.hears("Making the invoice")
    await bot_process.kill()
    fake_liqpay.answer_delay.clear()

    restarted = fake_telegram.position(owner.user.id)
    await bot_process.start()
    started = time.monotonic()
    told = await fake_telegram.wait_for_message(
        owner.user.id, "The invoice of receipt No 1 is made", timeout=40, since=restarted
    )
    assert time.monotonic() - started < TOLD_WITHIN, "told only when the dead lease ran out"
    reply = await owner.say("hello")  # the dialog left mid-Confirm does not swallow input
    assert reply.text != STUCK
    assert "Awaiting payment" in told.text and told.has_button("Check status")
    assert told.has_button("Cancel invoice")
    assert len(invoice_sends(fake_liqpay)) == 1
    await fake_telegram.assert_no_message(owner.user.id, "receipt No 1 is made", within=2)
    assert all(WENT_WRONG not in m.text for m in fake_telegram.messages(owner.user.id))
    await bot_process.stop()


async def test_killed_before_liqpay_was_reached_confirm_again_makes_it_once(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)
    shown = await summary(owner, "42", "c@example.com")
    fake_liqpay.hang_requests()
    await fake_telegram.press(owner.user, shown, "Confirm")
    await until(lambda: fake_liqpay.hanging == 1)
    await bot_process.kill()
    await asyncio.sleep(0.3)
    fake_liqpay.release_requests()  # the killed request is dropped: LiqPay never saw it

    restarted = fake_telegram.position(owner.user.id)
    fake_liqpay.hang_requests()  # the restarted process asks LiqPay at once: held a moment
    await bot_process.start()
    await until(lambda: fake_liqpay.hanging == 1, TOLD_WITHIN)
    # while it asks (its lease now), Confirm is "being made", and makes no request
    await fake_telegram.press(owner.user, shown, "Confirm", latest=False)
    await owner.hears("being made already")
    fake_liqpay.release_requests()
    asked = time.monotonic()
    # the maker is dead: the cashier is told without asking, with Retry
    told = await fake_telegram.wait_for_message(
        owner.user.id, "was interrupted", timeout=40, since=restarted
    )
    assert time.monotonic() - asked < TOLD_WITHIN
    assert told.has_button("Retry") and "Not confirmed by LiqPay yet" in told.text
    assert invoice_sends(fake_liqpay) == []
    # Confirm again no longer answers "being made": it asks LiqPay first, then makes it once
    await fake_telegram.press(owner.user, shown, "Confirm", latest=False)
    card = await owner.hears(lambda m: "Receipt No 1" in m.text and m.has_button("Check status"))
    assert "Awaiting payment" in card.text
    await fake_telegram.press(owner.user, told, "Retry")
    await owner.hears("Awaiting payment")  # the Retry card redrawn: it is made already
    actions = [r.action for r in fake_liqpay.requests]
    assert actions.index("status") < actions.index("invoice_send")
    assert len(invoice_sends(fake_liqpay)) == 1
    await bot_process.stop()


def is_card(params: dict[str, Any]) -> bool:
    return "Receipt No" in str(params.get("text", ""))


async def test_two_messages_faster_than_they_are_handled_are_taken_in_turn(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    """Both come in one getUpdates batch, and polling handles updates as concurrent tasks:
    one person's are still handled one at a time, in order."""
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)
    await owner.say("/new", "Amount in UAH")
    await fake_telegram.send_text(owner.user, "250")
    await fake_telegram.send_text(owner.user, "Кава")
    channels = await owner.hears("How does the customer get")
    shown = await owner.tap(channels, "Link", "Check the invoice")
    assert "250,00" in shown.text and "Кава" in shown.text
    await bot_process.stop()


async def test_telegram_429_never_turns_a_made_invoice_into_a_failure(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)
    shown = await summary(owner, "250", "c@example.com")

    # Telegram asks to wait a second before the card: the bot waits and shows it
    fake_telegram.rate_limit_next("sendMessage", 1, when=is_card)
    await fake_telegram.press(owner.user, shown, "Confirm")
    card = await owner.hears(lambda m: "Receipt No 1" in m.text and m.has_button("Check status"))
    assert [c for c in fake_telegram.calls("sendMessage") if c.status == 429]
    # the same for the /pending list
    fake_telegram.rate_limit_next(
        "sendMessage", 1, when=lambda p: "Awaiting payment" in str(p.get("text", ""))
    )
    await owner.say("/pending", "Awaiting payment: 1")

    # Telegram asks for longer than the bot waits: the card comes by the outbox instead
    shown = await summary(owner, "43", "d@example.com")
    fake_telegram.rate_limit_next("sendMessage", 120, when=is_card)
    await fake_telegram.press(owner.user, shown, "Confirm")
    told = await owner.hears("The invoice of receipt No 2 is made", timeout=15)
    assert told.has_button("Check status")
    assert all(WENT_WRONG not in m.text for m in fake_telegram.messages(owner.user.id))
    assert len(set(invoice_sends(fake_liqpay))) == len(invoice_sends(fake_liqpay)) == 2
    assert card.message_id
    await bot_process.stop()
