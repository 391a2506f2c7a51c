"""What users read: receipt cards, lists and notifications, rendered in a locale."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.fiscal.views import fiscal_line, fiscal_notice
from bot.i18n import N_, t
from bot.refunds.views import refunded_line
from services.core.money import format_amount
from storage.models.receipts import Channel, Receipt, ReceiptStatus

KYIV = ZoneInfo("Europe/Kyiv")


def escape(text: str) -> str:
    """Text for Telegram HTML (quotes need no escaping there)."""
    return html.escape(text, quote=False)


def kyiv_time(moment: datetime) -> str:
    return moment.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")


def channel_name(channel: Channel, locale: str | None = None) -> str:
    names = {
        Channel.EMAIL: t("E-mail", locale),
        Channel.PRIVAT24: t("Privat24", locale),
        Channel.SMS: t("SMS", locale),
        Channel.LINK: t("Link / QR", locale),
    }
    return names[channel]


def status_line(receipt: Receipt, locale: str | None = None) -> str:
    s = ReceiptStatus
    if receipt.status is s.PAID:
        line = t("✅ Paid", locale)
        if receipt.paid_at:
            line += " " + kyiv_time(receipt.paid_at)
        if receipt.card_mask:
            line += ", " + t("card {mask}", locale, mask=escape(receipt.card_mask))
        return line
    labels = {
        s.DRAFT: t("⚠️ Not confirmed by LiqPay yet", locale),
        s.AWAITING: t("⏳ Awaiting payment", locale),
        s.FAILED: t("❌ Payment failed", locale),
        s.EXPIRED: t("⌛ Expired", locale),
        s.CANCELLED: t("🚫 Cancelled", locale),
        s.REFUNDED: t("↩️ Refunded", locale),
    }
    return labels[receipt.status]


def receipt_card(receipt: Receipt, locale: str | None = None) -> str:
    contact = f" · {escape(receipt.contact)}" if receipt.contact else ""
    lines = [
        t("🧾 <b>Receipt No {number}</b>", locale, number=receipt.number),
        t(
            "Amount: <b>{amount}</b>",
            locale,
            amount=format_amount(receipt.amount, receipt.currency),
        ),
        t("For: {description}", locale, description=escape(receipt.description)),
        t("Channel: {channel}", locale, channel=channel_name(receipt.channel, locale)) + contact,
        t("Payable until: {when} (Kyiv)", locale, when=kyiv_time(receipt.expires_at)),
        t("Status: {status}", locale, status=status_line(receipt, locale)),
    ]
    refunded = refunded_line(receipt, locale)
    if refunded is not None:
        lines.append(refunded)
    fiscal = fiscal_line(receipt, locale)
    if fiscal is not None:
        lines.append(fiscal)
    if receipt.flagged:
        lines.append(
            t("❗ Needs the owner's attention: {what}", locale, what=flag_text(receipt, locale))
        )
    if receipt.link and receipt.status is ReceiptStatus.AWAITING:
        lines.append(t("Payment link: {link}", locale, link=escape(receipt.link)))
    return "\n".join(lines)


def came_in(receipt: Receipt, locale: str | None = None) -> str:
    """What a mismatched payment brought in, formatted like every other amount."""
    mismatch = receipt.mismatch
    if mismatch is None or mismatch.amount is None:
        return t("an amount LiqPay did not report", locale)
    return format_amount(mismatch.amount, mismatch.currency or "?")


def flag_text(receipt: Receipt, locale: str | None = None) -> str:
    """Why a receipt needs the owner, for its card: what came in, what was expected, the
    LiqPay payment, and what to do."""
    expected = format_amount(receipt.amount, receipt.currency)
    mismatch = receipt.mismatch
    if mismatch is None:  # flagged before the facts were kept
        what = t(
            "LiqPay reported a payment that differs from {expected}.", locale, expected=expected
        )
    elif mismatch.payment_id:
        what = t(
            "LiqPay reports {paid} paid instead of {expected} (LiqPay payment {payment_id}).",
            locale,
            paid=came_in(receipt, locale),
            expected=expected,
            payment_id=escape(mismatch.payment_id),
        )
    else:
        what = t(
            "LiqPay reports {paid} paid instead of {expected}.",
            locale,
            paid=came_in(receipt, locale),
            expected=expected,
        )
    return what + " " + what_to_do(locale)


def what_to_do(locale: str | None = None) -> str:
    return t(
        "This payment is not counted for the receipt: check it in the LiqPay cabinet and "
        "refund it there if needed.",
        locale,
    )


def outcome_message(receipt: Receipt, locale: str | None = None) -> str:
    """What became of an invoice the person confirmed, told later (by the outbox)."""
    if receipt.status is ReceiptStatus.DRAFT:
        head = t(
            "⚠️ Making the invoice of receipt No {number} was interrupted, and LiqPay has not "
            "confirmed it. It is saved: tap «Retry» — it asks LiqPay first and never makes a "
            "second invoice.",
            locale,
            number=receipt.number,
        )
    else:
        head = t("✅ The invoice of receipt No {number} is made.", locale, number=receipt.number)
    return head + "\n\n" + receipt_card(receipt, locale)


def receipt_line(receipt: Receipt, locale: str | None = None) -> str:
    return t(
        "No {number} · {amount} · {description} · until {when}",
        locale,
        number=receipt.number,
        amount=format_amount(receipt.amount, receipt.currency),
        description=escape(receipt.description[:40]),
        when=kyiv_time(receipt.expires_at),
    )


def keys_unreadable_text(locale: str | None = None) -> str:
    return t(
        "The shop's LiqPay keys can't be read: the bot's secret key was changed. The owner "
        "must enter the LiqPay keys again in /settings. No payment is lost: they are checked "
        "as soon as the keys are entered.",
        locale,
    )


def notification(
    kind: str, receipt: Receipt, locale: str | None = None, *, worker_tells: bool = False
) -> str:
    """The message a cashier or owner gets when something happens to a receipt
    (`worker_tells`: see bot.fiscal.views.fiscal_line)."""
    fiscal = fiscal_notice(kind, receipt, locale)
    if fiscal is not None:
        return fiscal
    if kind == "keys_unreadable":
        return (
            t(
                "⚠️ The shop's LiqPay keys can't be read: the bot's secret key was changed. "
                "Enter the LiqPay keys again in /settings → LiqPay keys (the same ones will "
                "do).",
                locale,
            )
            + "\n"
            + t(
                "Until then payments can't be checked. None is lost: receipt No {number} and "
                "the others are checked as soon as the keys are entered.",
                locale,
                number=receipt.number,
            )
        )
    amount = format_amount(receipt.amount, receipt.currency)
    heads = {
        "paid": N_("✅ Receipt No {number} is paid: {amount}"),
        "paid_late": N_(
            "✅ Receipt No {number} was paid after it was closed: {amount}. "
            "Check whether to refund."
        ),
        "failed": N_("❌ Payment of receipt No {number} failed: {amount}"),
        "expired": N_("⌛ Receipt No {number} expired unpaid: {amount}"),
        "refunded": N_("↩️ Receipt No {number} was refunded: {amount}"),
        "mismatch": N_(
            "❗ Receipt No {number}: LiqPay reports a payment that differs from the receipt."
        ),
    }
    head = t(
        heads.get(kind, N_("Receipt No {number} changed")),
        locale,
        number=receipt.number,
        amount=amount,
    )
    lines = [head, t("For: {description}", locale, description=escape(receipt.description))]
    if kind in ("paid", "paid_late") and receipt.paid_at:
        lines.append(t("Paid at: {when} (Kyiv)", locale, when=kyiv_time(receipt.paid_at)))
    if kind in ("paid", "paid_late") and receipt.card_mask:
        lines.append(t("Card: {mask}", locale, mask=escape(receipt.card_mask)))
    paid = kind in ("paid", "paid_late")
    fiscal = fiscal_line(receipt, locale, worker_tells=worker_tells) if paid else None
    if fiscal is not None:
        lines.append(fiscal)
    if kind == "mismatch":
        if receipt.mismatch is not None:
            lines.append(t("Came in: {paid}", locale, paid=came_in(receipt, locale)))
        lines.append(t("Expected: {amount}", locale, amount=amount))
        if receipt.mismatch is not None and receipt.mismatch.payment_id:
            lines.append(
                t(
                    "LiqPay payment: {payment_id}",
                    locale,
                    payment_id=escape(receipt.mismatch.payment_id),
                )
            )
        lines.append(what_to_do(locale))
    return "\n".join(lines)
