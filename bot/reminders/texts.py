"""What reminders say: the cashier's reminder with the card, the end-of-day digest, the
customer's SMS (always Ukrainian: the customer's language is not known), and the lines of
the reminder settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.i18n import DEFAULT_LOCALE, N_, t, tn
from bot.receipts.views import receipt_card
from bot.reconcile.texts import digest_line
from services.core.money import format_amount
from services.core.periods import KYIV
from services.reconcile.model import Result
from storage.models.lines import SaleLine
from storage.models.receipts import Receipt

LEAD_LABELS = {
    15 * 60: N_("15 min"),
    30 * 60: N_("30 min"),
    3600: N_("1 h"),
    2 * 3600: N_("2 h"),
    3 * 3600: N_("3 h"),
}


def lead_text(seconds: int, locale: str | None = None) -> str:
    label = LEAD_LABELS.get(seconds)
    if label is not None:
        return t(label, locale)
    return t("{n} min", locale, n=seconds // 60)


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def reminder_message(
    receipt: Receipt, locale: str | None = None, goods: Sequence[SaleLine] = ()
) -> str:
    until = receipt.expires_at.astimezone(KYIV).strftime("%H:%M")
    head = t(
        "⏰ Receipt No {number} is still unpaid: the invoice expires at {time} (Kyiv).",
        locale,
        number=receipt.number,
        time=until,
    )
    return head + "\n\n" + receipt_card(receipt, locale, goods)


def customer_sms(receipt: Receipt, shop_name: str) -> str:
    until = receipt.expires_at.astimezone(KYIV).strftime("%H:%M")
    return t(
        "{shop}: a reminder to pay {amount} by {time}: {link}",
        DEFAULT_LOCALE,
        shop=shop_name,
        amount=format_amount(receipt.amount, receipt.currency),
        time=until,
        link=receipt.link or "",
    )


def _totals(rows: Sequence[Sequence[Any]]) -> list[tuple[int, str]]:
    """(count, formatted sum) per currency from a digest's payload."""
    return [(int(count), format_amount(int(kopecks), str(cur))) for cur, count, kopecks in rows]


def digest_text(payload: Mapping[str, Any], locale: str | None = None) -> str:
    day = date.fromisoformat(str(payload["day"])).strftime("%d.%m.%Y")
    lines = [t("📊 <b>The day in brief, {day}</b>", locale, day=day)]
    if payload.get("own"):
        lines.append(t("Your receipts.", locale))
    paid, unpaid = _totals(payload.get("paid", [])), _totals(payload.get("unpaid", []))
    reconciled = payload.get("reconcile")
    if not paid and not unpaid:
        lines.append(t("Nothing came in today, and nothing is awaiting payment.", locale))
        if isinstance(reconciled, dict):
            lines.append(digest_line(Result.from_payload(reconciled), locale))
        return "\n".join(lines)
    if not paid:
        lines.append(t("Nothing came in today.", locale))
    for count, amount in paid:
        lines.append(
            tn(
                "Came in: {n} receipt, {amount}",
                "Came in: {n} receipts, {amount}",
                count,
                locale,
                amount=amount,
            )
        )
    if not unpaid:
        lines.append(t("Nothing is awaiting payment.", locale))
    for count, amount in unpaid:
        lines.append(
            tn(
                "Still awaiting payment: {n} receipt, {amount}",
                "Still awaiting payment: {n} receipts, {amount}",
                count,
                locale,
                amount=amount,
            )
        )
    if isinstance(reconciled, dict):
        lines.append(digest_line(Result.from_payload(reconciled), locale))
    return "\n".join(lines)


def reminder_lines(
    remind_cashier: bool,
    remind_customer: bool,
    lead: int,
    digest: bool,
    digest_at: int,
    locale: str | None = None,
) -> list[str]:
    cashier = (
        t("on, {lead} before expiry", locale, lead=lead_text(lead, locale))
        if remind_cashier
        else t("off", locale)
    )
    customer = (
        t("on, {lead} before expiry", locale, lead=lead_text(lead, locale))
        if remind_customer
        else t("off", locale)
    )
    summary = t("on, at {time} (Kyiv)", locale, time=clock_text(digest_at))
    if not digest:
        summary = t("off", locale)
    return [
        t("Reminder to the cashier: {state}", locale, state=cashier),
        t("Reminder SMS to the customer: {state}", locale, state=customer),
        t("End-of-day digest: {state}", locale, state=summary),
    ]


def reminders_menu_text(lines: list[str], locale: str | None = None) -> str:
    return "\n".join(
        [
            t("🔔 <b>Reminders</b>", locale),
            *lines,
            "",
            t(
                "The cashier gets the receipt's card before an unpaid invoice expires; the "
                "customer gets one SMS with the link (SMS or link invoices with a phone, when "
                "the SMS gateway is set up); the owner and each cashier get the day's takings "
                "and what is still unpaid.",
                locale,
            ),
        ]
    )
