"""The message a cashier or owner gets when something happens to a receipt."""

from __future__ import annotations

from collections.abc import Sequence

from bot.fiscal.views import fiscal_line, fiscal_notice
from bot.i18n import N_, t
from bot.outbox.notices import MessageRef, Notice, NoticeRegistry, ReceiptNoticeRequest
from bot.receipts.goods import goods_short
from bot.receipts.keyboards import notice_keyboard, receipt_card_keyboard
from bot.receipts.views import came_in, outcome_message, receipt_card, what_to_do
from bot.ui.format import escape, kyiv_time
from services.core.money import format_amount
from services.notifications.jobs import NotificationKind as K
from storage.models.lines import SaleLine
from storage.models.receipts import Receipt


def notification(
    kind: str,
    receipt: Receipt,
    locale: str | None = None,
    *,
    worker_tells: bool = False,
    goods: Sequence[SaleLine] = (),
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
    lines = [head]
    if kind in ("paid", "paid_late"):
        lines += goods_short(goods, receipt.currency, locale)
    lines.append(t("For: {description}", locale, description=escape(receipt.description)))
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


async def receipt_notice(request: ReceiptNoticeRequest) -> Notice:
    """The notification about what happened to the receipt, with its buttons."""
    receipt, locale = request.receipt, request.locale
    owner = await request.lookups.is_owner(request.chat_id, receipt)
    text = notification(request.kind, receipt, locale)
    return Notice(text, notice_keyboard(receipt, locale, owner=owner))


async def paid_notice(request: ReceiptNoticeRequest) -> Notice:
    """Paid: the owners' notice leaves the fiscal line and its button to the fiscal worker
    while it has the registration in hand (it tells the outcome itself)."""
    receipt, locale = request.receipt, request.locale
    owner = await request.lookups.is_owner(request.chat_id, receipt)
    worker_tells = owner and await request.lookups.registering(receipt)
    goods = await request.lookups.goods(receipt)
    return Notice(
        notification(request.kind, receipt, locale, worker_tells=worker_tells, goods=goods),
        notice_keyboard(receipt, locale, owner=owner, fiscal=not worker_tells),
    )


async def card_update(request: ReceiptNoticeRequest) -> Notice | None:
    """The receipt's card, edited where it was shown (nothing when it never was)."""
    receipt, locale = request.receipt, request.locale
    if receipt.card_chat_id is None or receipt.card_message_id is None:
        return None
    owner = await request.lookups.is_owner(receipt.card_chat_id, receipt)
    return Notice(
        receipt_card(receipt, locale, await request.lookups.goods(receipt)),
        receipt_card_keyboard(receipt, locale, owner=owner),
        edit=MessageRef(receipt.card_chat_id, receipt.card_message_id),
    )


async def outcome_notice(request: ReceiptNoticeRequest) -> Notice:
    """What became of an invoice the person confirmed, as a new card."""
    receipt, locale = request.receipt, request.locale
    owner = await request.lookups.is_owner(request.chat_id, receipt)
    keyboard = receipt_card_keyboard(receipt, locale, owner=owner)
    goods = await request.lookups.goods(receipt)
    return Notice(outcome_message(receipt, locale, goods), keyboard, is_card=True)


def register_notices(registry: NoticeRegistry) -> None:
    for kind in (K.PAID, K.PAID_LATE):
        registry.about_receipt(kind, paid_notice)
    for kind in (K.FAILED, K.EXPIRED, K.REFUNDED, K.MISMATCH):
        registry.about_receipt(kind, receipt_notice)
    registry.about_receipt(K.CARD, card_update)
    registry.about_receipt(K.OUTCOME, outcome_notice)
    registry.for_unknown_kinds(receipt_notice)
