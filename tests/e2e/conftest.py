"""Fixtures for end-to-end tests: the three fakes and the bot process (not started).

async def test_x(fake_telegram, fake_liqpay, bot_process):
    bot_process.env["OWNER_IDS"] = "111"
    await bot_process.start()
    alice = fake_telegram.user(111, "Alice")
    await fake_telegram.send_text(alice, "/start")
    msg = await fake_telegram.wait_for_message(alice.id, "...")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.doubles.turbosms import FakeTurboSMS
from tests.e2e.harness import BOT_TOKEN, BotProcess


@pytest.fixture
def e2e_dir(tmp_path: Path) -> Path:
    """The bot's working directory for this test (database, log)."""
    path = tmp_path / "bot"
    path.mkdir()
    return path


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(token=BOT_TOKEN)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def fake_liqpay() -> AsyncIterator[FakeLiqPay]:
    fake = FakeLiqPay()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def fake_sms() -> AsyncIterator[FakeTurboSMS]:
    fake = FakeTurboSMS()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def bot_process(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    fake_sms: FakeTurboSMS,
    e2e_dir: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[BotProcess]:
    """The bot, configured against the fakes but not started: adjust `.env`, then start()."""
    proc = BotProcess(
        telegram_url=fake_telegram.url,
        liqpay_api_url=fake_liqpay.api_url,
        sms_url=fake_sms.url,
        work_dir=e2e_dir,
    )
    fake_telegram.timeout_info = proc.log_tail
    fake_liqpay.default_callback_url = proc.callback_url
    yield proc
    await proc.kill()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(proc.log_tail(80))


@pytest.fixture
async def running_bot(bot_process: BotProcess) -> BotProcess:
    """The bot, started with the default settings."""
    await bot_process.start()
    return bot_process


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
