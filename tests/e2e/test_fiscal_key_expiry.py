"""The cashier's key expiry end to end (#16, item 3): the real `python -m bot` against the
stand-ins. A key expiring in 3 days: one warning to the owner, in the owner's language, and
none again after a restart; an expired key: the refused sale says so in plain words."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from services.core.periods import KYIV
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_fiscal import LICENSE, checkbox, fiscal_owner, paid_invoice, sent_invoice

__all__ = ["checkbox"]  # the fixture
WARNING_UK = "Ключ касира Checkbox спливає через 3 дні"


async def test_a_key_expiring_in_3_days_is_one_warning_in_the_owners_language(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    checkbox: FakeCheckbox,
) -> None:
    end = datetime.now(UTC) + timedelta(days=3, hours=-1)
    checkbox.registers[LICENSE].certificate_end = end
    owner = await fiscal_owner(bot_process, checkbox, fake_telegram, fake_liqpay)
    order = await sent_invoice(owner, fake_liqpay)
    choice = await owner.say("/lang", "Choose the language")
    await owner.tap(choice, "Українська", "Мова")
    assert await fake_liqpay.pay(order) == 200  # the sale signs in: the profile is read

    warning = await owner.hears(WARNING_UK, timeout=30)
    assert f"(до {end.astimezone(KYIV):%d.%m.%Y})" in warning.text
    assert "Оновіть ключ КЕП у кабінеті Checkbox" in warning.text
    await fake_telegram.wait_for_message(
        owner.user.id, lambda m: "зареєстровано в податковій" in m.text, since=0, timeout=30
    )
    await bot_process.stop()
    await bot_process.start(timeout=60)  # the daily look runs at start: said already
    await asyncio.sleep(3)
    told = [m for m in fake_telegram.messages(owner.user.id) if WARNING_UK in m.text]
    assert len(told) == 1, told
    assert checkbox.requests_to("GET", "/api/v1/cashier/me")
    await bot_process.stop()


async def test_an_expired_key_is_told_in_plain_words_on_a_refused_sale(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    checkbox: FakeCheckbox,
) -> None:
    end = datetime.now(UTC) - timedelta(days=1)
    checkbox.registers[LICENSE].certificate_end = end
    checkbox.registers[LICENSE].key_expired = True
    owner = await fiscal_owner(bot_process, checkbox, fake_telegram, fake_liqpay)
    await paid_invoice(owner, fake_liqpay)
    plain = f"the cashier's key expired on {end.astimezone(KYIV):%d.%m.%Y}: renew it in the"
    told = await owner.hears(plain, timeout=30)
    assert told.has_button("Retry")
    await fake_telegram.wait_for_message(
        owner.user.id, lambda m: m.is_edit and plain in m.text, since=0, timeout=15
    )
    assert not [m for m in fake_telegram.messages(owner.user.id) if "expires in" in m.text]
    await bot_process.stop()
