"""/pending (the deferred receipts registry) and the actions on a receipt card."""

from __future__ import annotations

import asyncio
import re

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.i18n import t
from bot.keyboards import (
    PendingPage,
    ReceiptAction,
    cancel_confirm_keyboard,
    pending_keyboard,
    receipt_card_keyboard,
)
from bot.middlewares import Ack
from bot.routers.base import IsMember, liqpay_problem, menu_text, quietly, safe_edit
from bot.routers.fiscal_receipts import send_unregistered
from bot.routers.plan import RouterPlan
from bot.texts import escape, keys_unreadable_text, kyiv_time, receipt_card, receipt_line
from services.core.clock import utcnow
from services.core.qr import DataOverflowError, qr_png
from services.fiscal.sales import FiscalSales
from services.invoices.issuing import (
    SMS_MAYBE_SENT,
    SMS_NOT_CONFIGURED,
    SMS_TOKEN_UNREADABLE,
    SMS_UNAVAILABLE,
    InvoiceService,
)
from services.liqpay.client import LiqPayError
from services.receipts.state import KeysUnreadable, NoKeys, ReceiptService
from services.receipts.transitions import LIQPAY_INVOICE_CHANNELS
from storage.models.receipts import Receipt, ReceiptStatus
from storage.models.shops import Member
from storage.protocols.store import Store

router = RouterPlan("receipts")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())

PAGE_SIZE = 5
GATEWAY_STATUS_RE = re.compile(r"[A-Z][A-Z0-9_]{1,63}")


async def send_card(
    bot: Bot, chat_id: int, receipt: Receipt, store: Store, *, owner: bool = False
) -> None:
    """Show a receipt card; the notifier edits it when the receipt changes."""
    sent = await bot.send_message(
        chat_id, receipt_card(receipt), reply_markup=receipt_card_keyboard(receipt, owner=owner)
    )
    # The issuing cashier's copy is the one kept current; an owner's look does not take it over.
    if receipt.card_message_id is None or chat_id == receipt.cashier_id:
        await store.receipts.set_card_message(receipt.id, chat_id, sent.message_id)


def sms_problem(reason: str) -> str:
    if reason == SMS_NOT_CONFIGURED:
        return t("SMS is not set up. The owner can connect TurboSMS in /settings.")
    if reason == SMS_TOKEN_UNREADABLE:
        return t(
            "The stored TurboSMS token can't be read (the bot's secret key was changed). "
            "The owner must enter it again in /settings."
        )
    if reason == SMS_UNAVAILABLE:
        return t("TurboSMS is not answering right now: the SMS was not sent.")
    if reason == SMS_MAYBE_SENT:
        return t(
            "TurboSMS did not answer in time: the SMS may have been sent. "
            "Ask the customer before sending it again."
        )
    if GATEWAY_STATUS_RE.fullmatch(reason):  # TurboSMS's own status code, quoted as a code
        return t("TurboSMS did not send the SMS (status {code}).", code=escape(reason))
    return t("TurboSMS did not send the SMS.")


async def send_qr(bot: Bot, chat_id: int, receipt: Receipt) -> None:
    if not receipt.link:
        return
    try:
        # CPU-bound (segno picks the best of 8 masks, ~10 ms): not on the event loop.
        picture = await asyncio.to_thread(qr_png, receipt.link)
    except DataOverflowError:
        await bot.send_message(chat_id, t("The link is too long for a QR code: send the link."))
        return
    await bot.send_photo(
        chat_id,
        BufferedInputFile(picture, filename=f"receipt-{receipt.number}.png"),
        caption=t(
            "Receipt No {number}: the customer scans this code to pay.", number=receipt.number
        ),
    )


