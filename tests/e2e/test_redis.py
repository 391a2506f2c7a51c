"""REDIS_URL set: the real `python -m bot` keeps a half-filled dialog in Redis across a
restart, and none in SQLite."""

from __future__ import annotations

import sqlite3

import redis

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import Person, link_order, open_shop


def sqlite_dialogs(bot_process: BotProcess) -> int:
    with sqlite3.connect(bot_process.database_path) as db:
        return int(db.execute("SELECT count(*) FROM dialogs").fetchone()[0])


def redis_states(url: str) -> dict[str, str]:
    with redis.Redis.from_url(url, decode_responses=True) as client:
        return {name: str(client.get(name)) for name in client.scan_iter("fsm:*:state")}


async def test_a_dialog_in_redis_survives_a_restart(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    fresh_redis_url: str,
) -> None:
    bot_process.env["REDIS_URL"] = fresh_redis_url
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)
    await owner.say("/new", "Amount in UAH")
    asked = await owner.say("99,90", "What is it for")
    assert list(redis_states(fresh_redis_url).values()) == ["NewInvoice:description"]
    await bot_process.restart()
    channels = await owner.tap(asked, "Skip", "How does the customer get")
    summary = await owner.tap(channels, "Link", "Check the invoice")
    assert "99,90" in summary.text
    card = await owner.tap(summary, "Confirm", "Receipt No 1")
    assert link_order(card)[1]["amount"] == "99.9"
    assert redis_states(fresh_redis_url) == {}
    assert sqlite_dialogs(bot_process) == 0
    await bot_process.stop()
