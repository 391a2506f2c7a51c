"""The daily reconciliation (services/reconcile/) against the stand-in LiqPay's archive and
the stand-in Checkbox's receipt list, on each engine: what the bot missed is fixed once,
through the paths every payment and refund takes; what it can't fix is reported; LiqPay
down changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from services.fiscal.policy import FISCAL_SALE
from services.liqpay.reports import ArchiveRow
from services.notifications.jobs import NotificationKind as K
from services.reconcile.model import Entry, FixKind, ProblemKind, Side
from services.reconcile.service import refund_unseen_in
from services.refunds.ledger import FISCAL_RETURN
from storage.models.fiscal import FiscalState
from storage.models.receipts import EventSource, ReceiptStatus
from tests.builders import PUBLIC_KEY
from tests.fiscal_fixtures import LICENSE
from tests.reconcile_fixtures import ReconcileDesk

S = ReceiptStatus


async def test_a_lost_callback_is_found_paid_once_with_its_notices_and_fiscal_job(
    desk: ReconcileDesk,
) -> None:
    receipt = await desk.invoice(45270)
    expired = await desk.receipts.move(receipt, S.EXPIRED, EventSource.POLL)
    assert expired is not None
    await desk.liqpay.pay(receipt.order_id, callback=False)  # the callback never arrives
    order = desk.liqpay.order(receipt.order_id)

    result = await desk.run()

    assert result.liqpay is Side.OK
    assert result.fixes == [Entry(FixKind.MARKED_PAID, 45270, "UAH", number=receipt.number)]
    assert result.problems == []
    assert (result.payments, result.takings) == (1, {"UAH": 45270})
    paid = await desk.store.receipts.get(receipt.id)
    assert paid is not None and paid.status is S.PAID
    assert paid.paid_at == datetime.fromtimestamp(order.end_date / 1000, UTC)
    assert paid.fiscal_state is FiscalState.NOT_REGISTERED
    late = await desk.notices(K.PAID_LATE)
    assert sorted(chat for chat, _ in late) == [desk.shop.owner_id, desk.shop.cashier_id]
    assert len(await desk.store.jobs.find(kind=FISCAL_SALE, receipt_id=receipt.id)) == 1

    again = await desk.run()  # a second run (or another replica) finds it done

    assert again.fixes == [] and again.problems == [] and again.payments == 1
    assert len(await desk.notices(K.PAID_LATE)) == 2
    assert len(await desk.store.jobs.find(kind=FISCAL_SALE, receipt_id=receipt.id)) == 1


async def test_a_cabinet_refund_is_recorded_once_with_one_return_receipt_job(
    desk: ReconcileDesk,
) -> None:
    paid = await desk.paid(30000)
    assert paid.fiscal_state is FiscalState.REGISTERED
    await desk.liqpay.refund(paid.order_id, amount="100.00", callback=False)  # in the cabinet

    result = await desk.run()

    assert result.fixes == [Entry(FixKind.REFUND_RECORDED, 10000, "UAH", number=paid.number)]
    assert result.problems == []
    assert (result.refunds, result.refunded) == (1, {"UAH": 10000})
    after = await desk.store.receipts.get(paid.id)
    assert after is not None and after.refunded_amount == 10000 and after.status is S.PAID
    assert len(await desk.store.jobs.find(kind=FISCAL_RETURN, receipt_id=paid.id)) == 1
    told = len(await desk.notices(K.REFUND))
    assert told >= 1

    again = await desk.run()

    assert again.fixes == [] and again.problems == []
    after_again = await desk.store.receipts.get(paid.id)
    assert after_again is not None and after_again.refunded_amount == 10000
    assert len(await desk.store.jobs.find(kind=FISCAL_RETURN, receipt_id=paid.id)) == 1
    assert len(await desk.notices(K.REFUND)) == told


async def test_a_cabinet_refund_after_the_bots_own_is_seen_with_per_refund_rows(
    desk: ReconcileDesk,
) -> None:
    """Refund rows carrying their own refund_amount: the first refund's row (100, known to
    the bot) must not hide a later one (50): the payment's total (150) is over the bot's."""
    desk.liqpay.refund_rows_amount = "this"
    paid = await desk.paid(30000)
    await desk.liqpay.refund(paid.order_id, amount="100.00", callback=False)
    first = await desk.run()
    assert first.fixes == [Entry(FixKind.REFUND_RECORDED, 10000, "UAH", number=paid.number)]
    await desk.liqpay.refund(paid.order_id, amount="50.00", callback=False)  # in the cabinet

    result = await desk.run()

    assert result.fixes == [Entry(FixKind.REFUND_RECORDED, 5000, "UAH", number=paid.number)]
    after = await desk.store.receipts.get(paid.id)
    assert after is not None and after.refunded_amount == 15000
    assert len(await desk.store.jobs.find(kind=FISCAL_RETURN, receipt_id=paid.id)) == 2
    asked = len(desk.liqpay.requests_for("status"))
    again = await desk.run()  # all known: the archive's total is the bot's, nothing asked
    assert again.fixes == [] and len(desk.liqpay.requests_for("status")) == asked


def test_an_orders_rows_say_when_a_refund_is_unseen() -> None:
    def row(action: str, status: str, amount: int, refund: int = 0) -> ArchiveRow:
        return ArchiveRow("o", action, status, amount, "UAH", "1", None, refund)

    pay = row("pay", "success", 30000, 15000)  # the payment: 150 given back so far
    hundred, fifty = row("refund", "reversed", 10000), row("refund", "reversed", 5000)
    assert refund_unseen_in([pay, hundred, fifty], 10000)
    assert not refund_unseen_in([pay, hundred, fifty], 15000)
    own = row("refund", "reversed", 10000, 10000)  # rows with their own refund_amount
    later = row("refund", "reversed", 5000, 5000)
    assert refund_unseen_in([own, later], 10000)  # no payment's total: asked
    assert refund_unseen_in([row("pay", "success", 30000, 10000), own, later], 10000)
    assert not refund_unseen_in([row("pay", "success", 30000, 10000), own], 10000)
    assert refund_unseen_in([row("pay", "reversed", 30000)], 10000)  # all given back
    assert not refund_unseen_in([row("pay", "reversed", 30000)], 30000)


async def test_an_odd_archive_row_is_skipped_and_counted_not_the_day_unread(
    desk: ReconcileDesk,
) -> None:
    await desk.paid(25050)
    desk.liqpay.extra_archive_rows = [{"order_id": "x", "amount": "lots"}, ["junk"]]

    result = await desk.run()

    assert result.liqpay is Side.OK and result.unreadable == 2
    assert (result.payments, result.takings) == (1, {"UAH": 25050})
    assert not result.all_well  # the owner is told
    kept = await desk.reconcile.reconciliation.last(desk.shop.shop_id, desk.today)
    assert kept is not None and kept.unreadable == 2


async def test_all_agreeing_is_counted_registered_and_kept_for_the_digest(
    desk: ReconcileDesk,
) -> None:
    await desk.paid(25050)
    await desk.paid(20000)

    result = await desk.run()

    assert result.all_well
    assert (result.payments, result.takings) == (2, {"UAH": 45050})
    assert (result.fiscal, result.to_register, result.registered) == (Side.OK, 2, 2)
    assert result.registered_sum == 45050
    kept = await desk.reconcile.reconciliation.last(desk.shop.shop_id, desk.today)
    assert kept == result


async def test_an_unknown_order_and_a_fiscal_receipt_without_payment_are_reported(
    desk: ReconcileDesk,
) -> None:
    await desk.paid(25050)
    desk.liqpay.foreign_payment(PUBLIC_KEY, "site-order-7", "99.00")
    till = desk.checkbox.foreign_receipt(LICENSE, 1000)

    result = await desk.run()

    assert result.fixes == []
    assert Entry(ProblemKind.UNKNOWN_ORDER, 9900, "UAH", order_id="site-order-7") in result.problems
    assert Entry(ProblemKind.NO_PAYMENT, 1000, "UAH", code=till.fiscal_code) in result.problems
    assert len(result.problems) == 2
    assert result.payments == 1  # the bot's own payment agrees


async def test_a_paid_receipt_without_a_fiscal_receipt_past_its_grace_is_reported(
    desk: ReconcileDesk,
) -> None:
    desk.checkbox.down = True  # registration fails and keeps retrying
    receipt = await desk.invoice(25050)
    await desk.liqpay.pay(receipt.order_id, callback=False)
    paid = await desk.receipts.refresh(receipt)
    await desk.run_fiscal_jobs()
    desk.checkbox.down = False
    desk.clock.advance(minutes=31)

    result = await desk.run()

    assert result.problems == [Entry(ProblemKind.NOT_REGISTERED, 25050, "UAH", number=paid.number)]
    assert (result.to_register, result.registered) == (1, 0)


async def test_liqpay_down_changes_nothing_and_says_so(desk: ReconcileDesk) -> None:
    receipt = await desk.invoice(25050)
    await desk.liqpay.pay(receipt.order_id, callback=False)
    desk.liqpay.down = True
    before = await desk.notices()

    result = await desk.run()

    assert result.liqpay is Side.UNAVAILABLE and not result.checked
    assert result.fixes == [] and result.problems == []
    unchanged = await desk.store.receipts.get(receipt.id)
    assert unchanged is not None and unchanged.status is S.AWAITING
    assert await desk.notices() == before
    assert await desk.reconcile.reconciliation.last(desk.shop.shop_id, desk.today) is None


async def test_checkbox_down_still_reconciles_liqpay(desk: ReconcileDesk) -> None:
    await desk.paid(25050)
    desk.checkbox.down = True

    result = await desk.run()

    assert result.liqpay is Side.OK and result.fiscal is Side.UNAVAILABLE
    assert result.payments == 1 and not result.all_well


async def test_two_runs_at_once_fix_a_lost_payment_once(desk: ReconcileDesk) -> None:
    import asyncio

    receipt = await desk.invoice(25050)
    await desk.liqpay.pay(receipt.order_id, callback=False)

    first, second = await asyncio.gather(desk.run(), desk.run())

    assert len(first.fixes) + len(second.fixes) == 1
    assert first.problems == second.problems == []
    assert sorted(chat for chat, _ in await desk.notices(K.PAID)) == [
        desk.shop.owner_id, desk.shop.cashier_id,
    ]  # fmt: skip
    assert len(await desk.store.jobs.find(kind=FISCAL_SALE, receipt_id=receipt.id)) == 1


async def test_liqpay_refusing_its_archive_changes_nothing_and_names_the_code(
    desk: ReconcileDesk,
) -> None:
    receipt = await desk.invoice(25050)
    await desk.liqpay.pay(receipt.order_id, callback=False)
    desk.liqpay.fail_next(200, {"result": "error", "err_code": "err_access"})

    result = await desk.run()

    assert (result.liqpay, result.refusal) == (Side.REFUSED, "err_access")
    unchanged = await desk.store.receipts.get(receipt.id)
    assert unchanged is not None and unchanged.status is S.AWAITING
