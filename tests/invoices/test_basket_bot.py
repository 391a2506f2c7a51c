"""The basket in /new through the real dispatcher: a shop with a catalogue sells from it
(letters, a barcode, a recent item), quantities and prices are checked, the basket is kept
through refusals, and Checkout goes the usual way with the lines; a typed amount still goes
the amount-only way."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.fsm.storage.base import StorageKey

from storage.models.catalogue import ItemFields
from tests.bot_fixtures import (
    CASHIER,
    INVOICE_OK,
    LIQPAY_REQUEST,
    BotWorld,
    join_cashier,
    make_shop_by_bot,
    world,
)
from tests.doubles.liqpay_mock import liqpay_answer

__all__ = ["world"]

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def key_of(world: BotWorld) -> StorageKey:
    """The cashier's dialog in the FSM storage."""
    return StorageKey(bot_id=world.bot.id, chat_id=CASHIER.id, user_id=CASHIER.id)


async def stock(world: BotWorld) -> None:
    add = world.services.store.catalogue.add
    await add(1, ItemFields("K1", "Кава американо", 4500, "piece", (), "48200000"), NOW)
    await add(1, ItemFields("K2", "Кава зернова", 45000, "kg", (1,), "4820000000001"), NOW)
    await add(1, ItemFields("B1", "Букет", None, "piece"), NOW)
    old = await add(1, ItemFields("X1", "Старий чай", 100, "piece", (), "4820000000002"), NOW)
    await world.services.store.catalogue.set_archived(1, old.id, True, NOW)


async def stocked_shop(world: BotWorld) -> None:
    """A shop made through the bot, its cashier joined and its catalogue stocked."""
    await make_shop_by_bot(world)
    await join_cashier(world)
    await stock(world)


async def americano_picked(world: BotWorld) -> None:
    """In a stocked shop (stocked_shop), the cashier's /new with «Кава американо» tapped: its
    quantity asked."""
    await stocked_shop(world)
    await world.say(CASHIER, "/new")
    await world.press(CASHIER, "Кава американо")


async def test_cashier_sells_from_the_basket(world: BotWorld) -> None:
    await stocked_shop(world)
    replies = await world.say(CASHIER, "/new")
    assert "sell from the catalogue" in replies[-1], replies
    world.find_button(CASHIER.id, "Amount only")
    world.find_button(CASHIER.id, "Букет")  # a small catalogue is offered whole
    replies = await world.say(CASHIER, "амер")
    assert "Found" in replies[-1]
    await world.press(CASHIER, "Кава американо")
    for bad in ["0", "-1", "1,5", "abc"]:
        replies = await world.say(CASHIER, bad)
        assert "Basket" not in replies[-1], (bad, replies)
    replies = await world.say(CASHIER, "2")
    assert "Кава американо × 2 pcs = 90,00" in replies[-1], replies
    replies = await world.say(CASHIER, "4820000000001")  # a barcode
    assert "Кава зернова" in replies[-1] and "0,25" in replies[-1], replies
    replies = await world.say(CASHIER, "0,0001")
    assert "three digits" in replies[-1]
    replies = await world.say(CASHIER, "0,25")
    assert "Кава зернова × 0,25 kg = 112,50" in replies[-1], replies
    assert "Total: <b>202,50" in replies[-1]
    replies = await world.say(CASHIER, "4820000000002")  # archived
    assert "archived" in replies[-1]
    replies = await world.say(CASHIER, "Букет")
    await world.press(CASHIER, "Букет")
    await world.say(CASHIER, "1")
    replies = await world.say(CASHIER, "0")
    assert "more than zero" in replies[-1]
    replies = await world.say(CASHIER, "99999")  # over the largest invoice: kept as it was
    assert "largest invoice" in replies[-2] and "Total: <b>202,50" in replies[-1], replies
    await world.press(CASHIER, "1. Кава американо")
    await world.press(CASHIER, "Quantity")
    replies = await world.say(CASHIER, "3")
    assert "Total: <b>247,50" in replies[-1], replies
    replies = await world.press(CASHIER, "Checkout")
    assert "247,50" in replies[-1] and "What is it for" in replies[-1], replies
    await world.press(CASHIER, "Skip")
    await world.press(CASHIER, "E-mail")
    replies = await world.say(CASHIER, "buyer@example.com")
    assert "Кава американо × 3 pcs = 135,00" in replies[-1], replies
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    replies = await world.press(CASHIER, "Confirm")
    card = next(r for r in replies if "Receipt No 1" in r)
    assert "• Кава американо × 3 pcs = 135,00" in card and "Кава зернова × 0,25 kg" in card
    replies = await world.say(CASHIER, "/pending")
    assert "   • Кава американо × 3 pcs = 135,00" in replies[-1], replies
    sent = world.liqpay_requests()[-1]
    assert sent["action"] == "invoice_send" and sent["amount"] == "247.5"
    stored = await world.services.store.receipt_lines.of_receipts([1])
    [lines] = stored.values()
    assert [(x.line.code, x.line.quantity, x.line.price) for x in lines] == [
        ("K1", 3000, 4500),
        ("K2", 250, 45000),
    ]
    # the next /new offers what the cashier sold
    await world.say(CASHIER, "/new")
    world.find_button(CASHIER.id, "Кава зернова")


