"""The catalogue with the real `python -m bot` against the stand-ins: the owner uploads a
Windows-1251 CSV (getFile and the download from the Telegram stand-in), sees the preview,
confirms it; a cashier then finds an item by a few letters."""

from __future__ import annotations

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import shop_with_cashier

CP1251_FILE = (
    "Код;Назва;Ціна;Одиниця;Штрихкод\r\n"
    "K1;Кава зернова;450,00;кг;4820000000001\r\n"
    "K2;Букет троянд;;шт;\r\n"
    "K3;Чай чорний;85,5;шт;\r\n"
).encode("cp1251")


async def test_an_owner_imports_a_cp1251_csv_and_a_cashier_finds_an_item(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    await bot_process.start()
    owner, cashier = await shop_with_cashier(fake_telegram, fake_liqpay)

    screen = await owner.say("/catalogue", "Catalogue: 0 items")
    await owner.tap(screen, "Import CSV", "Send a CSV file")
    await fake_telegram.send_document(owner.user, CP1251_FILE, "goods.csv")
    preview = await owner.hears("Import: 3 new, 0 changed, 0 errors.")
    assert [c for c in fake_telegram.calls("getFile") if c.ok]
    done = await owner.tap(preview, "Confirm", "Imported: 3 items")
    assert done.is_edit

    screen = await cashier.say("/catalogue", "Catalogue: 3 items")
    assert not screen.has_button("➕ Add") and not screen.has_button("📥 Import CSV")
    await cashier.tap(screen, "Search", "a few letters")
    found = await cashier.say("кав", "Found for «кав»")
    assert found.buttons == ["Кава зернова · 450,00\u00a0UAH/kg"], found.buttons
    card = await cashier.tap(found, "Кава зернова", "Code: K1")
    assert "Barcode: 4820000000001" in card.text and not card.inline_buttons
    await bot_process.stop()
