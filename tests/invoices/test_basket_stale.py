"""The basket's buttons and steps where a cashier can go wrong: a line's buttons from an
earlier basket (after a removal, after /cancel and /new, of the older data format) are
refused and change nothing; a barcode scanned while a quantity is asked is the next item;
lines refused when the invoice is made keep the basket."""

from __future__ import annotations

from bot.invoices.dialog import BasketStep
from tests.bot_fixtures import CASHIER, BotWorld, world
from tests.invoices.test_basket_bot import americano_picked, key_of

__all__ = ["world"]


def last_answer(world: BotWorld) -> str:
    answers = [r for r in world.session.requests if type(r).__name__ == "AnswerCallbackQuery"]
    return str(answers[-1].text or "")


async def basket_names(world: BotWorld) -> list[str]:
    data = await world.dp.storage.get_data(key_of(world))
    return [str(row["n"]) for row in data.get("basket", [])]


async def two_lines(world: BotWorld) -> None:
    await americano_picked(world)
    await world.say(CASHIER, "1")
    await world.say(CASHIER, "4820000000001")
    replies = await world.say(CASHIER, "0,25")
    assert "Total: <b>157,50" in replies[-1], replies


async def test_a_line_menu_from_before_a_removal_acts_on_no_other_line(world: BotWorld) -> None:
    await two_lines(world)
    await world.press(CASHIER, "1. Кава американо")
    remove_first = world.find_button(CASHIER.id, "Remove")
    quantity_first = world.find_button(CASHIER.id, "Quantity")
    assert len(remove_first.encode()) < 64
    replies = await world.press_data(CASHIER, remove_first)
    assert "Кава американо" not in replies[-1] and "Кава зернова" in replies[-1], replies
    # the same menu again: position 0 is now Кава зернова, which must stay
    for spent in (remove_first, quantity_first):
        replies = await world.press_data(CASHIER, spent)
        assert "earlier state of the basket" in last_answer(world), replies
        assert await basket_names(world) == ["Кава зернова"]
    assert await world.dp.storage.get_state(key_of(world)) == BasketStep.lines.state
    # the older format (no token) parses as stale, not as an error
    for old in ("bk:remove:0", "bk:qty:0", "bk:line:0", "bk:checkout:0"):
        await world.press_data(CASHIER, old)
        assert "earlier state of the basket" in last_answer(world), old
        assert await basket_names(world) == ["Кава зернова"]


async def test_an_old_dialogs_buttons_do_not_act_on_the_new_basket(world: BotWorld) -> None:
    await two_lines(world)
    line_first = world.find_button(CASHIER.id, "1. Кава американо")
    checkout = world.find_button(CASHIER.id, "Checkout")
    await world.press(CASHIER, "2. Кава зернова")
    remove_second = world.find_button(CASHIER.id, "Remove")
    await world.say(CASHIER, "/cancel")
    await world.say(CASHIER, "/new")
    await world.press(CASHIER, "Букет")
    await world.say(CASHIER, "1")
    await world.say(CASHIER, "300")
    await world.say(CASHIER, "48200000")
    replies = await world.say(CASHIER, "2")
    assert "Total: <b>390,00" in replies[-1], replies
    for spent in (line_first, remove_second, checkout):
        replies = await world.press_data(CASHIER, spent)
        assert "earlier state of the basket" in last_answer(world), (spent, replies)
        assert await basket_names(world) == ["Букет", "Кава американо"]
    assert await world.dp.storage.get_state(key_of(world)) == BasketStep.lines.state
    replies = await world.press(CASHIER, "2. Кава американо")  # the latest basket's: works
    assert "Change its quantity" in replies[-1], replies


async def test_a_barcode_scanned_at_the_quantity_is_the_next_item(world: BotWorld) -> None:
    """A piece waiting for its quantity goes in as one; an item sold by measure keeps
    asking, and the scan is refused until its quantity is given."""
    await americano_picked(world)
    replies = await world.say(CASHIER, "4820000000001")
    assert "Кава американо × 1 pcs = 45,00" in replies[-2], replies
    assert "Кава зернова: how much, in kg?" in replies[-1], replies
    replies = await world.say(CASHIER, "48200000")
    assert "Кава зернова still needs its quantity in kg" in replies[-1], replies
    assert await basket_names(world) == ["Кава американо"]
    replies = await world.say(CASHIER, "0,5")
    assert "Total: <b>270,00" in replies[-1], replies
    replies = await world.say(CASHIER, "12345678")  # no barcode of the shop's: a quantity
    assert "Found" not in replies[-1]
    await world.press(CASHIER, "1. Кава американо")
    await world.press(CASHIER, "Quantity")  # a line's quantity being changed: kept as it was
    replies = await world.say(CASHIER, "4820000000001")
    assert "Кава зернова: how much, in kg?" in replies[-1], replies
    replies = await world.say(CASHIER, "0,5")
    assert "Кава американо × 1 pcs = 45,00" in replies[-1], replies
    assert "Кава зернова × 1 kg = 450,00" in replies[-1], replies


async def test_lines_refused_at_confirm_keep_the_basket(world: BotWorld) -> None:
    await americano_picked(world)
    await world.say(CASHIER, "2")
    await world.press(CASHIER, "Checkout")
    await world.press(CASHIER, "Skip")
    await world.press(CASHIER, "E-mail")
    await world.say(CASHIER, "buyer@example.com")
    data = await world.dp.storage.get_data(key_of(world))
    await world.dp.storage.set_data(key_of(world), {**data, "amount": 9001})  # not the sum
    replies = await world.press(CASHIER, "Confirm")
    assert any("do not add up" in r for r in replies), replies
    assert "Кава американо × 2 pcs = 90,00" in replies[-1], replies
    assert await world.dp.storage.get_state(key_of(world)) == BasketStep.lines.state
    assert await basket_names(world) == ["Кава американо"]
    assert not [r for r in world.liqpay_requests() if r["action"] == "invoice_send"]
    assert await world.services.store.receipt_lines.of_receipts([1]) == {}
    replies = await world.press(CASHIER, "Checkout")  # on the way again, the sum its own
    assert "90,00" in replies[-1] and "What is it for" in replies[-1], replies
