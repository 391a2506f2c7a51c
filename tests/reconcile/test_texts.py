"""The reconciliation's message and digest line, in Ukrainian and English: plural forms,
formatted money, no English fragment in the Ukrainian."""

from __future__ import annotations

import re
from datetime import date

from bot.reconcile.texts import digest_line, reconcile_text
from bot.reminders.texts import digest_text
from services.reconcile.model import Entry, FixKind, ProblemKind, Result, Side

NBSP = "\u00a0"
DAY = date(2026, 12, 7)


def all_well(n: int) -> Result:
    return Result(
        DAY, fiscal=Side.OK, payments=n, takings={"UAH": 451270}, to_register=n, registered=n,
        registered_sum=451270,
    )  # fmt: skip


def off() -> Result:
    return Result(
        DAY, fiscal=Side.OK, payments=23, takings={"UAH": 451270}, refunds=1,
        refunded={"UAH": 10000}, to_register=23, registered=22, registered_sum=426270,
        fixes=[Entry(FixKind.MARKED_PAID, 25000, number=12),
               Entry(FixKind.REFUND_RECORDED, 10000, number=7)],
        problems=[Entry(ProblemKind.UNKNOWN_ORDER, 9900, order_id="site-7"),
                  Entry(ProblemKind.NO_PAYMENT, 1000, code="TEST-abc123"),
                  Entry(ProblemKind.NOT_REGISTERED, 25050, number=5)],
    )  # fmt: skip


def test_all_well_in_both_languages_with_plural_forms() -> None:
    assert reconcile_text(all_well(23), "en").splitlines() == [
        "🔎 <b>Reconciliation of 07.12.2026</b>",
        f"All 23 payments, 4{NBSP}512,70{NBSP}UAH, registered ✅",
    ]
    assert reconcile_text(all_well(23), "uk").splitlines()[1] == (
        f"Усі 23 платежі, 4{NBSP}512,70{NBSP}UAH, зареєстровано ✅"
    )
    assert f"Усі 25 платежів, 4{NBSP}512,70{NBSP}UAH" in reconcile_text(all_well(25), "uk")
    assert "Усі 21 платіж," in reconcile_text(all_well(21), "uk")
    unfiscal = Result(DAY, payments=1, takings={"UAH": 100})
    assert "All 1 payment, 1,00\u00a0UAH, agree with LiqPay ✅" in reconcile_text(unfiscal, "en")


def test_what_is_off_and_what_was_fixed_in_both_languages() -> None:
    english = reconcile_text(off(), "en")
    assert f"LiqPay and the bot agree on 23 payments, 4{NBSP}512,70{NBSP}UAH." in english
    assert f"Registered with the tax service: 22 of 23 receipts, 4{NBSP}262,70{NBSP}UAH." in (
        english
    )
    assert f"• Receipt No 12, 250,00{NBSP}UAH: the payment had been missed" in english
    assert f"• Receipt No 7: the refund of 100,00{NBSP}UAH made in the LiqPay cabinet" in english
    assert f"• LiqPay took 99,00{NBSP}UAH for order site-7, which the bot does not know." in (
        english
    )
    assert "• Fiscal receipt TEST-abc123, 10,00\u00a0UAH, has no payment in the bot." in english
    assert "• Receipt No 5, 250,50\u00a0UAH: paid, but no fiscal receipt yet." in english
    ukrainian = reconcile_text(off(), "uk")
    assert "Звірка за 07.12.2026" in ukrainian
    assert "LiqPay і бот збігаються в 23 платежах" in ukrainian
    assert "🛠 Бот виправив:" in ukrainian and "❗ Не виправлено, потрібні ви:" in ukrainian
    assert "за замовлення site-7, якого бот не знає" in ukrainian
    # no English words but the names (LiqPay, Checkbox, UAH, codes) in the Ukrainian
    words = set(re.findall(r"[A-Za-z]{3,}", ukrainian))
    assert words <= {"LiqPay", "UAH", "site", "TEST", "abc"}, words


def test_liqpay_down_is_said_plainly() -> None:
    down = Result(DAY, liqpay=Side.UNAVAILABLE)
    assert "LiqPay is not answering, so nothing was checked and nothing was changed" in (
        reconcile_text(down, "en")
    )
    assert "LiqPay не відповідає, тож нічого не звірено й нічого не змінено" in (
        reconcile_text(down, "uk")
    )


def test_the_digest_carries_the_result_line() -> None:
    payload = {"day": "2026-12-08", "own": False, "paid": [], "unpaid": []}
    well = digest_text({**payload, "reconcile": all_well(23).to_payload()}, "en")
    assert well.splitlines()[-1] == (
        f"Reconciliation of 07.12.2026: All 23 payments, 4{NBSP}512,70{NBSP}UAH, registered ✅"
    )
    bad = digest_text({**payload, "reconcile": off().to_payload()}, "uk")
    assert bad.splitlines()[-1] == (
        "Звірка за 07.12.2026: ❗ 3 рядки не збігаються; 🛠 бот виправив: 2. "
        "/reconcile покаже подробиці."
    )
    assert "Reconciliation" not in digest_text(payload, "en")
    assert digest_line(Result(DAY, liqpay=Side.UNAVAILABLE), "en").endswith(
        "LiqPay was not answering."
    )


async def test_the_daily_notice_renders_the_kept_result_in_the_owners_language() -> None:
    from datetime import UTC, datetime

    from bot.outbox.notices import NoticeRequest
    from bot.outbox.registry import build_notices
    from services.notifications.jobs import NotificationKind

    render, about_receipt = build_notices().renderers(NotificationKind.RECONCILE)
    assert render is not None and about_receipt is None
    payload = {"kind": "reconcile", "chat_id": 1, "result": off().to_payload()}
    request = NoticeRequest("reconcile", 1, payload, "uk", datetime.now(UTC), None)  # type: ignore[arg-type]

    notice = await render(request)

    assert notice.text == reconcile_text(off(), "uk")


def test_a_refused_archive_is_said_with_liqpays_code() -> None:
    refused = Result(DAY, liqpay=Side.REFUSED, refusal="err_access")
    assert "LiqPay refused to give the list of payments (err_access)" in reconcile_text(
        refused, "en"
    )
    assert "LiqPay відмовився дати перелік платежів (err_access)" in reconcile_text(refused, "uk")


def test_rows_liqpay_listed_that_could_not_be_read_are_said_with_plural_forms() -> None:
    def skipped(n: int) -> Result:
        return Result(DAY, payments=2, takings={"UAH": 500}, unreadable=n)

    assert not skipped(1).all_well and skipped(0).all_well
    assert "⚠️ 1 row LiqPay listed could not be read: it was skipped." in (
        reconcile_text(skipped(1), "en")
    )
    assert "⚠️ 3 rows LiqPay listed could not be read: they were skipped." in (
        reconcile_text(skipped(3), "en")
    )
    assert "⚠️ 21 рядок зі списку LiqPay не вдалося прочитати: його пропущено." in (
        reconcile_text(skipped(21), "uk")
    )
    assert "⚠️ 3 рядки зі списку LiqPay" in reconcile_text(skipped(3), "uk")
    assert "⚠️ 5 рядків зі списку LiqPay" in reconcile_text(skipped(5), "uk")
    assert "⚠️ 2 rows of LiqPay's list not read" in digest_line(skipped(2), "en")
    assert "⚠️ 5 рядків списку LiqPay не прочитано" in digest_line(skipped(5), "uk")
    assert Result.from_payload(skipped(4).to_payload()).unreadable == 4
    assert Result.from_payload({"day": "2026-12-07"}).unreadable == 0  # kept before: none
