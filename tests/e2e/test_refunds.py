"""The owner refunds part of a paid receipt with the real `python -m bot` against the
stand-ins of the Telegram Bot API and LiqPay (with its `refund` action): one LiqPay refund
for a double tap, the cashier told once, a timeout resolved by `status`, the cabinet's
refund of the rest recorded from its callback."""

from __future__ import annotations

import asyncio

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import new_invoice, sent_data, shop_with_cashier


async def test_owner_refunds_part_and_the_cashier_is_told(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"  # callbacks carry this walk
    await bot_process.start()
    owner, cashier = await shop_with_cashier(fake_telegram, fake_liqpay)

    await new_invoice(cashier, "250,50", "Coffee beans", "E-mail", "buyer@example.com")
    order = sent_data(fake_liqpay, "invoice_send")["order_id"]
    assert await fake_liqpay.pay(order, card_mask="473118*97") == 200
    cashier_notice = await cashier.hears("Receipt No 1 is paid")
    notice = await owner.hears("Receipt No 1 is paid")
    assert notice.has_button("Refund")  # the owner's, not the cashier's
    assert not cashier_notice.has_button("Refund")

    await owner.tap(notice, "Refund", "Left to refund")
    await owner.say("300", "more than is left to refund")
    await owner.say("abc", "not an amount")
    confirm = await owner.say("100", "473118*97")
    assert "100,00\u00a0UAH" in confirm.text
    await fake_telegram.press(owner.user, confirm, "✅ Refund", latest=False)
    await fake_telegram.press(owner.user, confirm, "✅ Refund", latest=False)  # a double tap
    await owner.hears("went back to the customer's card 473118*97")
    told = await cashier.hears("100,00\u00a0UAH of receipt No 1 went back")
    assert "left: 150,50" in told.text
    await asyncio.sleep(1.5)  # LiqPay's callback after the refund arrives meanwhile
    assert len(fake_liqpay.requests_for("refund")) == 1
    assert fake_liqpay.requests_for("refund")[0].payload["amount"] == "100"
    await fake_telegram.assert_no_message(cashier.user.id, "went back", within=1.0)

    # a refund whose answer is lost: status is asked, never a second refund
    fake_liqpay.refund_callbacks = False  # only `status` can tell what became of it
    fake_liqpay.hang_next_refund(15.0, applied=True)
    statuses = len(fake_liqpay.requests_for("status"))
    await owner.tap(notice, "Refund", "Left to refund")
    confirm = await owner.say("50", "473118*97")
    await fake_telegram.press(owner.user, confirm, "✅ Refund")
    await cashier.hears("50,00\u00a0UAH of receipt No 1 went back", timeout=30)
    assert len(fake_liqpay.requests_for("refund")) == 2
    assert len(fake_liqpay.requests_for("status")) > statuses

    # the rest refunded in LiqPay's cabinet: its callback makes the receipt refunded
    await fake_liqpay.refund(order)
    await cashier.hears("is refunded in full", timeout=15)
    await owner.hears("is refunded in full", timeout=15)
    await bot_process.stop()


async def test_a_partial_refund_answered_success_is_done_at_once(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    """LiqPay may answer a partial refund `success` + `refund_amount`, not `reversed`: the
    owner reads it done at once, the sum is recorded once, and nothing is refunded twice."""
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"
    await bot_process.start()
    owner, cashier = await shop_with_cashier(fake_telegram, fake_liqpay)
    await new_invoice(cashier, "250,50", "Coffee beans", "E-mail", "buyer@example.com")
    order = sent_data(fake_liqpay, "invoice_send")["order_id"]
    assert await fake_liqpay.pay(order, card_mask="473118*97") == 200
    await cashier.hears("Receipt No 1 is paid")
    notice = await owner.hears("Receipt No 1 is paid")
    fake_liqpay.partial_refund_status = "success"
    fake_liqpay.refund_callbacks = False  # the answer alone settles it
    statuses = len(fake_liqpay.requests_for("status"))

    # the answer's refund_amount covers this refund: done, without asking status
    await owner.tap(notice, "Refund", "Left to refund")
    confirm = await owner.say("100", "473118*97")
    await fake_telegram.press(owner.user, confirm, "✅ Refund")
    done = await owner.hears("went back to the customer's card 473118*97", timeout=5)
    assert "Partly refunded: 100,00\u00a0UAH of 250,50\u00a0UAH" in done.text
    await cashier.hears("100,00\u00a0UAH of receipt No 1 went back", timeout=5)
    assert len(fake_liqpay.requests_for("status")) == statuses
    # LiqPay's callback of the same refund, late: nothing changes, nobody is told again
    paid = fake_liqpay.order(order)
    assert paid.server_url
    fields = fake_liqpay.payment_fields(paid)
    private = fake_liqpay.keys[paid.public_key]
    assert await fake_liqpay.send_callback(fields, private, url=paid.server_url) == 200
    await fake_telegram.assert_no_message(cashier.user.id, "went back", within=1.5)

    # an answer whose refund_amount does not cover it: status once, at once, and done
    fake_liqpay.refund_answer_amount = "this"  # 50, not the 150 refunded in all
    await owner.tap(notice, "Refund", "Left to refund")
    confirm = await owner.say("50", "473118*97")
    await fake_telegram.press(owner.user, confirm, "✅ Refund")
    done = await owner.hears("50,00\u00a0UAH of receipt No 1 went back", timeout=5)
    assert "Partly refunded: 150,00\u00a0UAH" in done.text
    assert len(fake_liqpay.requests_for("status")) == statuses + 1
    await cashier.hears("50,00\u00a0UAH of receipt No 1 went back", timeout=5)

    # a lost answer: only status is asked, never a second refund
    fake_liqpay.hang_next_refund(15.0, applied=True)
    await owner.tap(notice, "Refund", "Left to refund")
    confirm = await owner.say("30", "473118*97")
    await fake_telegram.press(owner.user, confirm, "✅ Refund")
    await cashier.hears("30,00\u00a0UAH of receipt No 1 went back", timeout=30)
    assert len(fake_liqpay.requests_for("refund")) == 3
    assert [str(r.amount) for r in fake_liqpay.refunds] == ["100", "50", "30"]
    await fake_telegram.assert_no_message(cashier.user.id, "went back", within=1.0)
    await bot_process.stop()
