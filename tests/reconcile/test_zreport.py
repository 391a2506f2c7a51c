"""The reconciliation's Z reports (services/reconcile/zreport.py), on each engine, against the
stand-in Checkbox: a shift closed that day, its card sales and returns against the bot's
registered sales and return receipts in the shift's time; a difference is reported, never
fixed; Checkbox not answering says the Z report was not checked."""

from __future__ import annotations

import re
from datetime import date

from bot.reconcile.texts import digest_line, reconcile_text
from services.fiscal.returns import FISCAL_REGISTER_RETURN
from services.notifications.jobs import OutboxSignal
from services.reconcile.model import Result, Side, ZTotals
from services.refunds.ledger import FISCAL_RETURN
from services.refunds.worker import JobWorker
from tests.fiscal_fixtures import LICENSE
from tests.reconcile_fixtures import ReconcileDesk

NBSP = "\u00a0"
SHIFTS = "/api/v1/cash-registers/shifts"


async def _register_returns(desk: ReconcileDesk) -> None:
    """The return receipts' two jobs, run like the fiscal worker's loop runs them."""
    run = desk.fiscal.returns.run_return
    worker = JobWorker(
        desk.store.jobs, {FISCAL_RETURN: run, FISCAL_REGISTER_RETURN: run}, OutboxSignal(),
        desk.clock, role="r1",
    )  # fmt: skip
    for _ in range(10):
        if not await worker.drain():
            return


def _uah(text: str) -> str:
    return re.sub(r"(\d) (\d)", rf"\1{NBSP}\2", text).replace(" UAH", f"{NBSP}UAH")


async def test_a_closed_shift_whose_z_report_agrees_is_said_so_and_kept(
    desk: ReconcileDesk,
) -> None:
    await desk.paid(441270)
    refunded = await desk.paid(10000)
    await desk.liqpay.refund(refunded.order_id, amount="100.00", callback=False)  # cabinet
    await desk.run()  # records the refund: its return receipt's job
    await _register_returns(desk)
    shift = desk.checkbox.shift_of(LICENSE)
    assert shift is not None and shift.card_returns == 10000  # the return was registered
    desk.checkbox.close_shift_now(LICENSE)

    result = await desk.run()

    assert result.zreport is Side.OK
    assert result.shifts == [ZTotals(shift.serial, 451270, 10000, 451270, 10000)]
    assert result.all_well
    text = reconcile_text(result, "en")
    assert _uah("Z report: sales 4 512,70 UAH, returns 100,00 UAH — agree ✅") in text
    assert "Z-звіт: продажі 4\u00a0512,70\u00a0UAH, повернення 100,00\u00a0UAH — збігаються ✅" in (
        reconcile_text(result, "uk")
    )
    kept = await desk.reconcile.reconciliation.last(desk.shop.shop_id, desk.today)
    assert kept == result  # stored with its Z reports, read back the same
    [listing] = desk.checkbox.requests_to("GET", SHIFTS)[-1:]
    assert listing.query["statuses"] == "CLOSED"


async def test_a_till_sale_outside_the_bot_makes_the_z_report_differ(
    desk: ReconcileDesk,
) -> None:
    await desk.paid(451270)
    desk.checkbox.foreign_receipt(LICENSE, 10000)  # rung up at a till, in the same shift
    desk.checkbox.close_shift_now(LICENSE)

    result = await desk.run()

    [shift] = result.shifts
    assert (shift.card_sales, shift.bot_sales) == (461270, 451270)
    assert (shift.card_returns, shift.bot_returns) == (0, 0)
    assert not result.all_well  # the owner is told
    text = reconcile_text(result, "en")
    assert (
        _uah(
            f"❗ Z report No {shift.serial} counts 4 612,70 UAH of card sales, the bot's "
            "registered receipts 4 512,70 UAH: 100,00 UAH more in the register."
        )
        in text
    )
    uk = reconcile_text(result, "uk")
    assert f"❗ Z-звіт № {shift.serial} налічує 4\u00a0612,70\u00a0UAH продажів карткою" in uk
    assert "у касі на 100,00\u00a0UAH більше." in uk
    assert "❗ the Z report differs" in digest_line(result, "en")
    assert "❗ Z-звіт не збігається" in digest_line(result, "uk")


async def test_no_shift_closed_that_day_says_nothing_of_it(desk: ReconcileDesk) -> None:
    await desk.paid(25050)  # the shift is still open

    result = await desk.run()

    assert (result.zreport, result.shifts) == (Side.OK, [])
    assert result.all_well
    assert "Z" not in reconcile_text(result, "en")


async def test_checkbox_down_the_z_report_was_not_checked(desk: ReconcileDesk) -> None:
    await desk.paid(25050)
    desk.checkbox.close_shift_now(LICENSE)
    desk.checkbox.fail_next(503, path=SHIFTS)  # only the shifts' listing fails

    result = await desk.run()

    assert result.fiscal is Side.OK and result.zreport is Side.UNAVAILABLE
    assert result.shifts == [] and not result.all_well
    assert "⚠️ Checkbox is not answering: the Z report was not checked." in (
        reconcile_text(result, "en")
    )
    assert "⚠️ Checkbox не відповідає: Z-звіт не звірено." in reconcile_text(result, "uk")
    assert "⚠️ the Z report was not checked" in digest_line(result, "en")

    desk.checkbox.down = True  # all of Checkbox
    down = await desk.run()

    assert (down.fiscal, down.zreport) == (Side.UNAVAILABLE, Side.UNAVAILABLE)
    text = reconcile_text(down, "en")
    assert "⚠️ Checkbox is not answering: the fiscal receipts were not checked." in text
    assert "⚠️ The Z report was not checked either." in text
    assert "⚠️ Z-звіт теж не звірено." in reconcile_text(down, "uk")


def test_a_result_stored_before_the_z_reports_still_reads() -> None:
    old = {"day": "2026-12-07", "liqpay": "ok", "fiscal": "ok", "payments": 1,
           "takings": {"UAH": 25050}, "to_register": 1, "registered": 1,
           "registered_sum": 25050}  # fmt: skip
    result = Result.from_payload(old)
    assert (result.zreport, result.shifts) == (Side.OFF, [])
    assert result.all_well
    assert Result.from_payload(result.to_payload()) == result
    several = Result(date(2026, 12, 7), fiscal=Side.OK, zreport=Side.OK,
                     shifts=[ZTotals(1, 100, 0, 100, 0), ZTotals(2, 200, 0, 200, 0)])  # fmt: skip
    assert _uah("Z reports, 2 shifts: sales 3,00 UAH, returns 0,00 UAH — agree ✅") in (
        reconcile_text(several, "en")
    )
    assert "Z-звіти, 2 зміни: продажі 3,00\u00a0UAH" in reconcile_text(several, "uk")
