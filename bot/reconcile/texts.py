"""What the owner reads about a day's reconciliation: one plain message (for /reconcile and
the daily notice) and one line for the end-of-day digest. Amounts are formatted money."""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import N_, t, tn
from bot.reconcile.ztexts import z_digest_part, z_lines
from services.core.money import format_amount
from services.reconcile.model import Entry, FixKind, ProblemKind, Result, Side

MAX_LINES = 20  # per section: the message stays well within Telegram's 4096 characters


def _sums(sums: Mapping[str, int]) -> str:
    if not sums:
        return format_amount(0)
    return " + ".join(
        format_amount(kopecks, currency) for currency, kopecks in sorted(sums.items())
    )


def _day(result: Result) -> str:
    return result.day.strftime("%d.%m.%Y")


def summary_line(result: Result, locale: str | None = None) -> str | None:
    """ "All 23 payments, 4 512,70 UAH, registered ✅" when nothing is off; None otherwise."""
    if not result.all_well:
        return None
    if result.payments == 0:
        return t("No payments in LiqPay that day, and none in the bot ✅", locale)
    amount = _sums(result.takings)
    if result.fiscal is Side.OK and result.registered == result.to_register == result.payments:
        return tn(
            "All {n} payment, {amount}, registered ✅",
            "All {n} payments, {amount}, registered ✅",
            result.payments, locale, amount=amount,
        )  # fmt: skip
    return tn(
        "All {n} payment, {amount}, agree with LiqPay ✅",
        "All {n} payments, {amount}, agree with LiqPay ✅",
        result.payments, locale, amount=amount,
    )  # fmt: skip


def _fix(entry: Entry, locale: str | None) -> str:
    amount = format_amount(entry.amount, entry.currency)
    if entry.kind == FixKind.REFUND_RECORDED:
        return t(
            "• Receipt No {number}: the refund of {amount} made in the LiqPay cabinet is "
            "recorded.",
            locale, number=entry.number, amount=amount,
        )  # fmt: skip
    return t(
        "• Receipt No {number}, {amount}: the payment had been missed; it is marked paid now.",
        locale, number=entry.number, amount=amount,
    )  # fmt: skip


def _problem(entry: Entry, locale: str | None) -> str:
    amount = format_amount(entry.amount, entry.currency)
    values = {"number": entry.number, "amount": amount}
    if entry.kind == ProblemKind.UNKNOWN_ORDER:
        return t(
            "• LiqPay took {amount} for order {order}, which the bot does not know.",
            locale, amount=amount, order=entry.order_id,
        )  # fmt: skip
    if entry.kind == ProblemKind.NO_PAYMENT:
        return t(
            "• Fiscal receipt {code}, {amount}, has no payment in the bot.",
            locale, amount=amount, code=entry.code or "—",
        )  # fmt: skip
    texts = {
        ProblemKind.NOT_CONFIRMED: N_(
            "• Receipt No {number}, {amount}: LiqPay lists its payment, but the bot could not "
            "confirm it. Open the receipt and check it."
        ),
        ProblemKind.NOT_IN_LIQPAY: N_(
            "• Receipt No {number}, {amount}: paid in the bot, but LiqPay does not show the "
            "payment."
        ),
        ProblemKind.NOT_REGISTERED: N_(
            "• Receipt No {number}, {amount}: paid, but no fiscal receipt yet."
        ),
        ProblemKind.REGISTRAR_MISSING: N_(
            "• Receipt No {number}, {amount}: registered in the bot, but Checkbox does not "
            "list its fiscal receipt."
        ),
    }
    return t(texts.get(ProblemKind(entry.kind), texts[ProblemKind.NOT_CONFIRMED]), locale, **values)


def _section(lines: list[str], locale: str | None) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    rest = len(lines) - MAX_LINES
    more = tn("…and {n} more line.", "…and {n} more lines.", rest, locale)
    return [*lines[:MAX_LINES], more]


