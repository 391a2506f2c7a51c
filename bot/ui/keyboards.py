"""Keyboards every feature shares: the main menu and its labels, the language choice."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.i18n import LANGUAGES, t
from bot.ui.callbacks import LanguageChoice
from storage.models.shops import Member


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def menu_labels(locale: str | None = None) -> dict[str, str]:
    return {
        "new": t("➕ New invoice", locale),
        "pending": t("⏳ Pending", locale),
        "settings": t("⚙️ Settings", locale),
        "staff": t("👥 Staff", locale),
    }


def main_menu(member: Member, locale: str | None = None) -> ReplyKeyboardMarkup:
    labels = menu_labels(locale)
    rows = [[KeyboardButton(text=labels["new"]), KeyboardButton(text=labels["pending"])]]
    if member.is_owner:
        rows.append([KeyboardButton(text=labels["settings"]), KeyboardButton(text=labels["staff"])])
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)


def language_keyboard() -> InlineKeyboardMarkup:
    names = {"uk": "🇺🇦 Українська", "en": "🇬🇧 English"}
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(names[code], LanguageChoice(language=code)) for code in LANGUAGES]]
    )
