"""/reconcile through the real dispatcher with the stand-in Checkbox: the day's closed shift's
Z report is one line of the owner's message, in English and in Ukrainian."""

from __future__ import annotations

from bot.i18n import t
from storage.models.fiscal import FiscalMode
from tests.bot_fixtures import LIQPAY_REQUEST, OWNER, BotWorld
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay_mock import liqpay_answer
from tests.fiscal.test_fiscal_receipt_flows import fake, paid_receipt, world
from tests.fiscal_fixtures import LICENSE

__all__ = ["fake", "world"]
NBSP = "\u00a0"


async def test_the_owner_reads_the_z_report_line_in_both_languages(
    world: BotWorld, fake: FakeCheckbox
) -> None:
    receipt = await paid_receipt(world, FiscalMode.AUTO)
    await world.services.fiscal_worker.drain()
    registered = await world.services.store.receipts.get(receipt.id)
    assert registered is not None and registered.fiscal_code is not None
    fake.close_shift_now(LICENSE)
    ms = int(world.clock().timestamp() * 1000)
    row = {
        "action": "pay", "status": "success", "order_id": receipt.order_id, "amount": 250.5,
        "currency": "UAH", "payment_id": 55, "end_date": ms, "create_date": ms,
    }  # fmt: skip
    archive = liqpay_answer({"result": "success", "data": [row]})

    world.liqpay.post(LIQPAY_REQUEST, **archive)
    await world.say(OWNER, "/reconcile")
    replies = await world.press(OWNER, "Today")

    [text] = [r for r in replies if "Reconciliation of" in r]
    assert f"Z report: sales 250,50{NBSP}UAH, returns 0,00{NBSP}UAH — agree ✅" in text

    await world.say(OWNER, "/lang")
    await world.press(OWNER, "Українська")
    world.liqpay.post(LIQPAY_REQUEST, **archive)
    await world.say(OWNER, "/reconcile")
    replies = await world.press(OWNER, t("Today", "uk"))

    [text] = [r for r in replies if "Звірка" in r or "Z-звіт" in r]
    assert f"Z-звіт: продажі 250,50{NBSP}UAH, повернення 0,00{NBSP}UAH — збігаються ✅" in text
