"""/new: amount → what for → channel → contact → confirm → LiqPay invoice and its card."""

from __future__ import annotations

import logging
import uuid

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.i18n import DEFAULT_LOCALE, t, tn
from bot.invoices.duplicate_views import earlier_invoice_keyboard, earlier_invoice_text
from bot.invoices.keyboards import (
    cancel_keyboard,
    channel_keyboard,
    confirm_keyboard,
    skip_keyboard,
)
from bot.middlewares import Ack
from bot.receipts.show import send_card
from bot.receipts.views import channel_name, keys_unreadable_text
from bot.routers.base import (
    DIALOG_INPUT,
    DIALOG_TEXT,
    menu_text,
    quietly,
)
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import ChannelChoice, DialogAction
from bot.ui.format import escape
from services.config import Settings
from services.core.contacts import ContactError, normalize_email, normalize_phone
from services.core.money import AmountError, format_amount, parse_amount
from services.core.names import clean_name
from services.invoices.duplicates import EarlierInvoice
from services.invoices.issuing import InvoiceService
from services.invoices.requests import MAX_DESCRIPTION, description_fits
from services.receipts.state import KeysUnreadable, NoKeys, ReceiptService
from services.shops.service import ShopService
from storage.models.receipts import Channel
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
    await _ask_channel(message, state)


async def _ask_channel(message: Message, state: FSMContext) -> None:
    await state.set_state(NewInvoice.channel)
    await message.answer(
        t("How does the customer get the invoice?"), reply_markup=channel_keyboard()
    )


@router.callback_query(NewInvoice.description, DialogAction.filter(F.action == "skip"))
async def skip_description(callback: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(description=None)
    if isinstance(callback.message, Message):
        await quietly(callback.message.edit_reply_markup(reply_markup=None))
        await _ask_channel(callback.message, state)


@router.callback_query(NewInvoice.channel, ChannelChoice.filter())
async def got_channel(
    callback: CallbackQuery,
    callback_data: ChannelChoice,
    ack: Ack,
    state: FSMContext,
    member: Member,
    shops: ShopService,
) -> None:
    channel = callback_data.channel
    if channel is Channel.SMS and not (await shops.settings(member)).has_sms:
        text = (
            t("SMS is not set up. Open /settings → SMS gateway to connect TurboSMS.")
            if member.is_owner
            else t("SMS is not set up. The shop owner can connect TurboSMS in /settings.")
        )
        await ack(text, alert=True)
        return
    await state.update_data(channel=channel.value)
    if not isinstance(callback.message, Message):
        return
    await quietly(callback.message.edit_reply_markup(reply_markup=None))
    if channel is Channel.LINK:
        await state.update_data(contact=None)
        await _ask_confirm(callback.message, state)
        return
    await state.set_state(NewInvoice.contact)
    prompts = {
        Channel.EMAIL: t("Customer's e-mail?"),
        Channel.PRIVAT24: t("Customer's phone number of the Privat24 account, e.g. 050 123 45 67?"),
        Channel.SMS: t("Customer's phone number for the SMS, e.g. 050 123 45 67?"),
    }
    await callback.message.answer(prompts[channel], reply_markup=cancel_keyboard())


@router.message(NewInvoice.contact, DIALOG_TEXT)
async def got_contact(
    message: Message, state: FSMContext, member: Member, invoices: InvoiceService
) -> None:
    assert message.text is not None
    data = await state.get_data()
    channel = Channel(str(data["channel"]))
    try:
        contact = (
            normalize_email(message.text)
            if channel is Channel.EMAIL
            else normalize_phone(message.text)
        )
    except ContactError as exc:
        texts = {
            "email": t("That is not a valid e-mail address. Send it like name@example.com."),
            "phone": t(
                "That is not a valid phone number. Send it like 050 123 45 67 or +380501234567."
            ),
            "phone_not_ua": t("Only Ukrainian numbers (+380) work here. Send a Ukrainian number."),
        }
        await message.answer(texts[exc.reason])
        return
    await state.update_data(contact=contact)
    amount, currency = int(data["amount"]), str(data["currency"])
    earlier = await invoices.duplicates.earlier_unpaid(member, amount, currency, channel, contact)
    await _ask_confirm(message, state, earlier)


async def _ask_confirm(
    message: Message, state: FSMContext, earlier: EarlierInvoice | None = None
) -> None:
    """The summary, with Confirm; or, when an unpaid invoice for the same sale exists, told
    first with «Show it» and «Issue another» (nothing is sent before the cashier chooses)."""
    data = await state.get_data()
    channel = Channel(str(data["channel"]))
    contact = f" · {escape(str(data['contact']))}" if data.get("contact") else ""
    description = data.get("description") or t(
        "Payment for receipt No {number}", DEFAULT_LOCALE, number="…"
    )
    key = uuid.uuid4().hex
    await state.update_data(idempotency_key=key)
    await state.set_state(NewInvoice.confirm)
    warning = [earlier_invoice_text(earlier), ""] if earlier is not None else []
    await message.answer(
        "\n".join(
            [
                *warning,
                t("<b>Check the invoice</b>"),
                t(
                    "Amount: <b>{amount}</b>",
                    amount=format_amount(int(data["amount"]), str(data["currency"])),
                ),
                t("For: {description}", description=escape(str(description))),
                t("Channel: {channel}", channel=channel_name(channel)) + contact,
            ]
        ),
        reply_markup=(
            confirm_keyboard(key) if earlier is None else earlier_invoice_keyboard(earlier, key)
        ),
    )


@router.callback_query(DialogAction.filter())
async def stale_dialog_button(callback: CallbackQuery, ack: Ack) -> None:
    await ack(t("This dialog is over. Start again with /new."), alert=True)


@router.message(NewInvoice.amount, DIALOG_INPUT)
@router.message(NewInvoice.description, DIALOG_INPUT)
@router.message(NewInvoice.contact, DIALOG_INPUT)
async def needs_text(message: Message) -> None:
    await message.answer(t("Send it as a text message, or /cancel."))


@router.message(NewInvoice.channel, DIALOG_INPUT)
async def needs_button(message: Message) -> None:
    await message.answer(t("Tap one of the buttons above, or /cancel."))


@router.message(NewInvoice.confirm, DIALOG_INPUT)
async def confirm_needs_button(
    message: Message,
    state: FSMContext,
    member: Member,
    invoices: InvoiceService,
    receipts: ReceiptService,
    bot: Bot,
) -> None:
    key = str((await state.get_data()).get("idempotency_key", ""))
    made = await invoices.confirmed(member, key) if key else None
    if made is None:
        await message.answer(t("Tap one of the buttons above, or /cancel."))
        return
    # Confirmed before (the bot stopped meanwhile): the receipt says what became of it.
    await state.clear()
    await message.answer(t("You confirmed this invoice already. Here is its card."))
    await send_card(bot, member.user_id, made, receipts)
