"""The real bot process on PostgreSQL (DATABASE_URL): the same desk, nothing in SQLite."""

from __future__ import annotations

from storage.postgres.migrations import MIGRATIONS
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import Person, new_invoice, open_shop, sent_data


async def test_the_desk_works_on_postgresql_across_a_restart(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    fresh_postgres_url: str,
) -> None:
    bot_process.env["DATABASE_URL"] = fresh_postgres_url
    await bot_process.start()
    status, body = await bot_process.healthz()
    assert status == 200
    assert (body["engine"], body["schema_version"]) == ("postgresql", len(MIGRATIONS))

    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)
    await new_invoice(owner, "20", None, "E-mail", "a@example.com")
    await fake_liqpay.pay(sent_data(fake_liqpay, "invoice_send")["order_id"])
    await owner.hears("Receipt No 1 is paid", timeout=15)

    await owner.say("/new", "Amount in UAH")  # a dialog half-way through a restart
    await bot_process.stop()
    await bot_process.start()
    await owner.say("30", "What is it for")
    assert not bot_process.database_path.exists()  # everything went to PostgreSQL
    password = fresh_postgres_url.split("@")[0].rsplit(":", 1)[1]
    assert password not in bot_process.log_text()
    await bot_process.stop()
