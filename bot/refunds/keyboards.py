"""Buttons that start and confirm a refund."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import t
from bot.ui.callbacks import RefundAction
from bot.ui.keyboards import button
from services.core.money import format_amount
from storage.models.receipts import Receipt, ReceiptStatus


def refund_button(
    receipt: Receipt, locale: str | None = None, *, owner: bool = False
) -> InlineKeyboardButton | None:
    """Refund, for the owner, on a paid receipt with something left to refund."""
    if not owner or receipt.status is not ReceiptStatus.PAID or receipt.refundable <= 0:
        return None
    return button(t("↩️ Refund", locale), RefundAction(action="start", id=receipt.id))


def refund_start_keyboard(receipt: Receipt, locale: str | None = None) -> InlineKeyboardMarkup:
    full = t(
        "Full refund: {amount}",
        locale,
        amount=format_amount(receipt.refundable, receipt.currency),
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(full, RefundAction(action="full", id=receipt.id))],
            [button(t("Cancel", locale), RefundAction(action="no", id=receipt.id))],
        ]
    )


def confirm_data(receipt: Receipt, amount: int, key: str) -> RefundAction:
    return RefundAction(
        action="ok", id=receipt.id, amount=amount, key=key, refunded=receipt.refunded_amount
    )


def refund_confirm_keyboard(
    receipt: Receipt, amount: int, key: str, locale: str | None = None
) -> InlineKeyboardMarkup:
    label = t("✅ Refund {amount}", locale, amount=format_amount(amount, receipt.currency))
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(label, confirm_data(receipt, amount, key)),
                button(t("Cancel", locale), RefundAction(action="no", id=receipt.id)),
            ]
        ]
    )
