"""Button data a client can forge, fed through the real dispatcher: every CallbackData class
refuses what no button of ours carries, politely and in the user's language, without an
error, a traceback or a LiqPay call."""

from __future__ import annotations

import logging

import pytest

from bot.i18n import t
from bot.ui.callbacks import ChannelChoice, DialogAction
from storage.models.receipts import Channel
from tests.bot_fixtures import BotWorld, make_shop_by_bot, world
from tests.doubles.recording_bot import person

__all__ = ["world"]

OWNER = person(121, "uk", "Олена")
BEYOND_64_BITS = str(2**64 + 1)

TAMPERED = [
    # ReceiptAction
    f"rc:check:{BEYOND_64_BITS}",
    f"rc:open:{BEYOND_64_BITS}",
    f"rc:retry:{BEYOND_64_BITS}",
    "rc:cancel_yes:-1",
    "rc:check:0",
    "rc:check:one",
    "rc:explode:1",
    "rc:check",
    "rc:check:1:2",
    # FiscalReceiptAction
    f"frc:register:{BEYOND_64_BITS}",
    f"frc:picture:{BEYOND_64_BITS}",
    "frc:register:0",
    "frc:sell:1",
    "frc:picture",
    # PendingPage
    f"pg:{BEYOND_64_BITS}",
    "pg:99999999999",
    "pg:-1",
    "pg:next",
    # StaffAction
    f"sf:remove:{BEYOND_64_BITS}",
    f"sf:remove_yes:{BEYOND_64_BITS}",
    "sf:promote:5",
    "sf:remove:x",
    # SettingsAction
    "st:root:",
    "st:lifetime:" + "9" * 40,
    "st:version:" + "7" * 40,
    # ChannelChoice, DialogAction, LanguageChoice
    "ch:pigeon",
    "dl:explode:",
    "dl:confirm:" + "k" * 40,
    "lg:fr",
    "lg:",
    # no class of ours at all
    "zz:1",
    "rc",
]


async def shop_with_receipt(world: BotWorld) -> None:
    await make_shop_by_bot(world, OWNER)
    await world.say(OWNER, "/new")
    await world.say(OWNER, "100")
    await world.press_data(OWNER, DialogAction(action="skip").pack())
    await world.press_data(OWNER, ChannelChoice(channel=Channel.LINK).pack())
    await world.press(OWNER, "✅")
    assert await world.services.store.receipts.get(1) is not None


@pytest.mark.parametrize("data", TAMPERED)
async def test_tampered_button_data_is_refused_politely(
    world: BotWorld, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    await shop_with_receipt(world)
    liqpay_calls = len(world.liqpay_requests())
    receipt_before = await world.services.store.receipts.get(1)
    caplog.clear()
    caplog.set_level(logging.INFO)

    replies = await world.press_data(OWNER, data)

    assert replies == [t("This button is no longer active.", "uk")]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert len(world.liqpay_requests()) == liqpay_calls
    assert await world.services.store.receipts.get(1) == receipt_before


async def test_a_stranger_pressing_tampered_data_is_told_what_the_bot_is(
    world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = person(122, "en", "Stranger")
    replies = await world.press_data(stranger, f"rc:check:{BEYOND_64_BITS}")
    assert replies == ["This is for shop members. Send /start to begin."]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_genuine_buttons_still_work(world: BotWorld) -> None:
    await shop_with_receipt(world)
    replies = await world.say(OWNER, "/pending")
    assert any("№ 1" in r for r in replies), replies
    replies = await world.press_data(OWNER, "lg:en")
    assert replies[-1] == "Language: English"
