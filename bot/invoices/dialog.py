"""/new: amount → what for → channel → contact → confirm → LiqPay invoice and its card.

This module: the dialog's states, /new, the amount and what it is for. The channel, the
contact and the summary are bot/invoices/summary.py (its router comes right after this one);
Confirm is bot/invoices/issuing.py."""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.i18n import t, tn
from bot.invoices.basket_views import start_keyboard, start_text
from bot.invoices.keyboards import (
    cancel_keyboard,
    channel_keyboard,
    skip_keyboard,
)
from bot.receipts.views import keys_unreadable_text
from bot.routers.base import (
    DIALOG_TEXT,
    menu_text,
    quietly,
)
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import DialogAction
from services.config import Settings
from services.core.money import AmountError, format_amount, parse_amount
from services.core.names import clean_name
from services.invoices.issuing import InvoiceService
from services.invoices.requests import MAX_DESCRIPTION, description_fits
from services.invoices.shelf import BasketShelf
from services.receipts.state import KeysUnreadable, NoKeys, ReceiptService
from services.shops.service import ShopService
from storage.models.shops import Member

log = logging.getLogger(__name__)
router = RouterPlan("invoice")

LEGACY_KEY_LENGTH = 12  # summaries shown before the whole key went into the buttons
router.message.filter(IsMember())
router.callback_query.filter(IsMember())


class NewInvoice(StatesGroup):
    amount = State()
    description = State()
    channel = State()
    contact = State()
    confirm = State()


class BasketStep(StatesGroup):
    """/new in a shop with a catalogue, before the description (bot/invoices/basket.py);
    the basket is in the dialog's data (services/invoices/basket.py's `to_data`)."""

    start = State()  # an item, a barcode or an amount (that goes the "amount only" way)
    lines = State()  # the basket is shown: an item or a barcode adds a line
    quantity = State()  # data: pick (an item's id) or edit (a line's position)
    price = State()  # data: pick, pick_quantity: the item has no price


def no_keys_text(member: Member, problem: NoKeys | None = None) -> str:
    """Why no invoice can be made. Keys that can't be read are there (SECRET_KEY changed):
    they must be entered again, whoever reads this."""
    if isinstance(problem, KeysUnreadable):
        return keys_unreadable_text()
    if member.is_owner:
        return t("Set the shop's LiqPay keys first: /settings → LiqPay keys.")
    return t("The shop owner has not set the LiqPay keys yet. Ask them to do it in /settings.")


def amount_error_text(reason: str, settings: Settings, currency: str) -> str:
    limit = format_amount(settings.max_invoice_kopecks, currency)
    texts = {
        "negative": t("The amount can't be negative."),
        "zero": t("The amount must be more than zero."),
        "decimals": t("At most two digits after the decimal point (kopecks)."),
        "too_big": t("The largest invoice is {limit}.", limit=limit),
    }
    hint = t("Send the amount like 250, 250.50 or 1 250,50 (up to {limit}).", limit=limit)
    reason_text = texts.get(reason, t("I could not read that amount."))
    return f"{reason_text} {hint}"


@router.message(Command("new"))
@router.message(F.text.in_(menu_text("new")))
async def new_invoice(
    message: Message,
    member: Member,
    state: FSMContext,
    receipts: ReceiptService,
    invoices: InvoiceService,
    shops: ShopService,
    shelf: BasketShelf,
) -> None:
    await state.clear()
    try:
        await receipts.require_credentials(member.shop_id)
    except NoKeys as problem:
        await message.answer(no_keys_text(member, problem))
        return
    for unsettled in await invoices.being_made(member):  # e.g. the bot restarted meanwhile
        await message.answer(
            t(
                "⏳ Receipt No {number} ({amount}) that you confirmed is still being made; what "
                "became of it is told here shortly. Don't invoice that sale again.",
                number=unsettled.number,
                amount=format_amount(unsettled.amount, unsettled.currency),
            )
        )
    currency = (await shops.settings(member)).currency
    if await shelf.has_catalogue(member):  # the basket; a typed amount still goes as below
        await state.set_state(BasketStep.start)
        await state.update_data(currency=currency)
        await message.answer(
            start_text(currency), reply_markup=start_keyboard(await shelf.shortlist(member))
        )
        return
    await state.set_state(NewInvoice.amount)
    await state.update_data(currency=currency)
    await message.answer(
        t("New invoice. Amount in {currency}? For example 250 or 250,50.", currency=currency),
        reply_markup=cancel_keyboard(),
    )


@router.message(NewInvoice.amount, DIALOG_TEXT)
async def got_amount(message: Message, state: FSMContext, settings: Settings) -> None:
    assert message.text is not None
    currency = str((await state.get_data()).get("currency", "UAH"))
    try:
        amount = parse_amount(message.text, settings.max_invoice_kopecks)
    except AmountError as exc:
        await message.answer(amount_error_text(exc.reason, settings, currency))
        return
    await ask_description(message, state, amount, currency)


async def ask_description(message: Message, state: FSMContext, amount: int, currency: str) -> None:
    await state.update_data(amount=amount)
    await state.set_state(NewInvoice.description)
    await message.answer(
        t(
            "{amount}. What is it for? Send a short description, or tap Skip.",
            amount=format_amount(amount, currency),
        ),
        reply_markup=skip_keyboard(),
    )


@router.message(NewInvoice.description, DIALOG_TEXT)
async def got_description(message: Message, state: FSMContext) -> None:
    assert message.text is not None
    description = clean_name(message.text)  # customers read it on LiqPay's page
    if not description_fits(description):
        await message.answer(
            tn(
                "The description is too long: at most {n} character.",
                "The description is too long: at most {n} characters.",
                MAX_DESCRIPTION,
            )
        )
        return
    await state.update_data(description=description or None)
    await ask_channel(message, state)


async def ask_channel(message: Message, state: FSMContext) -> None:
    await state.set_state(NewInvoice.channel)
    await message.answer(
        t("How does the customer get the invoice?"), reply_markup=channel_keyboard()
    )


@router.callback_query(NewInvoice.description, DialogAction.filter(F.action == "skip"))
async def skip_description(callback: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(description=None)
    if isinstance(callback.message, Message):
        await quietly(callback.message.edit_reply_markup(reply_markup=None))
        await ask_channel(callback.message, state)
