"""The owner sets Checkbox up through /settings in the real `python -m bot`, against the
stand-in Checkbox (tests/doubles/checkbox.py) on 127.0.0.1: the key and PIN messages are
deleted, the pair is tested by signing in, and the screen shows what is set."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.models.fiscal import FiscalMode, FiscalSettings
from storage.open import open_store
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import Person

LICENSE = "test9c0ffee5e2eLIC7"
PIN = "5550123456"


@pytest.fixture
async def checkbox() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as fake:
        fake.add_register(LICENSE, PIN)
        yield fake


async def test_owner_sets_checkbox_up_and_the_pin_message_is_deleted(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    checkbox: FakeCheckbox,
    bot_process: BotProcess,
) -> None:
    bot_process.env["CHECKBOX_API_URL"] = checkbox.url
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await owner.say("/start", "What is the shop called?")
    await owner.say("Coffee & Co", "is created")
    menu = await owner.say("/settings", "Settings of Coffee & Co")
    screen = await owner.tap(menu, "Fiscalization", "Not set up")
    await owner.tap(screen, "License key and PIN", "license key")

    wrong = await fake_telegram.send_text(owner.user, LICENSE)
    await owner.hears("PIN code")
    secret = await fake_telegram.send_text(owner.user, "1111")  # a wrong PIN first
    refused = await owner.hears("did not let the cashier sign in")
    assert "Nothing was saved" in refused.text
    assert fake_telegram.is_user_message_deleted(owner.user.id, secret["message_id"])
    assert await _saved(bot_process) is None

    await owner.tap(refused, "Try again", "license key")
    key = await fake_telegram.send_text(owner.user, LICENSE)
    await owner.hears("PIN code")
    secret = await fake_telegram.send_text(owner.user, PIN)
    await owner.hears("Checkbox accepted")
    screen = await owner.hears("Fiscalization: on")
    for message in (wrong, key, secret):
        assert fake_telegram.is_user_message_deleted(owner.user.id, message["message_id"])
    assert "••••LIC7" in screen.text and "PIN code: set" in screen.text
    assert "Платіж через інтегратора LIQPAY" in screen.text and "23:45" in screen.text
    assert checkbox.sign_ins[-1].headers["X-License-Key"] == LICENSE

    screen = await owner.tap(screen, "Tax rate", "tax rate")
    screen = await owner.tap(screen, "ПДВ 20%", "Tax rate: ПДВ 20%")
    screen = await owner.tap(screen, "Register only by the button", "only by the «Register")
    saved = await _saved(bot_process)
    assert saved is not None and saved.enabled and saved.mode is FiscalMode.MANUAL
    assert (saved.tax_code, saved.tax_label, saved.close_shift_at) == (1, "ПДВ 20%", 23 * 60 + 45)

    for text in [m.text for m in fake_telegram.messages(owner.user.id)]:
        assert LICENSE not in text and PIN not in text
    log = bot_process.log_path.read_text()
    assert LICENSE not in log and PIN not in log


async def _saved(bot: BotProcess) -> FiscalSettings | None:
    """What the bot's store holds for the shop, read through the store as the bot does."""
    store = await open_store(bot.database_path, None)
    try:
        return await store.fiscal.get(1)
    finally:
        await store.close()
