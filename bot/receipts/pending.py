"""/pending (the deferred receipts registry) and the actions on a receipt card."""

from __future__ import annotations

import asyncio
import re

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.filters import IsMember
from bot.fiscal.receipts import send_unregistered
from bot.i18n import t
from bot.middlewares import Ack
from bot.receipts.keyboards import pending_keyboard, receipt_card_keyboard
from bot.receipts.views import receipt_card, receipt_line
from bot.routers.base import menu_text, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import PendingPage
from bot.ui.format import escape
from services.core.qr import DataOverflowError, qr_png
from services.fiscal.sales import FiscalService
from services.invoices.issuing import (
    SMS_MAYBE_SENT,
    SMS_NOT_CONFIGURED,
    SMS_TOKEN_UNREADABLE,
    SMS_UNAVAILABLE,
)
from services.receipts.state import ReceiptService
from storage.models.receipts import Receipt
from storage.models.shops import Member

router = RouterPlan("receipts")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())

PAGE_SIZE = 5
GATEWAY_STATUS_RE = re.compile(r"[A-Z][A-Z0-9_]{1,63}")


async def send_card(
    bot: Bot, chat_id: int, receipt: Receipt, receipts: ReceiptService, *, owner: bool = False
) -> None:
    """Show a receipt card; the notifier edits it when the receipt changes."""
    sent = await bot.send_message(
        chat_id, receipt_card(receipt), reply_markup=receipt_card_keyboard(receipt, owner=owner)
    )
    await receipts.card_shown(receipt, chat_id, sent.message_id)


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
    fiscal: FiscalService | None = None,
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


def _message_id(callback: CallbackQuery) -> int:
    return callback.message.message_id if callback.message is not None else 0
