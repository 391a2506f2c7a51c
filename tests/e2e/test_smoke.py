"""The real bot process: starts, serves /healthz, polls Telegram, refuses forged LiqPay
callbacks, survives a Telegram outage at start, keeps its database, stops on SIGTERM."""

from __future__ import annotations

import sqlite3
import time

import pytest

from storage.sqlite.migrations import MIGRATIONS
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess


async def test_starts_serves_healthz_and_polls(
    fake_telegram: FakeTelegram, running_bot: BotProcess
) -> None:
    status, body = await running_bot.healthz()
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["schema_version"] == len(MIGRATIONS)

    first_poll = await fake_telegram.wait_for_call("getUpdates")
    assert first_poll.params.get("timeout")  # long polling, not a busy loop
    methods = [c.method for c in fake_telegram.calls() if c.ok]
    for method in ("setMyCommands", "deleteWebhook", "getMe"):
        assert method in methods, methods
    assert methods.index("setMyCommands") < methods.index("getUpdates")
    menu = fake_telegram.commands_for()
    assert menu is not None
    assert "start" in [c["command"] for c in menu]
    assert fake_telegram.commands_for(language_code="en") is not None


async def test_sigterm_stops_cleanly(fake_telegram: FakeTelegram, running_bot: BotProcess) -> None:
    await fake_telegram.wait_for_call("getUpdates")  # a long poll is in flight
    started = time.monotonic()
    code = await running_bot.stop(timeout=10)
    assert code == 0
    assert time.monotonic() - started < 10
    assert "Traceback" not in running_bot.log_text()


async def test_sigterm_while_telegram_hangs_at_start(
    fake_telegram: FakeTelegram, bot_process: BotProcess
) -> None:
    fake_telegram.delay = 30  # Telegram accepts connections but answers nothing
    await bot_process.start()
    await bot_process.stop(timeout=10)


async def test_forged_liqpay_callbacks_are_refused(
    fake_liqpay: FakeLiqPay, running_bot: BotProcess
) -> None:
    payload = {
        "version": 3,
        "public_key": "sandbox_i000000",
        "action": "pay",
        "order_id": "forged-1",
        "status": "success",
        "amount": 100.0,
        "currency": "UAH",
        "payment_id": 1,
    }
    url = running_bot.callback_url
    assert await fake_liqpay.send_callback(payload, "not-the-shop-key", url=url) == 400
    assert await fake_liqpay.send_callback(payload, "x", url=url, signature="AAAA") == 400
    assert await fake_liqpay.send_callback(payload, "x", url=url, data="bm90IGpzb24=") == 400
    assert await fake_liqpay.post_raw(url, b"garbage") == 400
    assert await fake_liqpay.post_raw(url, {}) == 400
    status, body = await running_bot.healthz()
    assert (status, body["status"]) == (200, "ok")


async def test_restart_keeps_the_database(
    fake_telegram: FakeTelegram, running_bot: BotProcess
) -> None:
    alice = fake_telegram.user(1001, "Alice", "en")
    await fake_telegram.send_text(alice, "hello")
    # The user middleware stores the language Telegram reports; wait for the update to be
    # taken (a later getUpdates confirms it with a higher offset).
    await fake_telegram.wait_for_call(
        "getUpdates", predicate=lambda c: int(c.params.get("offset") or 0) > 0
    )
    await running_bot.restart()
    status, body = await running_bot.healthz()
    assert status == 200
    assert body["schema_version"] == len(MIGRATIONS)
    await running_bot.stop()
    with sqlite3.connect(running_bot.database_path) as db:
        rows = db.execute("SELECT user_id FROM users").fetchall()
    assert (1001,) in rows


@pytest.mark.parametrize("mode", ["json", "html", "close"])
async def test_telegram_down_at_start(
    fake_telegram: FakeTelegram, bot_process: BotProcess, mode: str
) -> None:
    fake_telegram.down = True
    fake_telegram.down_mode = mode
    await bot_process.start()
    status, body = await bot_process.healthz()
    assert (status, body["status"]) == (200, "ok")
    assert not [c for c in fake_telegram.calls("getUpdates") if c.ok]

    mark = len(fake_telegram.calls())
    fake_telegram.down = False
    await fake_telegram.wait_for_call("getUpdates", timeout=20, after=mark)
    status, _ = await bot_process.healthz()
    assert status == 200
    await bot_process.stop()
