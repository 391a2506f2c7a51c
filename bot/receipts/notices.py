"""The message a cashier or owner gets when something happens to a receipt."""

from __future__ import annotations

from bot.fiscal.views import fiscal_line, fiscal_notice
from bot.i18n import N_, t
from bot.receipts.views import came_in, what_to_do
from bot.ui.format import escape, kyiv_time
from services.core.money import format_amount
from storage.models.receipts import Receipt


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
