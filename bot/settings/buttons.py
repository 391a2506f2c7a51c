"""The buttons of the owner's settings screen (SettingsAction), one handler each: a choice's
button asks (a list, or a dialog), the option's button sets it. Fiscalization is
bot/fiscal/settings.py's."""

from __future__ import annotations

from aiogram import F
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.filters import IsOwner
from bot.i18n import t
from bot.invoices.keyboards import cancel_keyboard
from bot.middlewares import Ack
from bot.routers.base import safe_edit
from bot.routers.plan import RouterPlan
from bot.settings.handlers import KeysDialog, LifetimeDialog, SmsDialog
from bot.settings.keyboards import LIFETIME_CHOICES, options_keyboard, settings_keyboard
from bot.settings.views import settings_text
from bot.ui.callbacks import SettingsAction
from services.core.money import CURRENCIES
from services.fiscal.setup import FiscalSetupService
from services.shops.service import ShopService
from storage.models.shops import Member

router = RouterPlan("settings_buttons")
router.callback_query.filter(IsOwner())


def _asking(item: str) -> CallbackQueryFilter:
    return SettingsAction.filter((F.item == item) & (F.value == ""))


def _setting(item: str) -> CallbackQueryFilter:
    return SettingsAction.filter((F.item == item) & (F.value != ""))


async def _show_settings(
    callback: CallbackQuery,
    member: Member,
    shops: ShopService,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    await state.clear()
    await safe_edit(
        callback.message, await settings_text(shops, fiscal_setup, member), settings_keyboard()
    )


@router.callback_query(SettingsAction.filter(F.item == "menu"))
async def settings_screen(
    callback: CallbackQuery,
    member: Member,
    shops: ShopService,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    await _show_settings(callback, member, shops, fiscal_setup, state)


@router.callback_query(SettingsAction.filter(F.item == "keys"))
async def ask_keys(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(KeysDialog.public)
    await safe_edit(
        callback.message,
        t("Send the LiqPay <b>public key</b> (LiqPay business cabinet → Settings → API keys)."),
        cancel_keyboard(),
    )


@router.callback_query(SettingsAction.filter(F.item == "sms"))
async def ask_sms(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(SmsDialog.token)
    await safe_edit(
        callback.message,
        t(
            "SMS goes through TurboSMS. Send the API token from the TurboSMS cabinet. "
            "I delete that message at once and keep the token encrypted."
        ),
        cancel_keyboard(),
    )


@router.callback_query(_asking("lifetime"))
async def ask_lifetime(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(LifetimeDialog.typed)
    options = [(str(seconds), t(label)) for seconds, label in LIFETIME_CHOICES]
    await safe_edit(
        callback.message,
        t("How long may an invoice be paid? Pick one or type it, e.g. 90m, 2h, 5d."),
        options_keyboard("lifetime", options),
    )


@router.callback_query(_asking("currency"))
async def ask_currency(callback: CallbackQuery) -> None:
    options = [(c, c) for c in CURRENCIES]
    await safe_edit(
        callback.message, t("Currency of new invoices:"), options_keyboard("currency", options)
    )


@router.callback_query(_asking("version"))
async def ask_version(callback: CallbackQuery) -> None:
    options = [("3", t("3 (SHA-1)")), ("7", t("7 (SHA3-256)"))]
    await safe_edit(
        callback.message,
        t("LiqPay API version (the signature algorithm). Keep 3 unless LiqPay told you 7."),
        options_keyboard("version", options),
    )


async def _not_allowed(ack: Ack) -> None:
    """Not a number, or a value no button offers."""
    await ack(t("That value is not allowed."))


@router.callback_query(_setting("lifetime"))
async def set_lifetime(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: SettingsAction,
    member: Member,
    shops: ShopService,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    value = callback_data.value
    try:
        await shops.set_lifetime(member, int(value))
    except ValueError:
        await _not_allowed(ack)
        return
    await _show_settings(callback, member, shops, fiscal_setup, state)


@router.callback_query(_setting("currency"))
async def set_currency(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: SettingsAction,
    member: Member,
    shops: ShopService,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    value = callback_data.value
    try:
        await shops.set_currency(member, value)
    except ValueError:
        await _not_allowed(ack)
        return
    await _show_settings(callback, member, shops, fiscal_setup, state)


@router.callback_query(_setting("version"))
async def set_version(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: SettingsAction,
    member: Member,
    shops: ShopService,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    value = callback_data.value
    try:
        await shops.set_api_version(member, int(value))
    except ValueError:
        await _not_allowed(ack)
        return
    await _show_settings(callback, member, shops, fiscal_setup, state)
