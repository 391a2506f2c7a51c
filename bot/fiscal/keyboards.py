"""The buttons of the owner's fiscalization screen. Every field of their data is bounded: a
payment-form name travels as its index into PAYMENT_LABELS, a tax rate as the register's
code (checked against the register's list again when pressed), a time as minutes."""

from __future__ import annotations

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot.i18n import t
from bot.ui.callbacks import SettingsAction
from bot.ui.keyboards import button
from services.fiscal.registrar import PAYMENT_LABELS, TaxRate
from services.fiscal.setup import MINUTES_A_DAY, format_close_time, tax_rate_label
from storage.models.fiscal import FiscalMode, FiscalSettings

NO_VAT = -1  # the "no VAT" button: the goods line carries no tax code
CLOSE_TIME_CHOICES = (20 * 60, 21 * 60, 22 * 60, 23 * 60, 23 * 60 + 30, 23 * 60 + 45, 23 * 60 + 55)

FiscalVerb = Literal[
    "credentials", "label", "tax", "auto", "manual", "on", "off", "close_time", "forget",
    "forget_yes",
]  # fmt: skip
LabelIndex = Annotated[int, Field(ge=0, le=len(PAYMENT_LABELS) - 1)]
TaxCode = Annotated[int, Field(ge=NO_VAT, le=2**31 - 1)]
DayMinute = Annotated[int, Field(ge=0, le=MINUTES_A_DAY - 1)]


class FiscalAction(CallbackData, prefix="fset"):
    action: FiscalVerb


class FiscalLabelChoice(CallbackData, prefix="flab"):
    index: LabelIndex


class FiscalTaxChoice(CallbackData, prefix="ftax"):
    code: TaxCode


class FiscalCloseChoice(CallbackData, prefix="fclo"):
    minutes: DayMinute


def back_button_row(builder: InlineKeyboardBuilder) -> None:
    builder.row(button(t("◀️ Back"), SettingsAction(item="fiscal")))


def fiscal_keyboard(settings: FiscalSettings | None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(button(t("🔑 License key and PIN"), FiscalAction(action="credentials")))
    if settings is not None and settings.configured:
        builder.row(button(t("💳 Payment form"), FiscalAction(action="label")))
        builder.row(button(t("🧮 Tax rate"), FiscalAction(action="tax")))
        if settings.mode is FiscalMode.AUTO:
            builder.row(button(t("✋ Register only by the button"), FiscalAction(action="manual")))
        else:
            builder.row(button(t("⚡ Register automatically"), FiscalAction(action="auto")))
        builder.row(button(t("🕚 Shift closing time"), FiscalAction(action="close_time")))
        if settings.enabled:
            builder.row(button(t("⏸ Turn fiscalization off"), FiscalAction(action="off")))
        else:
            builder.row(button(t("▶️ Turn fiscalization on"), FiscalAction(action="on")))
        builder.row(button(t("🗑 Forget the license key and PIN"), FiscalAction(action="forget")))
    builder.row(button(t("◀️ Back"), SettingsAction(item="menu")))
    return builder.as_markup()


def label_keyboard(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, label in enumerate(PAYMENT_LABELS):
        mark = "✅ " if label == current else ""
        builder.row(button(mark + label, FiscalLabelChoice(index=index)))
    back_button_row(builder)
    return builder.as_markup()


def tax_keyboard(rates: list[TaxRate], current: int | None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for rate in rates:
        if not NO_VAT < rate.code < 2**31:
            continue  # a code no button can carry is not offered
        mark = "✅ " if rate.code == current else ""
        label = t("{name} (code {code})", name=tax_rate_label(rate), code=rate.code)
        builder.row(button(mark + label, FiscalTaxChoice(code=rate.code)))
    mark = "✅ " if current is None else ""
    builder.row(button(mark + t("No VAT (no tax code)"), FiscalTaxChoice(code=NO_VAT)))
    back_button_row(builder)
    return builder.as_markup()


def close_time_keyboard(current: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for minutes in CLOSE_TIME_CHOICES:
        mark = "✅ " if minutes == current else ""
        builder.add(button(mark + format_close_time(minutes), FiscalCloseChoice(minutes=minutes)))
    builder.adjust(4)
    back_button_row(builder)
    return builder.as_markup()


def retry_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(button(t("🔁 Try again"), FiscalAction(action="credentials")))
    back_button_row(builder)
    return builder.as_markup()


def forget_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(button(t("Yes, forget them"), FiscalAction(action="forget_yes")))
    back_button_row(builder)
    return builder.as_markup()
