"""What users read about a receipt: its card, list line and what became of it."""

from __future__ import annotations

from collections.abc import Sequence

from bot.fiscal.views import fiscal_line
from bot.i18n import t
from bot.receipts.goods import goods_short
from bot.refunds.views import refunded_line
from bot.ui.format import escape, kyiv_time
from services.core.money import format_amount
from storage.models.lines import SaleLine
from storage.models.receipts import Channel, Receipt, ReceiptStatus


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


def receipt_card(
    receipt: Receipt, locale: str | None = None, goods: Sequence[SaleLine] = ()
) -> str:
    """`goods`: the lines bot/receipts/goods.py's `goods_of` reads (none: as before)."""
    contact = f" · {escape(receipt.contact)}" if receipt.contact else ""
    lines = [
        t("🧾 <b>Receipt No {number}</b>", locale, number=receipt.number),
        t(
            "Amount: <b>{amount}</b>",
            locale,
            amount=format_amount(receipt.amount, receipt.currency),
        ),
        *goods_short(goods, receipt.currency, locale),
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


def outcome_message(
    receipt: Receipt, locale: str | None = None, goods: Sequence[SaleLine] = ()
) -> str:
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
    return head + "\n\n" + receipt_card(receipt, locale, goods)


def receipt_line(
    receipt: Receipt, locale: str | None = None, goods: Sequence[SaleLine] = ()
) -> str:
    """A list's line (/pending), with the receipt's goods under it when it has any."""
    text = t(
        "No {number} · {amount} · {description} · until {when}",
        locale,
        number=receipt.number,
        amount=format_amount(receipt.amount, receipt.currency),
        description=escape(receipt.description[:40]),
        when=kyiv_time(receipt.expires_at),
    )
    return "\n".join([text, *(f"   {row}" for row in goods_short(goods, receipt.currency, locale))])


def keys_unreadable_text(locale: str | None = None) -> str:
    return t(
        "The shop's LiqPay keys can't be read: the bot's secret key was changed. The owner "
        "must enter the LiqPay keys again in /settings. No payment is lost: they are checked "
        "as soon as the keys are entered.",
        locale,
    )
