"""/catalogue through the real dispatcher: the owner adds, edits, archives and imports a
CSV through its preview (Confirm applies once); a cashier searches, read-only."""

from __future__ import annotations

from aiogram.methods import SendDocument

from tests.bot_fixtures import (
    CASHIER,
    OWNER,
    STRANGER,
    BotWorld,
    join_cashier,
    make_shop_by_bot,
    world,
)
from tests.doubles.recording_bot import document_update, person

__all__ = ["world"]

CP1251_FILE = (
    "Код;Назва;Ціна;Одиниця;Штрихкод\r\n"
    "K1;Кава зернова;450,00;кг;4820000000001\r\n"
    "K2;Букет;;шт;\r\n"
).encode("cp1251")


async def send_file(world: BotWorld, content: bytes) -> list[str]:
    before = len(world.session.requests)
    await world.feed(document_update(world.session, OWNER, content))
    return world.replies_since(before, OWNER.id)


async def test_the_owner_adds_edits_and_archives_an_item(world: BotWorld) -> None:
    await make_shop_by_bot(world, keys=False)
    replies = await world.say(OWNER, "/catalogue")
    assert "0 items" in replies[-1]
    await world.press(OWNER, "Add")
    assert (await world.say(OWNER, "x" * 129))[-1] == "The name is longer than 128 characters."
    await world.say(OWNER, "Кава")
    assert "can't be 0" in (await world.say(OWNER, "0"))[-1]
    card = (await world.say(OWNER, "25,50"))[-1]
    assert "Added" in card and "25,50\u00a0UAH" in card and "Кава" in card
    await world.press(OWNER, "Barcode")
    assert "8 to 14 digits" in (await world.say(OWNER, "123"))[-1]
    assert "4820000000001" in (await world.say(OWNER, "4820000000001"))[-1]
    replies = await world.press(OWNER, "Archive")
    assert any("Archived" in r for r in replies), replies
    [item] = await world.services.store.catalogue.all_items(1)
    assert (item.archived, item.price, item.barcode) == (True, 2550, "4820000000001")
    await world.say(OWNER, "/catalogue")
    await world.press(OWNER, "Search")
    assert (await world.say(OWNER, "4820000000001"))[-1].startswith("Found for")
    card = await world.press(OWNER, "Кава")  # the owner finds archived items too
    assert "Archived: not offered" in card[-1]
    assert world.find_button(OWNER.id, "Unarchive").startswith("ci:unarchive:")


async def test_a_cashier_searches_read_only_and_cannot_manage(world: BotWorld) -> None:
    await make_shop_by_bot(world, keys=False)
    await join_cashier(world)
    await world.say(OWNER, "/catalogue")
    await world.press(OWNER, "Add")
    await world.say(OWNER, "Лате")
    await world.say(OWNER, "-")
    await world.say(CASHIER, "/catalogue")
    assert "Add" not in str(world.session.requests[-1])  # read-only: search and export
    await world.press(CASHIER, "Search")
    replies = await world.say(CASHIER, "ЛАТ")
    assert replies[-1].startswith("Found for")
    replies = await world.press(CASHIER, "Лате")
    assert "price set at sale" in replies[-1]
    [item] = await world.services.store.catalogue.all_items(1)
    refused = await world.press_data(CASHIER, f"ci:archive:{item.id}:")
    assert refused[-1] == "Only the shop owner can do this."
    assert not (await world.services.store.catalogue.get(1, item.id)).archived  # type: ignore[union-attr]
    assert "Nothing found" in (await world.say(CASHIER, "чай"))[-1]
    assert "/catalogue — the shop's goods" in (await world.say(CASHIER, "/help"))[-1]
    assert not any("Catalogue" in r for r in await world.say(STRANGER, "/catalogue"))


async def test_a_cp1251_csv_is_previewed_then_confirmed_once(world: BotWorld) -> None:
    await make_shop_by_bot(world, keys=False)
    await world.say(OWNER, "/catalogue")
    await world.press(OWNER, "Import CSV")
    replies = await send_file(world, CP1251_FILE)
    assert replies[-1].startswith("Import: 2 new, 0 changed, 0 errors.")
    assert await world.services.store.catalogue.count(1) == 0  # nothing before Confirm
    confirm = world.find_button(OWNER.id, "Confirm")
    replies = await world.press_data(OWNER, confirm)
    assert "Imported: 2 items" in replies[-1]
    again = await world.press_data(OWNER, confirm)
    assert "done or cancelled already" in again[-1]
    items = await world.services.store.catalogue.all_items(1)
    assert [(i.code, i.name, i.price, i.unit) for i in items] == [
        ("K1", "Кава зернова", 45000, "kg"),
        ("K2", "Букет", None, "piece"),
    ]


async def test_a_csv_with_a_broken_row_writes_nothing(world: BotWorld) -> None:
    await make_shop_by_bot(world, keys=False)
    broken = b"name;price\nTea;10\nCoffee;0\n"
    replies = await send_file(world, broken)
    assert "1 error" in replies[-1] and "Line 3: The price can't be 0" in replies[-1]
    assert "Nothing will be written" in replies[-1]
    assert await world.services.store.catalogue.count(1) == 0


async def test_the_export_is_a_csv_with_bom(world: BotWorld) -> None:
    await make_shop_by_bot(world, keys=False)
    await send_file(world, b"name;price;code\nTea;10;T\n")
    await world.press(OWNER, "Confirm")
    await world.say(OWNER, "/catalogue")
    await world.press(OWNER, "Export CSV")
    assert world.session.sent(SendDocument)
    _, name, data = world.session.uploads[-1]
    assert name == "catalogue.csv"
    assert (
        data == b"\xef\xbb\xbfcode;name;price;unit;tax;barcode;uktzed\r\nT;Tea;10,00;piece;;;\r\n"
    )


async def test_a_ukrainian_owner_reads_the_refusals_in_ukrainian(world: BotWorld) -> None:
    owner = person(101, "uk", "Оксана")
    await make_shop_by_bot(world, owner, keys=False)
    before = len(world.session.requests)
    broken = "Назва;Ціна;УКТЗЕД\nЧай;10;\nКава;0;\nВино;300;2204\n".encode("cp1251")
    await world.feed(document_update(world.session, owner, broken))
    [reply] = world.replies_since(before, owner.id)
    assert reply.startswith("Імпорт: нових — 1, змінених — 0, 2 помилки.")
    assert "Рядок 3: Ціна не може бути 0" in reply
    assert "Рядок 4: Код УКТЗЕД — рівно 10 цифр." in reply
    assert await world.services.store.catalogue.count(1) == 0
