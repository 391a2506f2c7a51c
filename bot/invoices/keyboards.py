"""Buttons of the /new dialog."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import t
from bot.receipts.views import channel_name
from bot.ui.callbacks import ChannelChoice, DialogAction
from bot.ui.keyboards import button
from storage.models.receipts import Channel


def channel_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for channel in Channel:
        builder.add(button(channel_name(channel), ChannelChoice(channel=channel)))
    builder.add(button(t("Cancel"), DialogAction(action="cancel")))
    builder.adjust(2)
    return builder.as_markup()


def skip_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("Skip"), DialogAction(action="skip")),
                button(t("Cancel"), DialogAction(action="cancel")),
            ]
        ]
    )


def cancel_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(t("Cancel"), DialogAction(action="cancel"))]]
    )


def confirm_keyboard(key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("✅ Confirm"), DialogAction(action="confirm", key=key)),
                button(t("Cancel"), DialogAction(action="cancel", key=key)),
            ]
        ]
    )
