"""The settings' notice the outbox sends: the LiqPay keys are to be entered again."""

from __future__ import annotations

from bot.outbox.notices import NoticeRegistry
from bot.receipts.notices import receipt_notice
from services.notifications.jobs import NotificationKind as K


def register_notices(registry: NoticeRegistry) -> None:
    # caused by a receipt whose payment could not be checked (its number is in the text)
    registry.about_receipt(K.KEYS_UNREADABLE, receipt_notice)
