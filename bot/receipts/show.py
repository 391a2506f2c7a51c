"""Showing a receipt: its card (kept up to date by the outbox), its QR code, and what
became of its SMS; every feature that shows a receipt uses these."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable

from aiogram import Bot
from aiogram.types import BufferedInputFile

from bot.i18n import t
from bot.receipts.goods import goods_of
from bot.receipts.keyboards import receipt_card_keyboard
from bot.receipts.views import receipt_card
from bot.ui.format import escape
from services.core.qr import DataOverflowError, qr_png
from services.invoices.sms import (
    SMS_MAYBE_SENT,
    SMS_NOT_CONFIGURED,
    SMS_TOKEN_UNREADABLE,
    SMS_UNAVAILABLE,
)
from services.receipts.state import ReceiptService
from storage.models.receipts import Receipt

GATEWAY_STATUS_RE = re.compile(r"[A-Z][A-Z0-9_]{1,63}")


async def send_card(
    bot: Bot, chat_id: int, receipt: Receipt, receipts: ReceiptService, *, owner: bool = False
) -> None:
    """Show a receipt card; the notifier edits it when the receipt changes."""
    card = receipt_card(receipt, goods=await goods_of(receipts, receipt))
    sent = await bot.send_message(
        chat_id, card, reply_markup=receipt_card_keyboard(receipt, owner=owner)
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


async def draw_qr(link: str) -> bytes | None:
    """The payment link's QR code as a PNG; None when the link is too long for one.
    CPU-bound (segno picks the best of 8 masks, ~10 ms): not on the event loop."""
    try:
        return await asyncio.to_thread(qr_png, link)
    except DataOverflowError:
        return None


async def send_qr(
    bot: Bot, chat_id: int, receipt: Receipt, picture: Awaitable[bytes | None] | None = None
) -> None:
    """Send the QR code, drawn by `picture` when given (started earlier, so the drawing
    overlaps another call)."""
    if not receipt.link:
        return
    png = await (picture if picture is not None else draw_qr(receipt.link))
    if png is None:
        await bot.send_message(chat_id, t("The link is too long for a QR code: send the link."))
        return
    await bot.send_photo(
        chat_id,
        BufferedInputFile(png, filename=f"receipt-{receipt.number}.png"),
        caption=t(
            "Receipt No {number}: the customer scans this code to pay.", number=receipt.number
        ),
    )
