"""The reminders the outbox sends: an invoice about to expire, and the day's digest."""

from __future__ import annotations

from bot.outbox.notices import Notice, NoticeRegistry, NoticeRequest, ReceiptNoticeRequest
from bot.receipts.keyboards import receipt_card_keyboard
from bot.reminders.texts import digest_text, reminder_message
from services.notifications.jobs import NotificationKind as K
from services.reminders.service import worth_reminding


async def reminder_notice(request: ReceiptNoticeRequest) -> Notice | None:
    """The card of an invoice that expires soon, as a new card; nothing when it was paid,
    closed or flagged since."""
    receipt, locale = request.receipt, request.locale
    if not worth_reminding(receipt, request.now):
        return None
    owner = await request.lookups.is_owner(request.chat_id, receipt)
    keyboard = receipt_card_keyboard(receipt, locale, owner=owner)
    goods = await request.lookups.goods(receipt)
    return Notice(reminder_message(receipt, locale, goods), keyboard, is_card=True)


async def digest_notice(request: NoticeRequest) -> Notice:
    """About the day, not one receipt: its figures are in the payload."""
    return Notice(digest_text(request.payload, request.locale))


def register_notices(registry: NoticeRegistry) -> None:
    registry.about_receipt(K.REMINDER, reminder_notice)
    registry.about_shop(K.DIGEST, digest_notice)
