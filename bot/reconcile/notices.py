"""The daily reconciliation's message to the owners (the outbox sends it)."""

from __future__ import annotations

from bot.outbox.notices import Notice, NoticeRegistry, NoticeRequest
from bot.reconcile.texts import reconcile_text
from services.notifications.jobs import NotificationKind as K
from services.reconcile.model import Result


async def reconcile_notice(request: NoticeRequest) -> Notice:
    """About the shop's day, not one receipt: the result is in the payload."""
    return Notice(reconcile_text(Result.from_payload(request.payload["result"]), request.locale))


def register_notices(registry: NoticeRegistry) -> None:
    registry.about_shop(K.RECONCILE, reconcile_notice)
