"""Confirm and Retry: making the invoice, and telling the cashier what became of it."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, F
from aiogram.exceptions import AiogramError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.i18n import t
from bot.invoices.basket_screens import basket_again
from bot.invoices.dialog import LEGACY_KEY_LENGTH, NewInvoice, no_keys_text
from bot.invoices.keyboards import confirm_keyboard
from bot.middlewares import Ack
from bot.receipts.goods import goods_of
from bot.receipts.keyboards import receipt_card_keyboard
from bot.receipts.show import draw_qr, send_card, send_qr, sms_problem
from bot.receipts.views import receipt_card
from bot.routers.base import Alongside, liqpay_problem, quietly, report, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import DialogAction, ReceiptAction
from bot.ui.format import escape
from bot.ui.keyboards import main_menu
from services.invoices.basket import from_data
from services.invoices.goods import LinesDoNotAddUp
from services.invoices.issuing import InvoiceService
from services.invoices.requests import (
    CurrencyChanged,
    InvoiceRefused,
    InvoiceRequest,
    IssueResult,
    Outcome,
    SmsNotConfigured,
)
from services.liqpay.client import LiqPayError
from services.receipts.state import NoKeys, ReceiptService
from storage.models.receipts import Channel, ReceiptStatus
from storage.models.shops import Member

log = logging.getLogger(__name__)
router = RouterPlan("issuing")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())


@router.callback_query(DialogAction.filter(F.action == "confirm"))
async def confirm(
    callback: CallbackQuery,
    callback_data: DialogAction,
    ack: Ack,
    state: FSMContext,
    member: Member,
    invoices: InvoiceService,
    receipts: ReceiptService,
    bot: Bot,
) -> None:
    data = await state.get_data()
    key = str(data.get("idempotency_key", ""))
    in_dialog = await state.get_state() == NewInvoice.confirm.state
    if not (in_dialog and key and callback_data.key in (key, key[:LEGACY_KEY_LENGTH])):
        await confirm_again(
            callback_data.key, ack, member, invoices, receipts, bot, stale=in_dialog
        )
        return
    request = InvoiceRequest(
        shop_id=member.shop_id,
        cashier_id=member.user_id,
        amount=int(data["amount"]),
        description=data.get("description"),
        channel=Channel(str(data["channel"])),
        contact=data.get("contact"),
        idempotency_key=f"{member.user_id}:{key}",
        currency=str(data["currency"]),
        lines=from_data(data.get("lines")),  # the basket's; none: amount only
    )
    # The dialog is over: from here the receipt is the truth, and this summary's buttons find
    # it by its key. Nothing is left in the dialog to strand the cashier.
    await state.clear()
    summary = callback.message if isinstance(callback.message, Message) else None
    async with Alongside() as alongside:
        # the answer (LiqPay may take longer than Telegram waits for it) and the progress
        # note go while the invoice is made, not before
        alongside.start(ack())
        progress = alongside.start(show_progress(summary))
        try:
            result = await invoices.issue(request)
        except (InvoiceRefused, NoKeys, SmsNotConfigured, CurrencyChanged, LiqPayError) as exc:
            failure = issue_failure_text(exc, member)
            await quietly(bot.send_message(member.user_id, failure, reply_markup=main_menu(member)))
            return
        except LinesDoNotAddUp:  # nothing was made: back to the basket, kept as it was
            await progress
            await basket_again(bot, member.user_id, summary, state, data)
            return
        except Exception:
            # The dialog and its buttons come back, so it can go on or be cancelled; a receipt
            # this made is found again by its key (and told by the recovery).
            await state.set_state(NewInvoice.confirm)
            await state.set_data(data)
            if summary is not None:
                await progress  # the summary's last edit is this one
                await quietly(safe_edit(summary, summary.html_text, confirm_keyboard(key)))
            raise
        if result.receipt.channel is not Channel.LINK:
            # LiqPay was asked: the note finished meanwhile, so this costs nothing and the
            # note never lands after the card. A link is made at once: the card does not
            # wait for the note, which is on another message and can't overwrite it.
            await progress
        await show_outcome(bot, member, result, invoices, receipts, ack)


async def show_progress(summary: Message | None) -> None:
    if summary is not None:
        await safe_edit(summary, summary.html_text + "\n\n" + t("⏳ Making the invoice…"))


async def confirm_again(
    key: str,
    ack: Ack,
    member: Member,
    invoices: InvoiceService,
    receipts: ReceiptService,
    bot: Bot,
    *,
    stale: bool,
) -> None:
    """Confirm on a summary whose dialog is over: the receipt it made, if any, is finished
    (after a restart, say) or shown; never a second one."""
    receipt = await invoices.confirmed(member, key) if key else None
    if receipt is None:
        # a Confirm under an older summary must not issue what the newer one shows
        text = (
            t("This summary is out of date. Confirm the latest one, or start again with /new.")
            if stale
            else t("This dialog is over. Start again with /new.")
        )
        await ack(text, alert=True)
        return
    async with Alongside() as alongside:
        alongside.start(ack())  # while LiqPay is asked what became of it
        try:
            result = await invoices.resume(receipt)
        except (InvoiceRefused, NoKeys, SmsNotConfigured, LiqPayError) as exc:
            failure = issue_failure_text(exc, member)
            await quietly(bot.send_message(member.user_id, failure, reply_markup=main_menu(member)))
            return
        await show_outcome(bot, member, result, invoices, receipts, ack)


def issue_failure_text(exc: Exception, member: Member) -> str:
    if isinstance(exc, InvoiceRefused):
        detail = f" ({escape(exc.err_description)})" if exc.err_description else ""
        return t(
            "LiqPay refused the invoice: {code}{detail}. No invoice was made; check the data "
            "and try again with /new.",
            code=escape(exc.err_code),
            detail=detail,
        )
    if isinstance(exc, NoKeys):
        return no_keys_text(member, exc)
    if isinstance(exc, SmsNotConfigured):
        return t("SMS is not set up for this shop. Choose another channel: /new")
    if isinstance(exc, CurrencyChanged):
        return t(
            "The shop's currency changed to {currency} meanwhile. Nothing was made; start "
            "again with /new.",
            currency=exc.currency,
        )
    return liqpay_problem(exc)


async def show_outcome(
    bot: Bot,
    member: Member,
    result: IssueResult,
    invoices: InvoiceService,
    receipts: ReceiptService,
    ack: Ack,
) -> None:
    """Show what became of the invoice. The invoice is made (or saved) whatever Telegram does
    now: a card that can't be shown is shown later by the outbox, and a failure to show is
    never reported as a failure of the invoice."""
    chat = member.user_id
    receipt = result.receipt
    if result.outcome is Outcome.BUSY:
        await quietly(ack(t("This invoice is being made already. What became of it is told here.")))
        return
    made = result.outcome is Outcome.MADE
    link = receipt.link if made and receipt.status is ReceiptStatus.AWAITING else None
    # the QR code follows the card in the chat; it is drawn while the card is being sent
    picture = (
        asyncio.ensure_future(draw_qr(link)) if link and receipt.channel is Channel.LINK else None
    )
    async with Alongside() as alongside:
        try:
            if result.outcome is Outcome.NOT_CONFIRMED:
                await bot.send_message(
                    chat,
                    t(
                        "LiqPay is not answering, so the invoice is not confirmed yet. It is "
                        "saved; tap «Retry» in a minute — it will not make a second invoice."
                    ),
                )
            elif result.outcome is Outcome.ALREADY_MADE:
                await bot.send_message(chat, t("This invoice is already made."))
            await send_card(bot, chat, receipt, receipts)
        except AiogramError as exc:
            log.warning("Receipt %s: outcome not shown (%s); the outbox shows it", receipt.id, exc)
            if picture is not None:
                picture.cancel()
            await invoices.shown(result, chat, delivered=False)
            return
        await invoices.shown(result, chat, delivered=True)
        if picture is not None:
            alongside.start(send_qr(bot, chat, receipt, picture))
    if not made:
        return
    if result.sms_error:
        warning = t("Show the customer the QR code or the link, or tap «Resend SMS».")
        await quietly(bot.send_message(chat, "⚠️ " + sms_problem(result.sms_error) + " " + warning))


@router.callback_query(ReceiptAction.filter(F.action == "retry"))
async def retry(
    callback: CallbackQuery,
    callback_data: ReceiptAction,
    ack: Ack,
    member: Member,
    receipts: ReceiptService,
    invoices: InvoiceService,
    bot: Bot,
) -> None:
    receipt = await receipts.for_member(member, callback_data.id)
    if receipt is None:
        await ack(t("Receipt not found."), alert=True)
        return
    card = callback.message if isinstance(callback.message, Message) else None
    if receipt.status is not ReceiptStatus.DRAFT:
        text = receipt_card(receipt, goods=await goods_of(receipts, receipt))
        await quietly(safe_edit(card, text, receipt_card_keyboard(receipt)))
        await ack(t("This invoice is already made."))
        return
    async with Alongside() as alongside:
        # at once, and while LiqPay takes its time
        alongside.start(ack(t("⏳ Making the invoice…")))
        try:
            result = await invoices.resume(receipt)
        except (InvoiceRefused, NoKeys, SmsNotConfigured, LiqPayError) as exc:
            if card is not None:
                await report(card, issue_failure_text(exc, member), edit=card)
            return
    if result.outcome is Outcome.NOT_CONFIRMED:
        await invoices.shown(result, member.user_id, delivered=True)  # its card is on screen
        await quietly(ack(t("LiqPay is still not answering. Try again in a minute.")))
        return
    if result.outcome is Outcome.MADE and card is not None:
        await quietly(safe_edit(card, t("✅ Done: the invoice is made.")))
    await show_outcome(bot, member, result, invoices, receipts, ack)


@router.callback_query(DialogAction.filter(F.action == "cancel"))
async def cancel_dialog(
    callback: CallbackQuery,
    callback_data: DialogAction,
    ack: Ack,
    state: FSMContext,
    member: Member,
    invoices: InvoiceService,
    receipts: ReceiptService,
    bot: Bot,
) -> None:
    made = await invoices.confirmed(member, callback_data.key) if callback_data.key else None
    if made is not None:  # Confirm came first: say what it did, and leave any newer dialog be
        if made.status is ReceiptStatus.DRAFT:
            text = t(
                "Confirm came first: receipt No {number} is saved, not confirmed by LiqPay "
                "yet. Its card is below.",
                number=made.number,
            )
        else:
            text = t(
                "Confirm came first: the invoice of receipt No {number} is made. To withdraw "
                "it, tap «Cancel invoice» on its card.",
                number=made.number,
            )
        await ack(text, alert=True)
        await quietly(send_card(bot, member.user_id, made, receipts))
        return
    await state.clear()
    if isinstance(callback.message, Message):
        await safe_edit(callback.message, t("Cancelled. Nothing was saved."))
