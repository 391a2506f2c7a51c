"""The basket with the real `python -m bot` against the stand-ins: the owner imports a CSV,
a cashier sells 2 pieces and 0,25 kg of a weighed item by e-mail from /new; LiqPay's
stand-in gets the basket's total and goods adding up to it; the card names the goods."""

from __future__ import annotations

from decimal import Decimal

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import Person, invite, open_shop, sent_data

CSV_FILE = (
    "code;name;price;unit;tax;barcode\r\n"
    "K1;Кава зернова;450,00;kg;;4820000000001\r\n"
    "C1;Капучино;55,00;piece;;\r\n"
    "B1;Букет;;piece;;\r\n"
).encode()


async def test_a_cashier_sells_from_the_basket(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    cashier = Person(fake_telegram, fake_telegram.user(222, "Ivan", "en"))
    await open_shop(owner, fake_liqpay)
    await invite(owner, cashier)

    screen = await owner.say("/catalogue", "Catalogue: 0 items")
    await owner.tap(screen, "Import CSV", "Send a CSV file")
    await fake_telegram.send_document(owner.user, CSV_FILE, "goods.csv")
    preview = await owner.hears("Import: 3 new, 0 changed, 0 errors.")
    await owner.tap(preview, "Confirm", "Imported: 3 items")

    start = await cashier.say("/new", "sell from the catalogue")
    assert start.has_button("💰 Amount only")
    found = await cashier.say("капу", "Found for «капу»")
    await cashier.tap(found, "Капучино", "how many")
    await cashier.say("0", "more than zero")
    basket = await cashier.say("2", "Basket")
    assert "Капучино × 2 pcs = 110,00" in basket.text
    await cashier.say("4820000000001", "how much, in kg")
    await cashier.say("0,0001", "three digits")
    basket = await cashier.say("0,25", "Basket")
    assert "Кава зернова × 0,25 kg = 112,50" in basket.text
    assert "222,50" in basket.text.split("Total")[1], basket.text
    asked = await cashier.tap(basket, "Checkout", "What is it for")
    assert "222,50" in asked.text
    channels = await cashier.tap(asked, "Skip", "How does the customer get")
    await cashier.tap(channels, "E-mail", "?")
    summary = await cashier.say("buyer@example.com", "Check the invoice")
    assert "Капучино × 2 pcs = 110,00" in summary.text
    card = await cashier.tap(summary, "Confirm", "Receipt No")
    assert "Кава зернова × 0,25 kg = 112,50" in card.text

    sent = sent_data(fake_liqpay, "invoice_send")
    assert sent["amount"] == "222.5" and sent["email"] == "buyer@example.com"
    goods = sent.get("goods")
    assert goods, sent
    total = sum(Decimal(str(g["amount"])) * Decimal(str(g["count"])) for g in goods)
    assert total == Decimal("222.5")
    assert {g["name"] for g in goods} == {"Капучино", "Кава зернова"}
    await bot_process.stop()
