"""/report (takings for a period, with a chart) and /export (the receipts as a file).

An owner sees the whole shop, a cashier their own receipts; everyone else gets the polite
refusal of the fallback router. A period is a button or a typed range."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from aiogram import Bot, F
from aiogram.exceptions import AiogramError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.filters import IsMember
from bot.i18n import t
from bot.middlewares import Ack
from bot.reports.delivery import send_export
from bot.reports.goods_texts import top_items_text
from bot.reports.keyboards import (
    ExportChoice,
    PeriodChoice,
    Purpose,
    format_keyboard,
    number_day,
    period_keyboard,
)
from bot.reports.texts import (
    ask_range_text,
    chart_caption,
    chart_labels,
    nothing_in_period_text,
    period_error_text,
    report_heading,
    report_text,
)
from bot.routers.base import DIALOG_TEXT, quietly, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import LineExportChoice
from services.core.clock import utcnow
from services.core.periods import (
    MAX_RANGE_DAYS,
    Period,
    PeriodError,
    PeriodKind,
    kyiv_day,
    parse_range,
    preset,
)
from services.reports.chart import render_paid_chart
from services.reports.service import ExportFormat, ReportingService
from services.shops.service import ShopService
from storage.models.shops import Member

log = logging.getLogger(__name__)
router = RouterPlan("reports")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())


MESSAGE_LIMIT = 4096


class PeriodDialog(StatesGroup):
    typing = State()  # data: purpose


def _choose_text(purpose: Purpose) -> str:
    if purpose == "report":
        return t("📊 Report: which period?")
    return t("📄 Receipts file for the accountant: which period?")


@router.message(Command("report"))
async def report_command(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_choose_text("report"), reply_markup=period_keyboard("report"))


@router.message(Command("export"))
async def export_command(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_choose_text("export"), reply_markup=period_keyboard("export"))


async def _offer_formats(bot: Bot, chat_id: int, period: Period, edit: Message | None) -> None:
    text = t("📄 Receipts for {period}: which format?", period=period.range_text())
    if edit is not None:
        try:
            await safe_edit(edit, text, format_keyboard(period))
            return
        except AiogramError as exc:
            log.warning("Could not edit the period choice (%s); sending it", type(exc).__name__)
    await bot.send_message(chat_id, text, reply_markup=format_keyboard(period))


@router.callback_query(PeriodChoice.filter(F.kind == PeriodKind.RANGE))
async def ask_range(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: PeriodChoice,
    state: FSMContext,
    bot: Bot,
) -> None:
    await state.set_state(PeriodDialog.typing)
    await state.update_data(purpose=callback_data.purpose)
    await ack()
    await bot.send_message(callback.from_user.id, ask_range_text())


@router.callback_query(PeriodChoice.filter(F.purpose == "export"))
async def export_period_chosen(
    callback: CallbackQuery, callback_data: PeriodChoice, state: FSMContext, bot: Bot
) -> None:
    await state.clear()
    period = preset(callback_data.kind, utcnow())
    message = callback.message if isinstance(callback.message, Message) else None
    await _offer_formats(bot, callback.from_user.id, period, message)


@router.callback_query(PeriodChoice.filter(F.purpose == "report"))
async def report_period_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: PeriodChoice,
    state: FSMContext,
    member: Member,
    reporting: ReportingService,
    shops: ShopService,
    bot: Bot,
    locale: str,
) -> None:
    await state.clear()
    period = preset(callback_data.kind, utcnow())
    await ack(t("Counting…"))
    await send_report(bot, callback.from_user.id, member, period, reporting, shops, locale)


@router.message(PeriodDialog.typing, DIALOG_TEXT)
async def period_typed(
    message: Message,
    state: FSMContext,
    member: Member,
    reporting: ReportingService,
    shops: ShopService,
    bot: Bot,
    locale: str,
) -> None:
    assert message.text is not None
    try:
        period = parse_range(message.text, utcnow())
    except PeriodError as exc:
        await message.answer(period_error_text(exc.reason) + "\n" + ask_range_text())
        return
    purpose = (await state.get_data()).get("purpose")
    await state.clear()
    if purpose == "export":
        await _offer_formats(bot, message.chat.id, period, None)
        return
    await send_report(bot, message.chat.id, member, period, reporting, shops, locale)


async def send_report(
    bot: Bot,
    chat_id: int,
    member: Member,
    period: Period,
    reporting: ReportingService,
    shops: ShopService,
    locale: str,
) -> None:
    reports = await reporting.report(member, period)
    if all(report.totals.is_empty for report in reports):
        await bot.send_message(chat_id, nothing_in_period_text(period, locale))
        return
    names = None
    if member.is_owner:
        names = {m.user_id: m.name for m in await shops.members(member)}
    heading = report_heading(period, member.shop_name, own=not member.is_owner, locale=locale)
    text = report_text(reports, heading=heading, cashier_names=names, locale=locale)
    top = top_items_text(await reporting.top_items(member, period), reports[0].currency, locale)
    for part in split_lines(f"{text}\n\n{top}" if top else text):
        await bot.send_message(chat_id, part)
    main = reports[0]
    labels = chart_labels(period, main.currency, locale)
    picture = await asyncio.to_thread(render_paid_chart, main.paid_kopecks_by_day, labels)
    name = f"report_{period.first_day.isoformat()}_{period.last_day.isoformat()}.png"
    await bot.send_photo(
        chat_id, BufferedInputFile(picture, filename=name), caption=chart_caption(main, locale)
    )


def split_lines(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Telegram takes at most 4096 characters a message: a long report (many cashiers) goes
    in several, split between lines (a line is far shorter than the limit)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            parts.append(current)
            candidate = line
        current = candidate[:limit]
    if current.strip():
        parts.append(current)
    return parts


def _button_period(data: ExportChoice | LineExportChoice) -> Period | None:
    """The period an export button names; None for data no button of ours carries."""
    try:
        first, last = number_day(data.first), number_day(data.last)
        period = Period(PeriodKind.RANGE, first, last)
    except ValueError:
        return None
    # a month's button may reach past today (its remaining days are simply empty)
    too_late = period.first_day > kyiv_day(utcnow()) + timedelta(days=1)
    return None if period.day_count > MAX_RANGE_DAYS or too_late else period


@router.callback_query(ExportChoice.filter())
async def export_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ExportChoice,
    member: Member,
    reporting: ReportingService,
    bot: Bot,
    locale: str,
) -> None:
    period = _button_period(callback_data)
    if period is None:
        await ack(t("This button is no longer active."))
        return
    await ack(t("Preparing the file…"))
    message = callback.message if isinstance(callback.message, Message) else None
    if message is not None:
        await quietly(message.edit_reply_markup(reply_markup=None))
    chat_id = callback.from_user.id
    fmt = ExportFormat(callback_data.fmt)
    if not await send_export(bot, chat_id, reporting, member, period, fmt, locale):
        await bot.send_message(chat_id, nothing_in_period_text(period, locale))


@router.callback_query(LineExportChoice.filter())
async def line_export_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: LineExportChoice,
    member: Member,
    reporting: ReportingService,
    bot: Bot,
    locale: str,
) -> None:
    """The export by goods: a row per receipt line."""
    period = _button_period(callback_data)
    if period is None:
        await ack(t("This button is no longer active."))
        return
    await ack(t("Preparing the file…"))
    if isinstance(callback.message, Message):
        await quietly(callback.message.edit_reply_markup(reply_markup=None))
    fmt = ExportFormat(callback_data.fmt)
    chat_id = callback.from_user.id
    if not await send_export(bot, chat_id, reporting, member, period, fmt, locale, by_goods=True):
        await bot.send_message(chat_id, nothing_in_period_text(period, locale))
