"""The buttons of /report and /export: a period, then (for /export) a file format."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot.i18n import t
from bot.ui.callbacks import LineExportChoice
from bot.ui.keyboards import button
from services.core.periods import Period, PeriodKind
from services.reports.service import ExportFormat

Purpose = Literal["report", "export"]
# A day as YYYYMMDD: bounded like every other field a button carries back
DayNumber = Annotated[int, Field(ge=1_01_01, le=9999_12_31)]


class PeriodChoice(CallbackData, prefix="pd"):
    purpose: Purpose
    kind: PeriodKind


class ExportChoice(CallbackData, prefix="ex"):
    fmt: ExportFormat
    first: DayNumber
    last: DayNumber


def day_number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def number_day(value: int) -> date:
    """ValueError for a number that is no calendar day."""
    return date(value // 10000, value // 100 % 100, value % 100)


def period_keyboard(purpose: Purpose, locale: str | None = None) -> InlineKeyboardMarkup:
    labels = (
        (PeriodKind.TODAY, t("Today", locale)),
        (PeriodKind.YESTERDAY, t("Yesterday", locale)),
        (PeriodKind.THIS_WEEK, t("This week", locale)),
        (PeriodKind.THIS_MONTH, t("This month", locale)),
        (PeriodKind.LAST_MONTH, t("Last month", locale)),
        (PeriodKind.RANGE, t("📅 Other dates", locale)),
    )
    builder = InlineKeyboardBuilder()
    for kind, label in labels:
        builder.add(button(label, PeriodChoice(purpose=purpose, kind=kind)))
    builder.adjust(2)
    return builder.as_markup()


def format_keyboard(period: Period) -> InlineKeyboardMarkup:
    first, last = day_number(period.first_day), day_number(period.last_day)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button("CSV", ExportChoice(fmt=ExportFormat.CSV, first=first, last=last)),
                button(
                    "Excel (.xlsx)", ExportChoice(fmt=ExportFormat.XLSX, first=first, last=last)
                ),
            ],
            [  # a row per goods line instead of per receipt
                button(t("🧾 By goods: CSV"), LineExportChoice(fmt="csv", first=first, last=last)),
                button(
                    t("🧾 By goods: Excel"), LineExportChoice(fmt="xlsx", first=first, last=last)
                ),
            ],
        ]
    )
