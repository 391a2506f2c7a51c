"""Buttons of the list of paid receipts without a fiscal receipt."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import t
from bot.ui.callbacks import FiscalReceiptAction
from bot.ui.keyboards import button
from services.core.money import format_amount
from storage.models.receipts import Receipt


def unregistered_keyboard(receipts: list[Receipt]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for receipt in receipts:
        label = t(
            "🔁 No {number} · {amount}",
            number=receipt.number,
            amount=format_amount(receipt.amount, receipt.currency),
        )
        builder.row(button(label, FiscalReceiptAction(action="register", id=receipt.id)))
    return builder.as_markup()