def reconcile_text(result: Result, locale: str | None = None) -> str:
    """The one message about a day's reconciliation."""
    lines = [t("🔎 <b>Reconciliation of {day}</b>", locale, day=_day(result))]
    if result.liqpay is Side.NO_KEYS:
        lines.append(t("Set the shop's LiqPay keys in /settings first: the check reads "
                       "LiqPay's list of payments.", locale))  # fmt: skip
        return "\n".join(lines)
    if result.liqpay is Side.UNAVAILABLE:
        lines.append(t("⚠️ LiqPay is not answering, so nothing was checked and nothing was "
                       "changed. Try /reconcile again later.", locale))  # fmt: skip
        return "\n".join(lines)
    if result.liqpay is Side.REFUSED:
        refused = t(
            "⚠️ LiqPay refused to give the list of payments ({code}), so nothing was checked "
            "and nothing was changed.",
            locale, code=result.refusal or "—",
        )  # fmt: skip
        lines.append(refused)
        return "\n".join(lines)
    summary = summary_line(result, locale)
    if summary is not None:
        lines.append(summary)
        lines += z_lines(result, locale)  # all well: the Z reports agree, if any closed
        return "\n".join(lines)
    lines.append(tn(
        "LiqPay and the bot agree on {n} payment, {amount}.",
        "LiqPay and the bot agree on {n} payments, {amount}.",
        result.payments, locale, amount=_sums(result.takings),
    ))  # fmt: skip
    if result.refunds:
        lines.append(tn(
            "Money given back: {n} receipt, {amount}.",
            "Money given back: {n} receipts, {amount}.",
            result.refunds, locale, amount=_sums(result.refunded),
        ))  # fmt: skip
    if result.fiscal is Side.OK and result.to_register:
        lines.append(tn(
            "Registered with the tax service: {registered} of {n} receipt, {amount}.",
            "Registered with the tax service: {registered} of {n} receipts, {amount}.",
            result.to_register, locale, registered=result.registered,
            amount=format_amount(result.registered_sum),
        ))  # fmt: skip
    elif result.fiscal is Side.UNAVAILABLE:
        lines.append(t("⚠️ Checkbox is not answering: the fiscal receipts were not checked.",
                       locale))  # fmt: skip
    elif result.fiscal is Side.NO_KEYS:
        lines.append(t("⚠️ The Checkbox license key and PIN can't be read: enter them again in "
                       "/settings. The fiscal receipts were not checked.", locale))  # fmt: skip
    lines += z_lines(result, locale)
    if result.unreadable:
        lines.append(tn(
            "⚠️ {n} row LiqPay listed could not be read: it was skipped. Check the day in the "
            "LiqPay cabinet.",
            "⚠️ {n} rows LiqPay listed could not be read: they were skipped. Check the day in "
            "the LiqPay cabinet.",
            result.unreadable, locale,
        ))  # fmt: skip
    if result.fixes:
        lines += ["", t("🛠 Fixed by the bot:", locale)]
        lines += _section([_fix(e, locale) for e in result.fixes], locale)
    if result.problems:
        lines += ["", t("❗ Not fixed, needs you:", locale)]
        lines += _section([_problem(e, locale) for e in result.problems], locale)
    return "\n".join(lines)


def digest_line(result: Result, locale: str | None = None) -> str:
    """The digest's line about the last reconciliation."""
    head = t("Reconciliation of {day}:", locale, day=_day(result))
    summary = summary_line(result, locale)
    if summary is not None:
        return f"{head} {summary}"
    if result.liqpay is Side.REFUSED:
        return f"{head} " + t("LiqPay refused the list of payments.", locale)
    if not result.checked:
        return f"{head} " + t("LiqPay was not answering.", locale)
    parts = []
    if result.problems:
        parts.append(tn("❗ {n} line is off", "❗ {n} lines are off", len(result.problems),
                        locale))  # fmt: skip
    if result.fixes:
        parts.append(t("🛠 fixed by the bot: {n}", locale, n=len(result.fixes)))
    if result.fiscal is Side.UNAVAILABLE:
        parts.append(t("⚠️ Checkbox was not answering", locale))
    z_part = z_digest_part(result, locale)
    if z_part is not None:
        parts.append(z_part)
    if result.unreadable:
        parts.append(tn("⚠️ {n} row of LiqPay's list not read",
                        "⚠️ {n} rows of LiqPay's list not read", result.unreadable,
                        locale))  # fmt: skip
    return f"{head} " + "; ".join(parts) + ". " + t("/reconcile shows the details.", locale)
