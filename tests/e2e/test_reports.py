"""/report and /export walked with the real `python -m bot` against the stand-ins: an owner
gets today's report with a chart photo and the day's receipts as a CSV document."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from services.core.periods import kyiv_day
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import BotMessage, FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import Person, new_invoice, open_shop, sent_data


def is_photo(message: BotMessage) -> bool:
    return message.kind == "photo" and not message.is_edit


def is_document(message: BotMessage) -> bool:
    return message.kind == "document" and not message.is_edit


async def test_owner_reads_today_with_a_chart_and_exports_csv(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"  # the payment comes by callback
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)
    await new_invoice(owner, "75.5", "Кава і тістечко", "E-mail", "buyer@example.com")
    assert await fake_liqpay.pay(sent_data(fake_liqpay, "invoice_send")["order_id"]) == 200
    await owner.hears("is paid")
    await new_invoice(owner, "10", "Чай", "Link", None)  # left awaiting

    menu = await owner.say("/report", "which period")
    report = await owner.tap(menu, "Today", "report for")
    assert "✅ Paid: 1 receipt · 75,50\u00a0UAH" in report.text, report.text
    assert "⏳ Awaiting payment: 1 receipt · 10,00\u00a0UAH" in report.text
    chart = await owner.tg.wait_for_message(owner.user.id, is_photo)
    assert chart.photo is not None and chart.photo.startswith(b"\x89PNG")
    assert len(chart.photo) > 10_000
    assert "Paid per day" in chart.text

    menu = await owner.say("/export", "which period")
    formats = await owner.tap(menu, "Today", "which format")
    await owner.tg.press(owner.user, formats, "CSV")
    document = await owner.tg.wait_for_message(owner.user.id, is_document)
    day = kyiv_day(datetime.now(UTC)).isoformat()
    assert document.params["document"].filename == f"receipts_{day}_{day}.csv"
    assert document.photo is not None and document.photo.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(document.photo.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Receipt No"
    assert [(r[0], r[4], r[6], r[9]) for r in rows[1:]] == [
        ("1", "75,50", "Кава і тістечко", "Paid"),
        ("2", "10,00", "Чай", "Awaiting"),
    ]
    assert "2 receipts" in document.text
    await bot_process.stop()
