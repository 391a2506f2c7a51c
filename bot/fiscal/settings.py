"""/settings → Fiscalization (owner only): the screen of what is set, the payment-form name,
the tax rate, the mode, the off switch and the time the shift is closed each day. The
license key and PIN dialog is bot/fiscal/credentials.py."""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import IsOwner
from bot.fiscal.keyboards import (
    NO_VAT,
    FiscalCloseChoice,
    FiscalLabelChoice,
    FiscalTaxChoice,
    fiscal_keyboard,
)
from bot.fiscal.texts import fiscal_text, not_set_up
from bot.i18n import t
from bot.middlewares import Ack
from bot.routers.base import DIALOG_INPUT, DIALOG_TEXT, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import SettingsAction
from services.fiscal.setup import (
    DEFAULT_CLOSE_TIME,
    FiscalSetupService,
    NotSetUp,
    UnknownTaxRate,
    format_close_time,
    parse_close_time,
)
from storage.models.shops import Member

log = logging.getLogger(__name__)

router = RouterPlan("fiscal_settings")
router.message.filter(IsOwner())
router.callback_query.filter(IsOwner())


class CloseTimeDialog(StatesGroup):
    typed = State()


async def show_fiscal(
    message: Message | None, fiscal_setup: FiscalSetupService, member: Member
) -> None:
    settings = await fiscal_setup.settings(member.shop_id)
    await safe_edit(message, fiscal_text(fiscal_setup, settings), fiscal_keyboard(settings))


@router.callback_query(SettingsAction.filter(F.item == "fiscal"))
async def fiscal_menu(
    callback: CallbackQuery,
    ack: Ack,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    await state.clear()
    await show_fiscal(message_of(callback), fiscal_setup, member)


@router.callback_query(FiscalLabelChoice.filter())
async def label_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalLabelChoice,
    member: Member,
    fiscal_setup: FiscalSetupService,
) -> None:
    try:
        await fiscal_setup.set_payment_label(member, callback_data.index)
    except NotSetUp:
        await ack(not_set_up())
    await show_fiscal(message_of(callback), fiscal_setup, member)


@router.callback_query(FiscalTaxChoice.filter())
async def tax_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalTaxChoice,
    member: Member,
    fiscal_setup: FiscalSetupService,
) -> None:
    code = None if callback_data.code == NO_VAT else callback_data.code
    if code is not None:
        await ack()  # the code is checked against the register's list: Checkbox is asked
    try:
        await fiscal_setup.set_tax_rate(member, code)
    except NotSetUp:
        await ack(not_set_up(), alert=True)
    except UnknownTaxRate:
        await ack(
            t("That rate is not in your register's list any more. Nothing changed."), alert=True
        )
        return
    # Checkbox down or refusing: bot/fiscal/actions.py's error handlers
    await show_fiscal(message_of(callback), fiscal_setup, member)


@router.callback_query(FiscalCloseChoice.filter())
async def close_time_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalCloseChoice,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    await state.clear()
    try:
        await fiscal_setup.set_close_time(member, callback_data.minutes)
    except NotSetUp:
        await ack(not_set_up())
    await show_fiscal(message_of(callback), fiscal_setup, member)


@router.message(CloseTimeDialog.typed, DIALOG_TEXT)
async def close_time_typed(
    message: Message, state: FSMContext, member: Member, fiscal_setup: FiscalSetupService
) -> None:
    assert message.text is not None
    minutes = parse_close_time(message.text)
    if minutes is None:
        await message.answer(
            t(
                "Send the time as HH:MM, from 00:00 to 23:59 (e.g. 23:30), or pick a button. "
                "The default is {time}.",
                time=format_close_time(DEFAULT_CLOSE_TIME),
            )
        )
        return
    await state.clear()
    try:
        await fiscal_setup.set_close_time(member, minutes)
    except NotSetUp:
        await message.answer(not_set_up())
    settings = await fiscal_setup.settings(member.shop_id)
    await message.answer(
        fiscal_text(fiscal_setup, settings), reply_markup=fiscal_keyboard(settings)
    )


@router.message(CloseTimeDialog.typed, DIALOG_INPUT)
async def fiscal_needs_text(message: Message) -> None:
    await message.answer(t("Send it as a text message, or /cancel."))


def message_of(callback: CallbackQuery) -> Message | None:
    return callback.message if isinstance(callback.message, Message) else None
