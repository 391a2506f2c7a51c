"""The buttons on a receipt card: check, open, QR, SMS, cancel (Retry is bot/invoices/issuing.py),
one handler each; LiqPay's failures, told alike for all of them, by the error handlers below."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent

from bot.filters import FromButton, IsMember
from bot.i18n import t
from bot.middlewares import Ack
from bot.receipts.goods import goods_of
from bot.receipts.keyboards import cancel_confirm_keyboard, receipt_card_keyboard
from bot.receipts.show import send_card, send_qr, sms_problem
from bot.receipts.views import keys_unreadable_text, receipt_card
from bot.routers.base import Alongside, liqpay_problem, quietly, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import ReceiptAction
from bot.ui.format import kyiv_time
from services.core.clock import utcnow
from services.invoices.issuing import InvoiceService
from services.liqpay.client import LiqPayError
from services.receipts.state import KeysUnreadable, NoKeys, ReceiptService
from services.receipts.transitions import LIQPAY_INVOICE_CHANNELS
from storage.models.receipts import Receipt, ReceiptStatus
from storage.models.shops import Member

router = RouterPlan("receipt_card")
router.callback_query.filter(IsMember())


async def _receipt(
    ack: Ack, data: ReceiptAction, member: Member, receipts: ReceiptService
) -> Receipt | None:
    receipt = await receipts.for_member(member, data.id)
    if receipt is None:
        await ack(t("Receipt not found."))
    return receipt


async def _payable(
    callback: CallbackQuery, ack: Ack, data: ReceiptAction, member: Member, receipts: ReceiptService
) -> Receipt | None:
    """The receipt, if it can still be paid; else the button is on an older copy of the card,
    which is redrawn as the receipt is now."""
    receipt = await _receipt(ack, data, member, receipts)
    if receipt is None:
        return None
    if receipt.status is ReceiptStatus.AWAITING and receipt.expires_at > utcnow():
        return receipt
    await safe_edit(
        callback.message,
        receipt_card(receipt, goods=await goods_of(receipts, receipt)),
        receipt_card_keyboard(receipt, owner=member.is_owner),
    )
    await ack(t("This receipt is no longer awaiting payment."), alert=True)
    return None


@router.callback_query(ReceiptAction.filter(F.action == "qr"))
async def show_qr(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReceiptAction,
    member: Member,
    receipts: ReceiptService,
    bot: Bot,
) -> None:
    receipt = await _payable(callback, ack, callback_data, member, receipts)
    if receipt is None:
        return
    if not receipt.link:
        await ack(t("This invoice has no link: LiqPay delivered it to the customer."))
        return
    await send_qr(bot, callback.from_user.id, receipt)


@router.callback_query(ReceiptAction.filter(F.action == "cancel"))
async def ask_cancel(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReceiptAction,
    member: Member,
    receipts: ReceiptService,
) -> None:
    receipt = await _payable(callback, ack, callback_data, member, receipts)
    if receipt is None:
        return
    await safe_edit(
        callback.message,
        receipt_card(receipt, goods=await goods_of(receipts, receipt))
        + "\n\n"
        + (
            t("Cancel this invoice? The customer will not be able to pay it.")
            if receipt.channel in LIQPAY_INVOICE_CHANNELS
            else t(
                "Cancel this receipt? LiqPay can't withdraw a payment link: until it "
                "expires the customer could still pay, and you would be told."
            )
        ),
        cancel_confirm_keyboard(receipt),
    )


@router.callback_query(ReceiptAction.filter(F.action == "cancel_no"))
async def keep(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReceiptAction,
    member: Member,
    receipts: ReceiptService,
) -> None:
    receipt = await _receipt(ack, callback_data, member, receipts)
    if receipt is None:
        return
    await safe_edit(
        callback.message,
        receipt_card(receipt, goods=await goods_of(receipts, receipt)),
        receipt_card_keyboard(receipt, owner=member.is_owner),
    )


# The buttons below call LiqPay or TurboSMS, which may take longer than Telegram waits for the
# button's answer: it is answered at once, and the outcome shown after. Once the call is done,
# a failure to show it is not a failure of what was done. LiqPay's failures are told by the
# error handlers at the end.


@router.callback_query(ReceiptAction.filter(F.action == "cancel_yes"))
async def cancel(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReceiptAction,
    member: Member,
    receipts: ReceiptService,
) -> None:
    receipt = await _payable(callback, ack, callback_data, member, receipts)
    if receipt is None:
        return
    async with Alongside() as alongside:
        alongside.start(ack(t("Cancelling the invoice…")))  # while LiqPay is asked
        receipt = await receipts.cancel(receipt)  # the outbox redraws the card too
    await quietly(
        safe_edit(
            callback.message,
            receipt_card(receipt, goods=await goods_of(receipts, receipt)),
            receipt_card_keyboard(receipt, owner=member.is_owner),
        )
    )


@router.callback_query(ReceiptAction.filter(F.action == "open"))
async def open_card(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReceiptAction,
    member: Member,
    receipts: ReceiptService,
    bot: Bot,
) -> None:
    receipt = await _receipt(ack, callback_data, member, receipts)
    if receipt is None:
        return
    async with Alongside() as alongside:
        alongside.start(ack(t("Checking with LiqPay…")))  # while LiqPay is asked
        receipt = await receipts.check(receipt)
    await quietly(send_card(bot, callback.from_user.id, receipt, receipts, owner=member.is_owner))


@router.callback_query(ReceiptAction.filter(F.action == "sms"))
async def send_sms(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReceiptAction,
    member: Member,
    receipts: ReceiptService,
    invoices: InvoiceService,
) -> None:
    receipt = await _payable(callback, ack, callback_data, member, receipts)
    if receipt is None:
        return
    async with Alongside() as alongside:
        alongside.start(ack(t("Sending the SMS…")))  # while TurboSMS is asked
        error = await invoices.send_sms(receipt)
    await quietly(ack(t("SMS sent.") if error is None else sms_problem(error)))


@router.callback_query(ReceiptAction.filter(F.action == "check"))
async def check(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReceiptAction,
    member: Member,
    receipts: ReceiptService,
) -> None:
    receipt = await _receipt(ack, callback_data, member, receipts)
    if receipt is None:
        return
    async with Alongside() as alongside:
        alongside.start(ack(t("Checking with LiqPay…")))  # while LiqPay is asked
        receipt = await receipts.check(receipt)
    checked = t("🔄 Checked with LiqPay at {when} (Kyiv).", when=kyiv_time(utcnow()))
    card = receipt_card(receipt, goods=await goods_of(receipts, receipt)) + "\n" + checked
    await quietly(
        safe_edit(callback.message, card, receipt_card_keyboard(receipt, owner=member.is_owner))
    )


# Retry is the issuing router's, with failures of its own to tell.
RECEIPT_BUTTONS = FromButton(ReceiptAction.filter(F.action != "retry"))


@router.errors(ExceptionTypeFilter(KeysUnreadable), RECEIPT_BUTTONS)
async def keys_unreadable(event: ErrorEvent, ack: Ack) -> None:
    await quietly(ack(keys_unreadable_text(), alert=True))


@router.errors(ExceptionTypeFilter(NoKeys), RECEIPT_BUTTONS)
async def no_keys(event: ErrorEvent, ack: Ack) -> None:
    await quietly(ack(t("The shop has no LiqPay keys. The owner sets them in /settings.")))


@router.errors(ExceptionTypeFilter(LiqPayError), RECEIPT_BUTTONS)
async def liqpay_failed(event: ErrorEvent, ack: Ack) -> None:
    await quietly(ack(liqpay_problem(event.exception)))
