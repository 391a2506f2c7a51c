"""/reconcile's buttons: which day."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import t
from bot.ui.callbacks import ReconcileChoice
from bot.ui.keyboards import button


def day_keyboard(locale: str | None = None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.add(button(t("Today", locale), ReconcileChoice(day="today")))
    builder.add(button(t("Yesterday", locale), ReconcileChoice(day="yesterday")))
    builder.add(button(t("📅 Other date", locale), ReconcileChoice(day="date")))
    builder.adjust(2)
    return builder.as_markup()
