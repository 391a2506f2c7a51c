"""/settings → Goods name: the owner picks a group, types an own name (cleaned, 1–128
characters) or lets the payment's purpose name the goods; until then the screen says it is
not chosen and receipts print the fallback. Cashiers are refused."""

from __future__ import annotations

from bot.i18n import t
from services.goods.names import FALLBACK_GOODS_NAME
from tests.bot_fixtures import (
    CASHIER,
    OWNER,
    BotWorld,
    join_cashier,
    make_shop_by_bot,
    world,
)

__all__ = ["world"]


async def shop_settings(world: BotWorld):  # type: ignore[no-untyped-def]
    member = await world.services.store.shops.get_member(OWNER.id)
    assert member is not None
    return await world.services.store.settings.get(member.shop_id)


async def test_not_chosen_until_the_owner_picks_a_group(world: BotWorld) -> None:
    await make_shop_by_bot(world, keys=False)
    replies = await world.say(OWNER, "/settings")
    assert f"Goods name on receipts: not chosen (prints «{FALLBACK_GOODS_NAME}»)" in replies[-1]
    replies = await world.press(OWNER, "Goods name")
    assert "A receipt sold as an amount only" in replies[-1]
    await world.press(OWNER, "Квіти та рослини")
    assert (await shop_settings(world)).default_goods_name == "Квіти та рослини"
    await world.press(OWNER, "The payment's purpose")
    assert (await shop_settings(world)).goods_name_from_purpose is True
    replies = await world.press(OWNER, "Back")
    assert (
        "Goods name on receipts: Квіти та рослини, or the payment's purpose when typed"
        in replies[-1]
    )


async def test_an_own_name_is_cleaned_and_checked(world: BotWorld) -> None:
    await make_shop_by_bot(world, keys=False)
    await world.say(OWNER, "/settings")
    await world.press(OWNER, "Goods name")
    await world.press(OWNER, "Type my own")
    replies = await world.say(OWNER, "x" * 129)
    assert "longer than 128" in replies[-1]
    replies = await world.say(OWNER, "\u200b\u202e")
    assert "The name is empty" in replies[-1]
    assert (await shop_settings(world)).default_goods_name is None
    replies = await world.say(OWNER, "  Кава\u200b  та   випічка ")
    assert (await shop_settings(world)).default_goods_name == "Кава та випічка"
    assert "Goods name on receipts: Кава та випічка" in replies[-1]


async def test_the_screen_reads_in_ukrainian_too() -> None:
    from bot.i18n import setup_i18n

    i18n = setup_i18n()
    with i18n.use_locale("uk"):
        text = t("Goods name on receipts: {name}", name="Напої")
    assert text == "Назва товару в чеках: Напої"


async def test_a_cashier_is_refused(world: BotWorld) -> None:
    await make_shop_by_bot(world, keys=False)
    await join_cashier(world)
    await world.say(OWNER, "/settings")
    data = world.find_button(OWNER.id, "Goods name")
    replies = await world.press_data(CASHIER, data)
    assert (await shop_settings(world)).default_goods_name is None
    assert not any("A receipt sold as an amount only" in r for r in replies)


async def test_a_forged_group_number_is_refused_not_an_error(world: BotWorld) -> None:
    """ "²".isdigit() is True, int("²") raises: a forged button's value is answered safely."""
    await make_shop_by_bot(world, keys=False)
    for forged in ("gn:group:²", "gn:group:٣", "gn:group:-1", "gn:group:99999"):
        await world.press_data(OWNER, forged)
        answers = [r for r in world.session.requests if type(r).__name__ == "AnswerCallbackQuery"]
        assert answers[-1].text == "That value is not allowed.", forged
    assert (await shop_settings(world)).default_goods_name is None
