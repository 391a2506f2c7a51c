"""/new, second half: the channel, the contact and the summary with Confirm (the dialog's
states and its first steps are bot/invoices/dialog.py, whose router comes right before this
one); and the dialog's answers to what fits no step."""

from __future__ import annotations

import uuid

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.i18n import DEFAULT_LOCALE, t
from bot.invoices.dialog import NewInvoice
from bot.invoices.duplicate_views import earlier_invoice_keyboard, earlier_invoice_text
from bot.invoices.keyboards import cancel_keyboard, confirm_keyboard
from bot.middlewares import Ack
from bot.receipts.goods import goods_short
from bot.receipts.show import send_card
from bot.receipts.views import channel_name
from bot.routers.base import DIALOG_INPUT, DIALOG_TEXT, Alongside
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import ChannelChoice, DialogAction
from bot.ui.format import escape
from services.core.contacts import ContactError, normalize_email, normalize_phone
from services.core.money import format_amount
from services.invoices.basket import from_data
from services.invoices.duplicates import EarlierInvoice
from services.invoices.issuing import InvoiceService
from services.receipts.state import ReceiptService
from services.shops.service import ShopService
from storage.models.receipts import Channel
from storage.models.shops import Member

router = RouterPlan("invoice_summary")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())


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
    async with Alongside() as alongside:
        # the spent buttons come off the question (another message) while the next step is
        # asked, not before
        alongside.start(callback.message.edit_reply_markup(reply_markup=None))
        alongside.start(ack())
        if channel is Channel.LINK:
            await state.update_data(contact=None)
            await ask_confirm(callback.message, state)
            return
        await state.set_state(NewInvoice.contact)
        prompts = {
            Channel.EMAIL: t("Customer's e-mail?"),
            Channel.PRIVAT24: t(
                "Customer's phone number of the Privat24 account, e.g. 050 123 45 67?"
            ),
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
    await ask_confirm(message, state, earlier)


async def ask_confirm(
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
                *goods_short(from_data(data.get("lines")), str(data["currency"])),
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