async def _pending_view(
    service: ReceiptService, member: Member, page: int
) -> tuple[str, list[Receipt], int, int]:
    receipts, total = await service.pending(member, page * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if total == 0:
        return t("Nothing is awaiting payment."), [], 0, 1
    head = t("⏳ <b>Awaiting payment: {total}</b>", total=total)
    if pages > 1:
        head += " " + t("(page {page} of {pages})", page=page + 1, pages=pages)
    lines = [head, *(receipt_line(r) for r in receipts)]
    lines.append(t("Tap a receipt to check its status."))
    return "\n".join(lines), receipts, page, pages


@router.message(Command("pending"))
@router.message(F.text.in_(menu_text("pending")))
async def pending(
    message: Message,
    member: Member,
    receipts: ReceiptService,
    fiscal: FiscalSales | None = None,
) -> None:
    text, found, page, pages = await _pending_view(receipts, member, 0)
    await message.answer(text, reply_markup=pending_keyboard(found, page, pages))
    if fiscal is not None and member.is_owner:
        await send_unregistered(message, member, fiscal)


@router.callback_query(PendingPage.filter())
async def pending_page(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: PendingPage,
    member: Member,
    receipts: ReceiptService,
) -> None:
    page = max(0, callback_data.page)
    text, found, page, pages = await _pending_view(receipts, member, page)
    if page >= pages:
        text, found, page, pages = await _pending_view(receipts, member, pages - 1)
    await safe_edit(callback.message, text, pending_keyboard(found, page, pages))


@router.callback_query(ReceiptAction.filter())
async def receipt_action(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: ReceiptAction,
    member: Member,
    receipts: ReceiptService,
    invoices: InvoiceService,
    store: Store,
    bot: Bot,
    locale: str,
) -> None:
    receipt = await receipts.for_member(member, callback_data.id)
    if receipt is None:
        await ack(t("Receipt not found."))
        return
    action = callback_data.action
    chat_id = callback.from_user.id
    owner = member.is_owner
    payable = receipt.status is ReceiptStatus.AWAITING and receipt.expires_at > utcnow()
    if action in ("qr", "sms", "cancel", "cancel_yes") and not payable:
        # a button on an older copy of the card: redraw it as the receipt is now
        await safe_edit(
            callback.message, receipt_card(receipt), receipt_card_keyboard(receipt, owner=owner)
        )
        await ack(t("This receipt is no longer awaiting payment."), alert=True)
        return
    try:
        if action == "qr":
            if not receipt.link:
                await ack(t("This invoice has no link: LiqPay delivered it to the customer."))
                return
            await send_qr(bot, chat_id, receipt)
        elif action == "cancel":
            await safe_edit(
                callback.message,
                receipt_card(receipt)
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
        elif action == "cancel_no":
            await safe_edit(
                callback.message, receipt_card(receipt), receipt_card_keyboard(receipt, owner=owner)
            )
        # The buttons below call LiqPay or TurboSMS, which may take longer than Telegram waits
        # for the button's answer: it is answered at once, and the outcome shown after. Once
        # the call is done, a failure to show it is not a failure of what was done.
        elif action == "cancel_yes":
            await ack(t("Cancelling the invoice…"))
            receipt = await receipts.cancel(receipt)  # the outbox redraws the card too
            await quietly(
                safe_edit(
                    callback.message,
                    receipt_card(receipt),
                    receipt_card_keyboard(receipt, owner=owner),
                )
            )
        elif action == "open":
            await ack(t("Checking with LiqPay…"))
            receipt = await receipts.check(receipt)
            await quietly(send_card(bot, chat_id, receipt, store, owner=owner))
        elif action == "sms":
            await ack(t("Sending the SMS…"))
            error = await invoices.send_sms(receipt)
            await quietly(ack(t("SMS sent.") if error is None else sms_problem(error)))
        else:  # check
            await ack(t("Checking with LiqPay…"))
            receipt = await receipts.check(receipt)
            checked = t("🔄 Checked with LiqPay at {when} (Kyiv).", when=kyiv_time(utcnow()))
            card = receipt_card(receipt) + "\n" + checked
            await quietly(
                safe_edit(callback.message, card, receipt_card_keyboard(receipt, owner=owner))
            )
    except KeysUnreadable:
        await quietly(ack(keys_unreadable_text(), alert=True))
    except NoKeys:
        await quietly(ack(t("The shop has no LiqPay keys. The owner sets them in /settings.")))
    except LiqPayError as exc:
        await quietly(ack(liqpay_problem(exc)))
