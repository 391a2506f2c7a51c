"""Every feature's notices in one registry: the sender's."""

from __future__ import annotations

from bot.fiscal import notices as fiscal
from bot.outbox.notices import NoticeRegistry
from bot.receipts import notices as receipts
from bot.reconcile import notices as reconcile
from bot.refunds import notices as refunds
from bot.reminders import notices as reminders
from bot.settings import notices as settings


def build_notices() -> NoticeRegistry:
    registry = NoticeRegistry()
    for feature in (receipts, refunds, fiscal, reminders, settings, reconcile):
        feature.register_notices(registry)
    return registry
