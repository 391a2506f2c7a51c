"""SECRET_KEY changed since the owner saved the LiqPay keys: the real process, restarted with
another key, tells cashiers (in their language) that the owner must enter the keys again,
not that the keys were never set."""

from __future__ import annotations

import re

from bot.i18n import t
from bot.receipts.views import keys_unreadable_text
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import Person, open_shop

NEVER_SET = "The shop owner has not set the LiqPay keys yet. Ask them to do it in /settings."


async def join(owner: Person, cashier: Person, language: str) -> None:
    link = await owner.say("/invite", "t.me/")
    token = re.search(r"start=([\w-]+)", link.text)
    assert token, link.text
    joined = t(
        "You joined <b>{shop}</b> as a cashier. Tap «New invoice» or send /new to issue an "
        "invoice.",
        language,
    ).split("<b>")[0]
    await cashier.say(f"/start {token.group(1)}", joined)


async def test_a_cashier_is_told_to_ask_for_the_keys_again_after_secret_key_changed(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    taras = Person(fake_telegram, fake_telegram.user(222, "Taras", "uk"))
    ivan = Person(fake_telegram, fake_telegram.user(333, "Ivan", "en"))
    await open_shop(owner, fake_liqpay)
    await join(owner, taras, "uk")
    await join(owner, ivan, "en")
    await ivan.say("/new", "Amount in UAH")  # the keys work before the restart
    await ivan.say("/cancel", "Cancelled")

    await bot_process.stop()
    bot_process.env["SECRET_KEY"] = "e2e-another-secret-key-fedcba9876543210fedcba98"
    await bot_process.start()

    in_ukrainian = keys_unreadable_text("uk")
    assert in_ukrainian != keys_unreadable_text("en")
    told = await taras.say("/new", in_ukrainian[:60])
    assert told.text == in_ukrainian
    assert t(NEVER_SET, "uk") not in told.text
    told = await ivan.say("/new", keys_unreadable_text("en")[:60])
    assert told.text == keys_unreadable_text("en")
    told = await owner.say("/new", keys_unreadable_text("en")[:60])  # not "set them first"
    assert told.text == keys_unreadable_text("en")
