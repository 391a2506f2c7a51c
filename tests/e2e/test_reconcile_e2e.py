"""/reconcile with the real `python -m bot` against the stand-ins of the Bot API and LiqPay
(its `reports` archive): a payment whose callback was lost is found, marked paid, and the
cashier told once; a second check finds all agreeing."""

from __future__ import annotations

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import new_invoice, sent_data, shop_with_cashier


async def test_reconcile_finds_a_lost_payment(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "3600"  # the poller would find it much later
    await bot_process.start()
    owner, cashier = await shop_with_cashier(fake_telegram, fake_liqpay)
    await new_invoice(cashier, "4512,70", "Coffee beans", "E-mail", "buyer@example.com")
    order = sent_data(fake_liqpay, "invoice_send")["order_id"]
    assert await fake_liqpay.pay(order, card_mask="473118*97", callback=False) is None
    await fake_telegram.assert_no_message(cashier.user.id, "is paid", within=1.0)

    choice = await owner.say("/reconcile", "which day?")
    result = await owner.tap(choice, "Today", "Reconciliation of")

    assert "LiqPay and the bot agree on 1 payment, 4\u00a0512,70\u00a0UAH." in result.text
    assert "Receipt No 1, 4\u00a0512,70\u00a0UAH: the payment had been missed" in result.text
    assert len(fake_liqpay.requests_for("reports")) == 1
    await cashier.hears("Receipt No 1 is paid")

    choice = await owner.say("/reconcile", "which day?")
    again = await owner.tap(choice, "Today", "Reconciliation of")
    assert "All 1 payment, 4\u00a0512,70\u00a0UAH, agree with LiqPay ✅" in again.text
    await fake_telegram.assert_no_message(cashier.user.id, "is paid", within=1.0)
    await bot_process.stop()
