"""/settings → Reminders (owner only): the three switches, the lead and the digest time."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.filters import IsOwner
from bot.i18n import t
from bot.middlewares import Ack
from bot.reminders.texts import clock_text, lead_text, reminder_lines, reminders_menu_text
from bot.routers.base import safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import ReminderSetting, SettingsAction
from bot.ui.keyboards import button
from services.reminders.service import DIGEST_CHOICES, LEAD_CHOICES, Reminders, ReminderSettings
from storage.models.shops import Member

router = RouterPlan("reminder_settings")
router.callback_query.filter(IsOwner())


def _mark(on: bool) -> str:
    return "✅" if on else "⬜"


def reminders_keyboard(current: ReminderSettings) -> InlineKeyboardMarkup:
    def toggle(item: str, on: bool) -> ReminderSetting:
        # the button names the state it sets: a second tap on an old menu changes nothing
        return ReminderSetting(item=item, value="off" if on else "on")

    builder = InlineKeyboardBuilder()
    builder.add(
        button(
            t("{mark} Reminder to the cashier", mark=_mark(current.remind_cashier)),
            toggle("cashier", current.remind_cashier),
        ),
        button(
            t("{mark} Reminder SMS to the customer", mark=_mark(current.remind_customer)),
            toggle("customer", current.remind_customer),
        ),
        button(
            t("⏱ Remind {lead} before expiry", lead=lead_text(current.remind_lead)),
            ReminderSetting(item="lead"),
        ),
        button(
            t("{mark} End-of-day digest", mark=_mark(current.digest)),
            toggle("digest", current.digest),
        ),
        button(
            t("🕗 Digest at {time}", time=clock_text(current.digest_at)),
            ReminderSetting(item="digest_at"),
        ),
        button(t("◀️ Back"), SettingsAction(item="menu")),
    )
    builder.adjust(1)
    return builder.as_markup()


def choices_keyboard(item: str, options: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value, label in options:
        builder.add(button(label, ReminderSetting(item=item, value=value)))
    builder.add(button(t("◀️ Back"), ReminderSetting(item="menu")))
    builder.adjust(3)
    return builder.as_markup()


async def show_menu(callback: CallbackQuery, reminders: Reminders, member: Member) -> None:
    current = await reminders.current(member.shop_id)
    lines = reminder_lines(
        current.remind_cashier,
        current.remind_customer,
        current.remind_lead,
        current.digest,
        current.digest_at,
    )
    await safe_edit(callback.message, reminders_menu_text(lines), reminders_keyboard(current))


@router.callback_query(ReminderSetting.filter(F.item == "menu"))
async def reminders_screen(callback: CallbackQuery, member: Member, reminders: Reminders) -> None:
    await show_menu(callback, reminders, member)


@router.callback_query(ReminderSetting.filter((F.item == "lead") & (F.value == "")))
async def ask_lead(callback: CallbackQuery) -> None:
    options = [(str(seconds), lead_text(seconds)) for seconds in LEAD_CHOICES]
    await safe_edit(
        callback.message,
        t("How long before an unpaid invoice expires should the reminders go?"),
        choices_keyboard("lead", options),
    )


@router.callback_query(ReminderSetting.filter((F.item == "digest_at") & (F.value == "")))
async def ask_digest_time(callback: CallbackQuery) -> None:
    options = [(str(minutes), clock_text(minutes)) for minutes in DIGEST_CHOICES]
    await safe_edit(
        callback.message,
        t("At what time (Kyiv) should the end-of-day digest come?"),
        choices_keyboard("digest_at", options),
    )


async def refuse_value(ack: Ack) -> None:
    """A value no button offers."""
    await ack(t("That value is not allowed."))


@router.callback_query(ReminderSetting.filter(F.item.in_({"cashier", "customer", "digest"})))
async def switch(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReminderSetting,
    member: Member,
    reminders: Reminders,
) -> None:
    if callback_data.value not in ("on", "off"):
        await refuse_value(ack)
        return
    await reminders.set_switch(member, callback_data.item, callback_data.value == "on")
    await show_menu(callback, reminders, member)


@router.callback_query(ReminderSetting.filter((F.item == "lead") & (F.value != "")))
async def set_lead(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReminderSetting,
    member: Member,
    reminders: Reminders,
) -> None:
    try:
        if not callback_data.value.isdigit():  # "+900" or " 900": no button of ours
            raise ValueError("not a number")
        await reminders.set_lead(member, int(callback_data.value))
    except ValueError:  # not a number, or not one of LEAD_CHOICES
        await refuse_value(ack)
        return
    await show_menu(callback, reminders, member)


@router.callback_query(ReminderSetting.filter((F.item == "digest_at") & (F.value != "")))
async def set_digest_time(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReminderSetting,
    member: Member,
    reminders: Reminders,
) -> None:
    try:
        if not callback_data.value.isdigit():  # "+900" or " 900": no button of ours
            raise ValueError("not a number")
        await reminders.set_offered_digest_time(member, int(callback_data.value))
    except ValueError:  # not a number, or not one of DIGEST_CHOICES
        await refuse_value(ack)
        return
    await show_menu(callback, reminders, member)
