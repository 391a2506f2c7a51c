"""Returns by goods through the real dispatcher, services and SQLite store with the
stand-in LiqPay: the owner taps a line of a receipt of several goods, returns part of it,
then all of another; never more than sold and not yet returned; an amount is refused for a
receipt of several lines; both languages."""

from __future__ import annotations

from bot.i18n import setup_i18n, t
from bot.ui.callbacks import RefundAction
from storage.models.lines import SaleLine
from storage.models.receipts import Receipt
from tests.bot_fixtures import OWNER, BotWorld
from tests.doubles.liqpay import FakeLiqPay
from tests.refunds.test_refund_flows import fake, paid_receipt, world

__all__ = ["fake", "world"]

COFFEE = SaleLine(code="K1", name="Кава зернова", unit="kg", quantity=250, price=45000)
CAKE = SaleLine(code="C1", name="Торт", unit="piece", quantity=3000, price=10000, item_id=2)


async def returned(world: BotWorld, receipt: Receipt) -> list[int]:
    lines = await world.services.store.receipt_lines.of_receipt(receipt.id)
    return [line.returned for line in lines]


async def test_part_of_a_line_then_all_of_another(world: BotWorld, fake: FakeLiqPay) -> None:
    receipt = await paid_receipt(world, fake, (COFFEE, CAKE))
    assert receipt.amount == 11250 + 30000
    replies = await world.press_data(OWNER, RefundAction(action="start", id=receipt.id).pack())
    assert "Кава зернова: 0,25 kg of 0,25 kg" in replies[-1]
    assert "Type the amount" not in replies[-1]
    # an amount is not how a receipt of several goods is refunded
    replies = await world.say(OWNER, "100")
    assert "several goods" in replies[-1]
    replies = await world.press(OWNER, "2. Торт")
    assert "How much of «Торт» comes back? Not returned yet: 3 pcs" in replies[-1]
    for wrong, why in (("1,5", "not a quantity"), ("4", "more of this line"), ("x", "quantity")):
        replies = await world.say(OWNER, wrong)
        assert why in replies[-1], (wrong, replies)
    replies = await world.say(OWNER, "2")
    assert "Goods coming back: Торт, 2 pcs." in replies[-1]
    assert "200,00\xa0UAH" in replies[-1]
    await world.press(OWNER, "Refund 200,00")
    await world.press(OWNER, "Refund 200,00")  # a double tap: the same refund
    assert await returned(world, receipt) == [0, 2000]
    order = fake.order(receipt.order_id)
    assert order.refunded == 200
    fresh = await world.services.store.receipts.get(receipt.id)
    assert fresh is not None and fresh.refunded_amount == 20000
    # the coffee, all of it, from a new refund
    await world.press_data(OWNER, RefundAction(action="start", id=receipt.id).pack())
    await world.press(OWNER, "1. Кава зернова")
    replies = await world.press(OWNER, "All: 0,25 kg, 112,50")
    assert "Goods coming back: Кава зернова, 0,25 kg." in replies[-1]
    await world.press(OWNER, "Refund 112,50")
    assert await returned(world, receipt) == [250, 2000]
    # one cake is left; a confirmation made before is stale and refunds nothing more
    replies = await world.press_data(OWNER, RefundAction(action="start", id=receipt.id).pack())
    assert "Торт: 1 pcs of 3 pcs" in replies[-1]
    assert "Кава" not in world.find_button(OWNER.id, "Торт")


async def test_a_one_line_receipt_still_takes_an_amount(world: BotWorld, fake: FakeLiqPay) -> None:
    receipt = await paid_receipt(world, fake)
    replies = await world.press_data(OWNER, RefundAction(action="start", id=receipt.id).pack())
    assert "Type the amount" in replies[-1]
    replies = await world.say(OWNER, "100")
    assert "Refund <b>100,00\xa0UAH</b>" in replies[-1]


def test_the_goods_texts_read_in_ukrainian() -> None:
    i18n = setup_i18n()
    with i18n.use_locale("uk"):
        text = t("This receipt has several goods: tap the line that comes back, or «Full refund».")
    assert "кілька" in text
