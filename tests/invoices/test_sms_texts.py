"""Why an SMS was not sent, as a Ukrainian cashier reads it: never an English fragment of
ours or of the HTTP client's, and no traceback when the stored token can't be read."""

from __future__ import annotations

import re
from types import SimpleNamespace

import aiohttp
from cryptography.fernet import Fernet

from bot.i18n import t
from bot.ui.callbacks import ChannelChoice, DialogAction
from services.core.crypto import SecretBox
from storage.models.receipts import Channel
from tests.bot_fixtures import BotWorld, make_shop_by_bot, world
from tests.doubles.recording_bot import person

__all__ = ["world"]

OWNER = person(111, "uk", "Олена")


def latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{2,}", text)) - {"TurboSMS", "SMS", "QR"}


async def sms_receipt(world: BotWorld) -> list[str]:
    """A shop with an SMS gateway whose TurboSMS does not answer; an SMS receipt issued."""
    await make_shop_by_bot(world, OWNER)
    box = world.services.receipts.box
    await world.services.store.settings.save_sms_gateway(1, box.encrypt("turbo-token"), "Shop")
    key = SimpleNamespace(host="api.turbosms.ua", port=443, ssl=True)
    refused = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused"))  # type: ignore[arg-type]
    world.liqpay.post(
        world.settings.sms_api_url + "/message/send.json", exception=refused, repeat=True
    )
    await world.say(OWNER, "/new")
    await world.say(OWNER, "15")
    await world.press_data(OWNER, DialogAction(action="skip").pack())
    await world.press_data(OWNER, ChannelChoice(channel=Channel.SMS).pack())
    await world.say(OWNER, "067 123 45 67")
    return await world.press(OWNER, "✅")


async def test_turbosms_down_is_said_in_ukrainian(world: BotWorld) -> None:
    replies = await sms_receipt(world)  # TurboSMS is not reachable in this world

    down = t("TurboSMS is not answering right now: the SMS was not sent.", "uk")
    problem = [r for r in replies if r.startswith("⚠️")]
    assert problem and down in problem[0], replies
    assert latin_words(problem[0]) == set(), problem[0]

    replies = await world.press(OWNER, t("✉️ Resend SMS", "uk"))
    assert replies == [t("Sending the SMS…", "uk"), down]  # answered at once, then the outcome


async def test_an_unreadable_sms_token_is_a_clear_message_not_a_traceback(
    world: BotWorld,
) -> None:
    await sms_receipt(world)
    other_box = SecretBox(Fernet.generate_key())  # as if SECRET_KEY had changed since
    await world.services.store.settings.save_sms_gateway(
        1, other_box.encrypt("turbo-token"), "Shop"
    )

    replies = await world.press(OWNER, t("✉️ Resend SMS", "uk"))

    assert replies == [
        t("Sending the SMS…", "uk"),
        t(
            "The stored TurboSMS token can't be read (the bot's secret key was changed). "
            "The owner must enter it again in /settings.",
            "uk",
        ),
    ]
    assert "Щось пішло не так" not in " ".join(world.session.texts())


def test_gateway_codes_are_quoted_and_other_reasons_are_not() -> None:
    from aiogram.utils.i18n import I18n

    from bot.i18n import setup_i18n
    from bot.receipts.show import sms_problem

    i18n: I18n = setup_i18n()
    with i18n.use_locale("uk"):
        assert "NOT_ENOUGH_CREDITS" in sms_problem("NOT_ENOUGH_CREDITS")
        for ours in ("no message id", "HTTP 400", "body is not JSON"):
            assert latin_words(sms_problem(ours)) == set(), ours
