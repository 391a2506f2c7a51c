"""Long polling gives Telegram's updates to one process, and SQLite serves one process: a
second `python -m bot` on the same database refuses to start with one line (exit code 2)
while the first keeps working, and a first one killed by SIGKILL leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.doubles.turbosms import FakeTurboSMS
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import Person
from tests.e2e.test_startup import refusal_line

EXIT_WITHIN = 60  # one interpreter start and a store opened, on a loaded machine


def another_process(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    fake_sms: FakeTurboSMS,
    work_dir: Path,
    first: BotProcess,
) -> BotProcess:
    second = BotProcess(
        telegram_url=fake_telegram.url,
        liqpay_api_url=fake_liqpay.api_url,
        sms_url=fake_sms.url,
        work_dir=work_dir,
    )
    for name in ("DATABASE_PATH", "DATABASE_URL", "WEBHOOK_URL"):
        if name in first.env:
            second.env[name] = first.env[name]
    return second


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_second_process_on_one_sqlite_database_is_refused(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    fake_sms: FakeTurboSMS,
    bot_process: BotProcess,
    tmp_path: Path,
    mode: str,
) -> None:
    if mode == "webhook":  # SQLite is one process whatever the mode
        bot_process.env["WEBHOOK_URL"] = f"{bot_process.url}/telegram/webhook"
        fake_telegram.deliver_webhook([bot_process.env["WEBHOOK_URL"]])
    await bot_process.start(timeout=EXIT_WITHIN)
    status, health = await bot_process.healthz()
    assert status == 200 and health["engine"] == "sqlite"
    assert health["replica"]["holds_polling"] is True
    assert isinstance(health["replica"]["jobs_leased"], int)

    second = another_process(fake_telegram, fake_liqpay, fake_sms, tmp_path / "second", bot_process)
    try:
        exited = await second.run_to_exit(EXIT_WITHIN)
        assert exited.code == 2, exited
        line = refusal_line(exited)
        assert line.startswith(
            f"Another bot process is already running on DATABASE_PATH={bot_process.database_path}"
        ), line
        assert "DATABASE_URL" in line and "WEBHOOK_URL" in line

        person = Person(fake_telegram, fake_telegram.user(555, "W", "en"))
        await person.say("/help", "LiqPay invoices")  # the first one never noticed
        assert not [c for c in fake_telegram.calls("getUpdates") if c.status == 409]

        await bot_process.kill()  # SIGKILL: the kernel drops its lock with its files
        await second.start(timeout=EXIT_WITHIN)
        _, health = await second.healthz()
        assert health["replica"]["holds_polling"] is True
        if mode == "polling":
            await person.say("/help", "LiqPay invoices")
        await second.stop()
    finally:
        await second.kill()


async def test_a_second_poller_on_one_postgresql_database_is_refused(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    fake_sms: FakeTurboSMS,
    bot_process: BotProcess,
    fresh_postgres_url: str,
    tmp_path: Path,
) -> None:
    bot_process.env["DATABASE_URL"] = fresh_postgres_url
    await bot_process.start(timeout=EXIT_WITHIN)
    second = another_process(fake_telegram, fake_liqpay, fake_sms, tmp_path / "second", bot_process)
    try:
        exited = await second.run_to_exit(EXIT_WITHIN)
        assert exited.code == 2, exited
        line = refusal_line(exited)
        assert line.startswith("Another bot process is already polling Telegram"), line
        password = fresh_postgres_url.split("@")[0].rsplit(":", 1)[1]
        assert password not in exited.stdout + exited.stderr

        await bot_process.stop()  # a clean stop releases it too
        await second.start(timeout=EXIT_WITHIN)
        await second.stop()
    finally:
        await second.kill()


async def test_a_webhook_telegram_has_already_is_left_alone(
    fake_telegram: FakeTelegram, bot_process: BotProcess
) -> None:
    hook = f"{bot_process.url}/telegram/webhook"
    bot_process.env["WEBHOOK_URL"] = hook
    await bot_process.start(timeout=EXIT_WITHIN)
    await bot_process.wait_for_log("Telegram webhook mode", timeout=30)
    [first] = fake_telegram.calls("setWebhook")
    await bot_process.stop()

    await bot_process.start(timeout=EXIT_WITHIN)  # the same URL and update types: nothing to do
    await bot_process.wait_for_log("registered already", timeout=30)
    assert len(fake_telegram.calls("setWebhook")) == 1
    await bot_process.stop()

    fake_telegram.webhook_allowed_updates = ["message"]  # set by an older version
    before = len(fake_telegram.calls())
    await bot_process.start(timeout=EXIT_WITHIN)
    await fake_telegram.wait_for_call("setWebhook", timeout=30, after=before)
    calls = fake_telegram.calls("setWebhook")
    assert len(calls) == 2 and calls[1].params["allowed_updates"] == first.params["allowed_updates"]
    await bot_process.stop()
