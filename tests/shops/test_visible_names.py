"""Names a person types or Telegram gives (shop names, invoice descriptions, members' names)
keep no bidi controls or zero-width characters: those reorder or hide what a client shows
("\u202e" turns "Кава 052" into a reversed string). A name left empty is refused."""

from __future__ import annotations

import pytest

from services.core.names import clean_name
from tests.bot_fixtures import (
    CASHIER,
    INVOICE_OK,
    LIQPAY_REQUEST,
    OWNER,
    BotWorld,
    extract_start_token,
    make_shop_by_bot,
    world,
)
from tests.doubles.liqpay_mock import liqpay_answer
from tests.doubles.recording_bot import person

__all__ = ["world"]

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


@pytest.mark.parametrize("char", list(BIDI + ZERO_WIDTH))
def test_each_invisible_character_is_removed(char: str) -> None:
    assert clean_name(f"Ка{char}ва {char} 052{char}") == "Кава 052"


def test_visible_text_stays_as_it_was() -> None:
    assert clean_name("  Кав'ярня «Ранок»\n№ 5 — café ☕ ") == "Кав'ярня «Ранок» № 5 — café ☕"
    assert clean_name("מסעדה שלום") == "מסעדה שלום"  # right-to-left letters are no controls


async def test_a_shop_name_keeps_no_bidi_or_zero_width_characters(world: BotWorld) -> None:
    await world.say(OWNER, "/start")
    replies = await world.say(OWNER, "\u202eКав'ярня\u200b \u2066Ранок\u2069\ufeff")
    assert any("Кав'ярня Ранок" in r for r in replies), replies
    owner = await world.services.store.shops.get_member(OWNER.id)
    assert owner is not None and owner.shop_name == "Кав'ярня Ранок"


async def test_a_shop_name_of_invisible_characters_only_is_refused(world: BotWorld) -> None:
    await world.say(OWNER, "/start")
    usual = "The name should be 1 to 100 characters. What is the shop called?"
    assert await world.say(OWNER, "\u202e\u200b \u2066\u2069\ufeff") == [usual]
    assert await world.services.store.shops.get_member(OWNER.id) is None
    replies = await world.say(OWNER, "Кав'ярня")
    assert any("Кав'ярня" in r and "created" in r for r in replies), replies


async def test_the_service_cleans_a_shop_name_too(world: BotWorld) -> None:
    member = await world.services.shops.create_shop(OWNER.id, "Olena", "Ка\u202eва\u200d")
    assert member.shop_name == "Кава"
    with pytest.raises(ValueError):
        await world.services.shops.create_shop(CASHIER.id, "Ivan", "\u202e\u200b")


async def test_an_invoice_description_keeps_no_bidi_or_zero_width_characters(
    world: BotWorld,
) -> None:
    await make_shop_by_bot(world)
    await world.say(OWNER, "/new")
    await world.say(OWNER, "250")
    await world.say(OWNER, "Кава\u202e 052\u200b")
    await world.press(OWNER, "E-mail")
    await world.say(OWNER, "buyer@example.com")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    await world.press(OWNER, "Confirm")
    assert world.liqpay_requests()[-1]["description"] == "Кава 052"
    receipt = await world.services.store.receipts.get(1)
    assert receipt is not None and receipt.description == "Кава 052"


async def test_a_members_telegram_name_keeps_no_bidi_or_zero_width_characters(
    world: BotWorld,
) -> None:
    await make_shop_by_bot(world)
    token = extract_start_token((await world.say(OWNER, "/invite"))[-1])
    mallory = person(400, "en", "\u202eIvan\u200b")
    await world.say(mallory, f"/start {token}")
    joined = await world.services.store.shops.get_member(400)
    assert joined is not None and joined.name == "Ivan"
