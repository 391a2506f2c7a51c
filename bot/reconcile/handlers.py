"""/reconcile (owner only: a cashier is refused in bot/routers/owner_gate.py, a stranger by
the fallback): a day, then one message with what LiqPay, the bot and the registrar agree on,
what the bot fixed and what it could not (services/reconcile/)."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import IsOwner
from bot.i18n import t
from bot.middlewares import Ack
from bot.reconcile.keyboards import day_keyboard
from bot.reconcile.texts import reconcile_text
from bot.reports.texts import period_error_text
from bot.routers.base import DIALOG_TEXT
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import ReconcileChoice
from services.core.clock import utcnow
from services.core.periods import PeriodError, kyiv_day, parse_range
from services.reconcile.service import Reconciliation
from storage.models.shops import Member

router = RouterPlan("reconcile")
router.message.filter(IsOwner())
router.callback_query.filter(IsOwner())


class ReconcileDialog(StatesGroup):
    typing = State()


def ask_date_text() -> str:
    return t("Send the day as a date, like 05.12.2026. /cancel to stop.")


@router.message(Command("reconcile"))
async def reconcile_command(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(
        t("🔎 Check LiqPay's payments against the receipts: which day?"),
        reply_markup=day_keyboard(),
    )


@router.callback_query(ReconcileChoice.filter(F.day == "date"))
async def ask_date(callback: CallbackQuery, ack: Ack, state: FSMContext, bot: Bot) -> None:
    await state.set_state(ReconcileDialog.typing)
    await ack()
    await bot.send_message(callback.from_user.id, ask_date_text())


@router.callback_query(ReconcileChoice.filter())
async def day_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReconcileChoice,
    state: FSMContext,
    member: Member,
    reconciliation: Reconciliation,
    bot: Bot,
) -> None:
    await state.clear()
    day = kyiv_day(utcnow())
    if callback_data.day == "yesterday":
        day -= timedelta(days=1)
    await ack(t("Checking…"))
    await _reconcile(bot, callback.from_user.id, member, day, reconciliation)


@router.message(ReconcileDialog.typing, DIALOG_TEXT)
async def date_typed(
    message: Message,
    state: FSMContext,
    member: Member,
    reconciliation: Reconciliation,
    bot: Bot,
) -> None:
    assert message.text is not None
    try:
        period = parse_range(message.text, utcnow())
    except PeriodError as exc:
        await message.answer(period_error_text(exc.reason) + "\n" + ask_date_text())
        return
    if period.day_count != 1:
        await message.answer(t("One day at a time, please.") + "\n" + ask_date_text())
        return
    await state.clear()
    await _reconcile(bot, message.chat.id, member, period.first_day, reconciliation)


async def _reconcile(
    bot: Bot, chat_id: int, member: Member, day: date, reconciliation: Reconciliation
) -> None:
    result = await reconciliation.run(member.shop_id, day)
    await bot.send_message(chat_id, reconcile_text(result))
