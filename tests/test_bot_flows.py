"""Handler tests: the real dispatcher fed updates, a recording Bot, LiqPay via aioresponses."""

from __future__ import annotations

from tests.bot_fixtures import (
    CASHIER,
    LIQPAY_REQUEST,
    NOT_FOUND,
    OWNER,
    STRANGER,
    BotWorld,
    extract_start_token,
    liqpay_answer,
    world,
)

__all__ = ["world"]


async def make_shop(world: BotWorld) -> None:
    await world.say(OWNER, "/start")
    await world.say(OWNER, "Кав'ярня")
    await world.say(OWNER, "/settings")
    await world.press(OWNER, "LiqPay")
    await world.say(OWNER, "sandbox_i000000001")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    await world.say(OWNER, "sandbox_privatekey123")


async def test_owner_creates_shop_and_sets_keys(world: BotWorld) -> None:
    replies = await world.say(OWNER, "/start")
    assert any("магазин" in r.lower() or "shop" in r.lower() for r in replies), replies
    replies = await world.say(OWNER, "Кав'ярня")
    assert any("Кав'ярня" in r for r in replies), replies
    await world.say(OWNER, "/settings")
    await world.press(OWNER, "LiqPay")
    await world.say(OWNER, "sandbox_i000000001")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    replies = await world.say(OWNER, "sandbox_privatekey123")
    assert all("sandbox_privatekey123" not in r for r in world.session.texts()), replies
    settings = await world.services.store.get_settings(1)
    assert settings.public_key == "sandbox_i000000001"
    print("\n".join(world.session.texts()))
