"""Buttons under a receipt card, a notice and the /pending list."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.fiscal.views import picture_label, register_label
from bot.i18n import t
from bot.refunds.keyboards import refund_button
from bot.ui.callbacks import FiscalReceiptAction, PendingPage, ReceiptAction
from bot.ui.keyboards import button
from services.core.money import format_amount
from storage.models.receipts import Channel, Receipt, ReceiptStatus


def fiscal_buttons(receipt: Receipt, locale: str | None = None) -> list[InlineKeyboardButton]:
    """Register (or Retry) while a paid receipt is not registered; the picture once it is."""
    buttons = []
    register = register_label(receipt, locale)
    if register is not None:
        buttons.append(button(register, FiscalReceiptAction(action="register", id=receipt.id)))
    picture = picture_label(receipt, locale)
    if picture is not None:
        buttons.append(button(picture, FiscalReceiptAction(action="picture", id=receipt.id)))
    return buttons


def notice_keyboard(
    receipt: Receipt, locale: str | None = None, *, owner: bool = False, fiscal: bool = True
) -> InlineKeyboardMarkup | None:
    """The buttons a notification about a paid receipt carries (none for the others);
    `fiscal=False`: without Register / Retry (another notice carries it)."""
    buttons = fiscal_buttons(receipt, locale) if fiscal else []
    refund = refund_button(receipt, locale, owner=owner)
    if refund is not None:
        buttons.append(refund)
    return InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None


def receipt_card_keyboard(
    receipt: Receipt, locale: str | None = None, *, owner: bool = False
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if receipt.status is ReceiptStatus.DRAFT:
        builder.add(button(t("🔁 Retry", locale), ReceiptAction(action="retry", id=receipt.id)))
        return builder.as_markup()
    builder.add(button(t("🔄 Check status", locale), ReceiptAction(action="check", id=receipt.id)))
    if receipt.status is ReceiptStatus.AWAITING:
        if receipt.link:
            builder.add(button(t("🔳 QR", locale), ReceiptAction(action="qr", id=receipt.id)))
        if receipt.channel is Channel.SMS:
            builder.add(
                button(t("✉️ Resend SMS", locale), ReceiptAction(action="sms", id=receipt.id))
            )
        builder.add(
            button(t("🚫 Cancel invoice", locale), ReceiptAction(action="cancel", id=receipt.id))
        )
    for fiscal in fiscal_buttons(receipt, locale):
        builder.add(fiscal)
    refund = refund_button(receipt, locale, owner=owner)
    if refund is not None:
        builder.add(refund)
    builder.adjust(2)
    return builder.as_markup()


def cancel_confirm_keyboard(receipt: Receipt) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("Yes, cancel it"), ReceiptAction(action="cancel_yes", id=receipt.id)),
                button(t("No, keep it"), ReceiptAction(action="cancel_no", id=receipt.id)),
            ]
        ]
    )


def pending_keyboard(receipts: list[Receipt], page: int, pages: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for receipt in receipts:
        label = t(
            "🔄 No {number} · {amount}",
            number=receipt.number,
            amount=format_amount(receipt.amount, receipt.currency),
        )
        builder.row(button(label, ReceiptAction(action="open", id=receipt.id)))
    nav = []
    if page > 0:
        nav.append(button("◀️", PendingPage(page=page - 1)))
    if page + 1 < pages:
        nav.append(button("▶️", PendingPage(page=page + 1)))
    if nav:
        builder.row(*nav)
    return builder.as_markup()