async def test_a_typed_amount_still_goes_amount_only(world: BotWorld) -> None:
    await stocked_shop(world)
    await world.say(CASHIER, "/new")
    replies = await world.say(CASHIER, "250,50")
    assert replies[-1].startswith("250,50"), replies
    await world.say(CASHIER, "/new")
    replies = await world.press(CASHIER, "Amount only")
    assert "Amount in UAH?" in replies[-1]
    replies = await world.say(CASHIER, "100")
    assert "What is it for" in replies[-1]


async def test_a_shop_without_a_catalogue_asks_the_amount(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await join_cashier(world)
    replies = await world.say(CASHIER, "/new")
    assert replies[-1] == "New invoice. Amount in UAH? For example 250 or 250,50.", replies


async def test_the_amount_steps_read_as_without_a_catalogue(world: BotWorld) -> None:
    """What a cashier used to the amount sees in a shop with a catalogue: the same question
    first, the same refusals of a bad amount (letters search, and say how to send one)."""
    await stocked_shop(world)
    replies = await world.say(CASHIER, "/new")
    assert replies[-1].startswith("New invoice. Amount in UAH? For example 250 or 250,50.")
    for bad in ["abc", "0", "-5", "1.234", "100000.01"]:
        replies = await world.say(CASHIER, bad)
        assert replies and "250" in replies[-1], (bad, replies)
    replies = await world.say(CASHIER, "1 250,50")
    assert replies[-1].startswith("1\u00a0250,50"), replies


async def test_a_line_is_removed_and_an_emptied_basket_starts_again(world: BotWorld) -> None:
    await americano_picked(world)
    await world.press(CASHIER, "1")  # the quick quantity of a piece
    await world.say(CASHIER, "48200000")  # the same item by its EAN-8: adds to its line
    replies = await world.say(CASHIER, "2")
    assert "Кава американо × 3 pcs = 135,00" in replies[-1], replies
    await world.press(CASHIER, "1. Кава американо")
    await world.press(CASHIER, "Quantity")
    replies = await world.say(CASHIER, "5000")  # over the largest invoice
    assert "largest invoice" in replies[-2] and "× 3 pcs" in replies[-1], replies
    await world.press(CASHIER, "1. Кава американо")
    replies = await world.press(CASHIER, "Remove")
    assert "sell from the catalogue" in replies[-1], replies
    replies = await world.press(CASHIER, "Remove")  # the spent button of a removed line
    assert "Basket" not in " ".join(replies)
    token = (await world.dp.storage.get_data(key_of(world)))["bv"]
    replies = await world.press_data(CASHIER, f"bk:checkout:0:{token}")
    answers = [r for r in world.session.requests if type(r).__name__ == "AnswerCallbackQuery"]
    assert "empty" in (answers[-1].text or ""), replies
    await world.press_data(CASHIER, "bi:999")  # no item of this shop
    answers = [r for r in world.session.requests if type(r).__name__ == "AnswerCallbackQuery"]
    assert "no such item" in (answers[-1].text or "")
    await world.say(CASHIER, "/cancel")
    await world.press_data(CASHIER, "bi:1")
    answers = [r for r in world.session.requests if type(r).__name__ == "AnswerCallbackQuery"]
    assert "dialog is over" in (answers[-1].text or "")
