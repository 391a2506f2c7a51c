"""The buttons of the Fiscalization screen (FiscalAction), one handler each; Checkbox down or
refusing, told alike for these and the tax rate's buttons, by the error handlers at the end.
The license key and PIN button is bot/fiscal/credentials.py's."""

from __future__ import annotations

from collections.abc import Awaitable

from aiogram import F
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent

from bot.filters import FromButton, IsOwner
from bot.fiscal.keyboards import (
    FiscalAction,
    FiscalTaxChoice,
    close_time_keyboard,
    forget_keyboard,
    label_keyboard,
    tax_keyboard,
)
from bot.fiscal.settings import CloseTimeDialog, message_of, show_fiscal
from bot.fiscal.texts import checkbox_down, not_set_up, refused_text
from bot.i18n import t
from bot.middlewares import Ack
from bot.routers.base import quietly, safe_edit
from bot.routers.plan import RouterPlan
from services.fiscal.registrar import FiscalRefused, FiscalUnavailable
from services.fiscal.setup import FiscalSetupService, NotSetUp
from storage.models.fiscal import FiscalMode, FiscalSettings
from storage.models.shops import Member

router = RouterPlan("fiscal_actions")
router.callback_query.filter(IsOwner())


async def _configured(
    callback: CallbackQuery,
    ack: Ack,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> FiscalSettings | None:
    """The shop's fiscal settings, once the license key and PIN are in; else the screen."""
    await state.clear()
    settings = await fiscal_setup.settings(member.shop_id)
    if settings is None or not settings.configured:
        await ack(not_set_up())
        await show_fiscal(message_of(callback), fiscal_setup, member)
        return None
    return settings


@router.callback_query(FiscalAction.filter(F.action == "label"))
async def ask_label(
    callback: CallbackQuery,
    ack: Ack,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    settings = await _configured(callback, ack, member, fiscal_setup, state)
    if settings is None:
        return
    await safe_edit(
        message_of(callback),
        t("The name of the form of payment printed on the receipt (the approved list):"),
        label_keyboard(settings.payment_label),
    )


@router.callback_query(FiscalAction.filter(F.action == "tax"))
async def ask_tax(
    callback: CallbackQuery,
    ack: Ack,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    settings = await _configured(callback, ack, member, fiscal_setup, state)
    if settings is None:
        return
    await ack()  # asking Checkbox may take a while
    try:
        rates = await fiscal_setup.tax_rates(member)
    except NotSetUp:
        await ack(not_set_up(), alert=True)
        await show_fiscal(message_of(callback), fiscal_setup, member)
        return
    await safe_edit(
        message_of(callback),
        t("The tax rate of the goods line, from your register's list:"),
        tax_keyboard(rates, settings.tax_code),
    )


@router.callback_query(FiscalAction.filter(F.action == "close_time"))
async def ask_close_time(
    callback: CallbackQuery,
    ack: Ack,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    settings = await _configured(callback, ack, member, fiscal_setup, state)
    if settings is None:
        return
    await state.set_state(CloseTimeDialog.typed)
    await safe_edit(
        message_of(callback),
        t(
            "When is the shift closed each day (Kyiv time)? Pick one or type it as "
            "HH:MM, e.g. 23:30."
        ),
        close_time_keyboard(settings.close_shift_at),
    )


@router.callback_query(FiscalAction.filter(F.action == "forget"))
async def ask_forget(
    callback: CallbackQuery,
    ack: Ack,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    if await _configured(callback, ack, member, fiscal_setup, state) is None:
        return
    await safe_edit(
        message_of(callback),
        t(
            "Forget the license key and PIN code? Nothing is registered until they are "
            "entered again; the other choices are kept."
        ),
        forget_keyboard(),
    )


async def _change(
    callback: CallbackQuery,
    ack: Ack,
    member: Member,
    fiscal_setup: FiscalSetupService,
    change: Awaitable[object],
) -> None:
    """Make the change, then show the screen as it is now."""
    try:
        await change
    except NotSetUp:
        await ack(not_set_up(), alert=True)
    await show_fiscal(message_of(callback), fiscal_setup, member)


@router.callback_query(FiscalAction.filter(F.action == "forget_yes"))
async def forget(
    callback: CallbackQuery,
    ack: Ack,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    if await _configured(callback, ack, member, fiscal_setup, state) is None:
        return
    await _change(callback, ack, member, fiscal_setup, fiscal_setup.forget_credentials(member))


@router.callback_query(FiscalAction.filter(F.action.in_({"auto", "manual"})))
async def set_mode(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalAction,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    if await _configured(callback, ack, member, fiscal_setup, state) is None:
        return
    mode = FiscalMode(callback_data.action)
    await _change(callback, ack, member, fiscal_setup, fiscal_setup.set_mode(member, mode))


@router.callback_query(FiscalAction.filter(F.action.in_({"on", "off"})))
async def switch(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalAction,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    if await _configured(callback, ack, member, fiscal_setup, state) is None:
        return
    enabled = callback_data.action == "on"
    await _change(callback, ack, member, fiscal_setup, fiscal_setup.set_enabled(member, enabled))


ASKING_CHECKBOX = FromButton(
    FiscalAction.filter(F.action != "credentials"), FiscalTaxChoice.filter()
)


@router.errors(ExceptionTypeFilter(FiscalUnavailable), ASKING_CHECKBOX)
async def checkbox_unavailable(event: ErrorEvent, ack: Ack) -> None:
    await quietly(ack(checkbox_down(), alert=True))


@router.errors(ExceptionTypeFilter(FiscalRefused), ASKING_CHECKBOX)
async def checkbox_refused(event: ErrorEvent, ack: Ack) -> None:
    assert isinstance(event.exception, FiscalRefused)
    await quietly(ack(refused_text(event.exception), alert=True))
