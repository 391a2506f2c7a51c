"""/help, /cancel, /lang, and the polite refusal for everything a user may not do."""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

from bot.commands import set_user_commands
from bot.i18n import t
from bot.middlewares import Ack
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import LanguageChoice
from bot.ui.keyboards import language_keyboard, main_menu
from storage.models.shops import Member
from storage.protocols.store import Store

log = logging.getLogger(__name__)

router = RouterPlan("common")
fallback = RouterPlan("fallback")


def help_text(member: Member | None, locale: str | None = None) -> str:
    if member is None:
        return t(
            "This bot issues LiqPay invoices for small shops.\n"
            "/start — create your shop (or join one with an owner's invite link)\n"
            "/lang — language",
            locale,
        )
    text = t(
        "<b>Cashier</b>\n"
        "/new — issue an invoice: amount, what for, and how the customer gets it "
        "(e-mail, Privat24, SMS, or a link and QR code)\n"
        "/pending — receipts awaiting payment, with «Check status»\n"
        "/cancel — leave the current dialog\n"
        "/lang — language\n"
        "You are told when an invoice is paid.",
        locale,
    )
    text += "\n\n" + t(
        "<b>Reports</b>\n"
        "/report — what came in over a period, with a chart of the days\n"
        "/export — the period's receipts as a CSV or Excel file for the accountant\n"
        "A cashier sees their own receipts, the owner the whole shop.",
        locale,
    )
    text += "\n\n" + t(
        "<b>Catalogue</b>\n"
        "/catalogue — the shop's goods and services: search by a few letters or a barcode; "
        "the owner adds, edits, archives, imports and exports them as CSV.",
        locale,
    )
    if member.is_owner:
        text += "\n\n" + t(
            "<b>Owner</b>\n"
            "/settings — LiqPay keys, invoice lifetime, currency, API version, SMS gateway, "
            "fiscal receipts (Checkbox)\n"
            "/invite — a link for a new cashier\n"
            "/staff — shop members\n"
            "/pending shows every receipt of the shop.",
            locale,
        )
    return text


@router.message(Command("help"))
async def help_command(message: Message, member: Member | None) -> None:
    await message.answer(help_text(member))


@router.message(Command("cancel"))
async def cancel_command(message: Message, state: FSMContext, member: Member | None) -> None:
    had_dialog = await state.get_state() is not None
    await state.clear()
    text = t("Cancelled. Nothing was saved.") if had_dialog else t("There is nothing to cancel.")
    markup = main_menu(member) if member else ReplyKeyboardRemove()
    await message.answer(text, reply_markup=markup)


@router.message(Command("lang"))
async def lang_command(message: Message) -> None:
    await message.answer(t("Choose the language:"), reply_markup=language_keyboard())


@router.callback_query(LanguageChoice.filter())
async def lang_chosen(
    callback: CallbackQuery,
    callback_data: LanguageChoice,
    store: Store,
    member: Member | None,
    bot: Bot,
) -> None:
    locale = callback_data.language
    await store.users.set_language(callback.from_user.id, locale)
    await set_user_commands(bot, callback.from_user.id, member, locale)
    await bot.send_message(
        callback.from_user.id,
        t("Language: English", locale) if locale == "en" else t("Мова: українська", locale),
        reply_markup=main_menu(member, locale) if member else None,
    )


@fallback.callback_query()
async def unknown_callback(callback: CallbackQuery, ack: Ack, member: Member | None) -> None:
    """A button of an older version, another shop's, or data no button of ours carries (the
    fields of every CallbackData are bounded): a refusal, never an error."""
    prefix = (callback.data or "").partition(":")[0][:8]
    log.info(
        "Button data matched no handler (prefix %r, %d bytes)", prefix, len(callback.data or "")
    )
    if member is None:
        await ack(t("This is for shop members. Send /start to begin."))
    else:
        await ack(t("This button is no longer active."))


@fallback.message(F.text.startswith("/"))
async def unknown_command(message: Message, member: Member | None) -> None:
    if member is None:
        await message.answer(t("Sorry, this is for shop members. Send /start or /help."))
    else:
        await message.answer(t("Unknown command. /help lists what you can do."))


@fallback.message()
async def anything_else(message: Message, member: Member | None) -> None:
    if member is None:
        await message.answer(t("Sorry, this is for shop members. Send /start or /help."))
    else:
        await message.answer(
            t("To issue an invoice, tap «New invoice» or send /new."),
            reply_markup=main_menu(member),
        )
