"""End to end: the owner turns the cashier's reminder on in /settings, the cashier makes an
invoice, the bot restarts, and the reminder with the card's buttons reaches the cashier once.

The settings offer invoices of at least 5 minutes and reminders at least 15 minutes ahead;
to keep the test short the lifetime and the lead are shortened in the database while the
bot is stopped (the same columns the settings screen writes)."""

from __future__ import annotations

import sqlite3

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import new_invoice, shop_with_cashier

LIFETIME, LEAD = 60, 45  # seconds: the reminder is due 15 s after the invoice


def reminder_jobs(bot: BotProcess) -> list[tuple[str, str]]:
    with sqlite3.connect(bot.database_path) as db:
        rows = db.execute("SELECT kind, state FROM jobs WHERE kind = 'remind' ORDER BY id")
        return [(str(kind), str(state)) for kind, state in rows]


async def test_a_reminder_reaches_the_cashier_once_across_a_restart(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"  # the receipt stays as it is
    await bot_process.start()
    owner, cashier = await shop_with_cashier(fake_telegram, fake_liqpay)

    menu = await owner.say("/settings", "Reminder to the cashier: off")
    reminders = await owner.tap(menu, "Reminders", "Reminders")
    await owner.tap(reminders, "Reminder to the cashier", "Reminder to the cashier: on")

    await bot_process.stop()
    with sqlite3.connect(bot_process.database_path) as db:
        db.execute(
            "UPDATE shop_settings SET invoice_lifetime = ?, remind_lead = ?", (LIFETIME, LEAD)
        )
    await bot_process.start()

    card = await new_invoice(cashier, "42", "Tea", "Link", None)
    assert "Receipt No 1" in card.text
    assert reminder_jobs(bot_process) == [("remind", "pending")]  # made with the invoice
    await bot_process.restart()  # the reminder waits in the store

    reminder = await cashier.hears("is still unpaid", timeout=40)
    assert "Receipt No 1" in reminder.text and "Tea" in reminder.text
    assert reminder.has_button("Check status") and reminder.has_button("QR")
    assert reminder.has_button("Cancel invoice")
    assert reminder_jobs(bot_process) == [("remind", "done")]
    await fake_telegram.assert_no_message(cashier.user.id, "is still unpaid", within=6)
    await fake_telegram.assert_no_message(owner.user.id, "is still unpaid", within=0.1)
    await bot_process.stop()
