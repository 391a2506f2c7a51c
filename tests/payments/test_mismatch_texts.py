"""A payment that does not match its receipt, as the owner reads it: the real dispatcher
issues the receipt, a signed LiqPay callback reports another amount or currency, and the
outbox sender renders the owner's notice and the card in the owner's language."""

from __future__ import annotations

import re

import pytest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import User

from bot.outbox.sender import OutboxSender
from bot.ui.callbacks import ChannelChoice
from services.notifications.jobs import OutboxSignal
from storage.models.receipts import Channel, Receipt, ReceiptStatus
from tests.bot_fixtures import (
    BOT_PRIVATE_KEY,
    BOT_PUBLIC_KEY,
    BotWorld,
    make_shop_by_bot,
    world,
)
from tests.builders import payment_payload, signed_form
from tests.doubles.recording_bot import person

__all__ = ["world"]

NBSP = "\u00a0"


async def shop_with_receipt(world: BotWorld, owner: User, amount: str) -> Receipt:
    """The owner opens a shop, sets keys and issues a link receipt for `amount`."""
    await make_shop_by_bot(world, owner)
    await world.say(owner, "/new")
    await world.say(owner, amount)
    await world.say(owner, "Кава")
    await world.press_data(owner, ChannelChoice(channel=Channel.LINK).pack())
    await world.press(owner, "✅")
    receipt = await world.services.store.receipts.get(1)
    assert receipt is not None and receipt.status is ReceiptStatus.AWAITING
    return receipt


async def owner_reads(world: BotWorld, owner: User, paid: float, currency: str) -> tuple[str, str]:
    """LiqPay reports `paid` `currency`; (the owner's notice, the redrawn card)."""
    receipt = await world.services.store.receipts.get(1)
    assert receipt is not None
    payload = payment_payload(
        receipt, amount=paid, currency=currency, public_key=BOT_PUBLIC_KEY, payment_id=900008
    )
    form = signed_form(payload, BOT_PRIVATE_KEY)
    outcome = await world.services.callbacks.handle(form["data"], form["signature"])
    assert outcome.value == "applied"
    before = len(world.session.requests)
    store = world.services.store
    sender = OutboxSender(
        store.jobs, store.receipts, store.users, world.bot, OutboxSignal(),
        per_chat_interval=0, global_rate=10_000,
    )  # fmt: skip
    await sender.drain()
    sent = world.session.requests[before:]
    notices = [m.text for m in sent if isinstance(m, SendMessage) and m.chat_id == owner.id]
    cards = [m.text for m in sent if isinstance(m, EditMessageText) and m.chat_id == owner.id]
    assert len(notices) == 1 and len(cards) == 1, sent
    return notices[0], cards[0]


def latin_words(text: str) -> set[str]:
    without_links = re.sub(r"https?://\S+", "", text)
    return set(re.findall(r"[A-Za-z]{2,}", without_links)) - {"LiqPay", "UAH", "USD", "QR"}


@pytest.mark.parametrize(
    ("paid", "currency", "came_in"),
    [(4.44, "UAH", f"4,44{NBSP}UAH"), (103.0, "USD", f"103,00{NBSP}USD")],
)
async def test_ukrainian_owner_reads_what_came_in_and_what_was_expected(
    world: BotWorld, paid: float, currency: str, came_in: str
) -> None:
    owner = person(101, "uk", "Олена")
    await shop_with_receipt(world, owner, "444,44")

    notice, card = await owner_reads(world, owner, paid, currency)

    expected = f"444,44{NBSP}UAH"
    assert f"Надійшло: {came_in}\n" in notice
    assert f"Очікувалося: {expected}\n" in notice
    assert "Платіж LiqPay: 900008\n" in notice
    assert "перевірте його в кабінеті LiqPay і за потреби поверніть кошти" in notice
    assert (
        f"❗ Потрібна увага власника: LiqPay повідомляє про оплату {came_in} замість "
        f"{expected} (платіж LiqPay 900008)."
    ) in card
    assert "кабінеті LiqPay" in card
    for text in (notice, card):
        assert latin_words(text) == set(), text  # no English inside the Ukrainian texts
        assert not re.search(r"(?<![\d,])(444|10300|44444)(?![\d,])", text), text  # no kopecks


async def test_english_owner_reads_it_in_english(world: BotWorld) -> None:
    owner = person(102, "en", "Olena")
    await shop_with_receipt(world, owner, "444,44")

    notice, card = await owner_reads(world, owner, 4.44, "UAH")

    assert notice.splitlines()[0] == (
        "❗ Receipt No 1: LiqPay reports a payment that differs from the receipt."
    )
    assert f"Came in: 4,44{NBSP}UAH\n" in notice
    assert f"Expected: 444,44{NBSP}UAH\n" in notice
    assert "LiqPay payment: 900008\n" in notice
    assert notice.endswith("check it in the LiqPay cabinet and refund it there if needed.")
    assert (
        f"❗ Needs the owner's attention: LiqPay reports 4,44{NBSP}UAH paid instead of "
        f"444,44{NBSP}UAH (LiqPay payment 900008). This payment is not counted"
    ) in card
