"""Buttons of the /settings screen."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import N_, t
from bot.ui.callbacks import GoodsNameSetting, ReminderSetting, SettingsAction, SettingsItem
from bot.ui.keyboards import button


def settings_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.add(button(t("🔑 LiqPay keys"), SettingsAction(item="keys")))
    builder.add(button(t("⏱ Invoice lifetime"), SettingsAction(item="lifetime")))
    builder.add(button(t("💱 Currency"), SettingsAction(item="currency")))
    builder.add(button(t("🔢 API version"), SettingsAction(item="version")))
    builder.add(button(t("📱 SMS gateway"), SettingsAction(item="sms")))
    builder.add(button(t("🔔 Reminders"), ReminderSetting(item="menu")))
    builder.add(button(t("🧾 Fiscalization"), SettingsAction(item="fiscal")))
    builder.add(button(t("🏷 Goods name"), GoodsNameSetting(item="menu")))
    builder.adjust(1)
    return builder.as_markup()


LIFETIME_CHOICES = (
    (15 * 60, N_("15 min")),
    (3600, N_("1 h")),
    (24 * 3600, N_("24 h")),
    (3 * 24 * 3600, N_("3 days")),
    (7 * 24 * 3600, N_("7 days")),
)


def options_keyboard(item: SettingsItem, options: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value, label in options:
        builder.add(button(label, SettingsAction(item=item, value=value)))
    builder.add(button(t("◀️ Back"), SettingsAction(item="menu")))
    builder.adjust(3)
    return builder.as_markup()
