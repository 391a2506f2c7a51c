"""The basket with the real `python -m bot` against the stand-ins of Telegram, LiqPay and
Checkbox: the owner imports a CSV, a cashier sells 2 pieces, a bouquet priced at sale and
0,25 kg of a weighed item by e-mail from /new; LiqPay's stand-in gets the basket's total and
goods adding up to it; the summary, the card and the paid notice name the goods; the paid
invoice becomes a fiscal sale of those three lines."""

from __future__ import annotations

from decimal import Decimal

from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_fiscal import checkbox, fiscal_owner
from tests.e2e.test_flows import Person, invite, sent_data

__all__ = ["checkbox"]

CSV_FILE = (
    "code;name;price;unit;tax;barcode\r\n"
    "K1;Кава зернова;450,00;kg;;4820000000001\r\n"
    "C1;Капучино;55,00;piece;;\r\n"
    "B1;Букет;;piece;;\r\n"
).encode()


async def test_a_cashier_sells_from_the_basket(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    checkbox: FakeCheckbox,
) -> None:
    owner = await fiscal_owner(bot_process, checkbox, fake_telegram, fake_liqpay)
    cashier = Person(fake_telegram, fake_telegram.user(222, "Ivan", "en"))
    await invite(owner, cashier)

    screen = await owner.say("/catalogue", "Catalogue: 0 items")
    await owner.tap(screen, "Import CSV", "Send a CSV file")
    await fake_telegram.send_document(owner.user, CSV_FILE, "goods.csv")
    preview = await owner.hears("Import: 3 new, 0 changed, 0 errors.")
    await owner.tap(preview, "Confirm", "Imported: 3 items")

    start_screen = await cashier.say("/new", "sell from the catalogue")
    assert start_screen.has_button("💰 Amount only")
    found = await cashier.say("капу", "Found for «капу»")
    await cashier.tap(found, "Капучино", "how many")
    await cashier.say("0", "more than zero")
    basket = await cashier.say("2", "Basket")
    assert "Капучино × 2 pcs = 110,00" in basket.text
    await cashier.say("4820000000001", "how much, in kg")  # a scanned barcode
    await cashier.say("0,0001", "three digits")
    basket = await cashier.say("0,25", "Basket")
    assert "Кава зернова × 0,25 kg = 112,50" in basket.text
    found = await cashier.say("букет", "Found for «букет»")
    await cashier.tap(found, "Букет", "how many")
    await cashier.say("1", "no price in the catalogue")
    await cashier.say("0", "more than zero")
    basket = await cashier.say("500", "Basket")
    assert "722,50" in basket.text.split("Total")[1], basket.text
    asked = await cashier.tap(basket, "Checkout", "What is it for")
    assert "722,50" in asked.text
    channels = await cashier.tap(asked, "Skip", "How does the customer get")
    await cashier.tap(channels, "E-mail", "?")
    summary = await cashier.say("buyer@example.com", "Check the invoice")
    assert "Капучино × 2 pcs = 110,00" in summary.text
    card = await cashier.tap(summary, "Confirm", "Receipt No")
    assert "Кава зернова × 0,25 kg = 112,50" in card.text and "Букет × 1 pcs" in card.text

    sent = sent_data(fake_liqpay, "invoice_send")
    assert sent["amount"] == "722.5" and sent["email"] == "buyer@example.com"
    goods = sent["goods"]
    total = sum(Decimal(str(g["amount"])) * Decimal(str(g["count"])) for g in goods)
    assert total == Decimal("722.5")
    assert [g["name"] for g in goods] == ["Капучино", "Кава зернова", "Букет"]

    assert await fake_liqpay.pay(str(sent["order_id"])) == 200
    paid = await cashier.hears("is paid")
    assert "• Капучино × 2 pcs = 110,00" in paid.text
    await owner.hears("is registered with the tax service", timeout=30)
    [sell] = [s for s in checkbox.sells() if s.status == 201]
    assert isinstance(sell.body, dict)
    sold = [(g["good"]["code"], g["good"]["price"], g["quantity"]) for g in sell.body["goods"]]
    assert sold == [("C1", 5500, 2000), ("K1", 45000, 250), ("B1", 50000, 1000)]
    await bot_process.stop()
