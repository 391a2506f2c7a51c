"""Buttons of the staff screen."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import t
from bot.ui.callbacks import StaffAction
from bot.ui.keyboards import button
from storage.models.shops import Member


def staff_keyboard(members: list[Member]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for member in members:
        if not member.is_owner:
            label = t("Remove {name}", name=member.name or str(member.user_id))
            builder.row(button(label, StaffAction(action="remove", user_id=member.user_id)))
    return builder.as_markup()


def staff_confirm_keyboard(user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("Yes, remove"), StaffAction(action="remove_yes", user_id=user_id)),
                button(t("No"), StaffAction(action="back", user_id=user_id)),
            ]
        ]
    )
