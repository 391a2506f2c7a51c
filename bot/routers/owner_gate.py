"""What a cashier is told on reaching for an owner's command or button. The owner's routers
(staff, settings, fiscal settings and credentials, reminders) take owners only (IsOwner on
the router); a cashier's update falls through them to here, the one place that refuses.
A stranger falls through this too, to common.fallback."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.fiscal.keyboards import FiscalAction, FiscalCloseChoice, FiscalLabelChoice, FiscalTaxChoice
from bot.fiscal.texts import owner_only
from bot.i18n import t
from bot.middlewares import Ack
from bot.routers.base import menu_text
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import (
    CatalogueImport,
    CatalogueItemAction,
    CatalogueMenu,
    GoodsNameSetting,
    ReconcileChoice,
    ReminderSetting,
    SettingsAction,
    StaffAction,
)

refusal = RouterPlan("owner_refusal")
refusal.message.filter(IsMember())
refusal.callback_query.filter(IsMember())


def owners_only() -> str:
    return t("Only the shop owner can do this.")


@refusal.message(Command("invite"))
@refusal.message(Command("staff"))
@refusal.message(F.text.in_(menu_text("staff")))
async def staff_refused(message: Message) -> None:
    await message.answer(owners_only())


@refusal.callback_query(StaffAction.filter())
async def staff_button_refused(callback: CallbackQuery, ack: Ack) -> None:
    await ack(owners_only())


@refusal.message(Command("settings"))
@refusal.message(F.text.in_(menu_text("settings")))
async def settings_refused(message: Message) -> None:
    await message.answer(owner_only())


@refusal.callback_query(SettingsAction.filter())
@refusal.callback_query(FiscalAction.filter())
@refusal.callback_query(FiscalLabelChoice.filter())
@refusal.callback_query(FiscalTaxChoice.filter())
@refusal.callback_query(FiscalCloseChoice.filter())
@refusal.callback_query(ReminderSetting.filter())
@refusal.callback_query(GoodsNameSetting.filter())
async def settings_button_refused(callback: CallbackQuery, ack: Ack) -> None:
    await ack(owner_only())


@refusal.callback_query(CatalogueMenu.filter(F.action.in_({"add", "csv", "register"})))
@refusal.callback_query(CatalogueItemAction.filter(F.action != "open"))
@refusal.callback_query(CatalogueImport.filter())
async def catalogue_button_refused(callback: CallbackQuery, ack: Ack) -> None:
    await ack(owners_only())


@refusal.message(Command("reconcile"))
async def reconcile_refused(message: Message) -> None:
    await message.answer(owners_only())


@refusal.callback_query(ReconcileChoice.filter())
async def reconcile_button_refused(callback: CallbackQuery, ack: Ack) -> None:
    await ack(owners_only())
