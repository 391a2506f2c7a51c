"""The fiscal notices the outbox sends: the worker's word on one receipt, and the shop's
(the day's Z report, credentials to enter again)."""

from __future__ import annotations

from bot.fiscal.late import not_dated_notice
from bot.fiscal.views import shop_notice
from bot.outbox.notices import Notice, NoticeRegistry, NoticeRequest
from bot.receipts.notices import receipt_notice
from services.notifications.jobs import NotificationKind as K


async def render_shop_notice(request: NoticeRequest) -> Notice | None:
    text = shop_notice(request.kind, dict(request.payload), request.locale)
    return None if text is None else Notice(text)


def register_notices(registry: NoticeRegistry) -> None:
    # about one receipt: its notice (bot.fiscal.views.fiscal_notice) with its buttons
    for kind in (K.FISCAL_DONE, K.FISCAL_FAILED, K.FISCAL_DOWN, K.FISCAL_EMAIL_FAILED):
        registry.about_receipt(kind, receipt_notice)
    registry.about_receipt(K.FISCAL_NOT_DATED, not_dated_notice)  # a late one, and why
    for kind in (K.FISCAL_SHIFT_CLOSED, K.FISCAL_UNREADABLE, K.FISCAL_KEY_EXPIRING):
        registry.about_shop(kind, render_shop_notice)
