"""The Reports screen's export: the chat's /export file (bot/reports/delivery.py, the same
code as its buttons) sent to the reader's chat with the bot, answered on the page.

Once per tap: the page sends a fresh key with each tap, and the first request with a key
takes the store's slot named after it (JobQueue.reserve_slot, atomic on every engine and
replica); a second request with that key (a double tap, a retried request) sends nothing."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta
from typing import Any

from aiogram.exceptions import AiogramError
from aiohttp import web

from bot.i18n import t
from bot.miniapp.context import ApiError, Caller, api, deps, json_body, plain
from bot.miniapp.shop_api import period_of
from bot.reports.delivery import send_export
from bot.reports.texts import nothing_in_period_text
from services.reports.service import ExportFormat

log = logging.getLogger(__name__)
KEY_RE = re.compile(r"[0-9a-f]{16,64}")
ONCE = timedelta(days=1)  # a key's slot: a repeat within this sends nothing
SLACK = timedelta(seconds=1)


def slot_name(user_id: int, key: str) -> str:
    return "app.export:" + hashlib.sha256(f"{user_id}:{key}".encode()).hexdigest()[:40]


def not_sent(locale: str) -> str:
    return t("The file could not be sent to the chat. Try again.", locale)


async def export(request: web.Request, caller: Caller) -> dict[str, Any]:
    """{"period" | "range", "format": "csv" | "xlsx", "goods": bool, "key"}."""
    d, locale = deps(request), caller.locale
    body = await json_body(request, locale)
    period = period_of(body.get("period", "today"), body.get("range", ""), caller, d.clock())
    fmt, key, goods = body.get("format"), body.get("key"), body.get("goods", False)
    if fmt not in {f.value for f in ExportFormat}:
        raise ApiError(400, t("This filter is not valid: {name}.", locale, name="format"))
    if not isinstance(goods, bool):
        raise ApiError(400, t("This filter is not valid: {name}.", locale, name="goods"))
    if not (isinstance(key, str) and KEY_RE.fullmatch(key)):
        raise ApiError(400, t("This filter is not valid: {name}.", locale, name="key"))
    if d.bot is None:
        raise ApiError(503, not_sent(locale))
    now = d.clock()
    user = caller.member.user_id
    slot = await d.services.store.jobs.reserve_slot(slot_name(user, key), ONCE, now)
    if slot > now + SLACK:  # this tap's file is sent (or being sent) by its first request
        return {"sent": True, "repeated": True,
                "message": t("The file is sent to your chat with the bot.", locale)}  # fmt: skip
    try:
        count = await send_export(
            d.bot, user, d.services.reporting, caller.member, period, ExportFormat(fmt), locale,
            by_goods=goods,
        )  # fmt: skip
    except AiogramError as exc:
        log.warning("The Mini App's export to %s was not sent: %s", user, type(exc).__name__)
        raise ApiError(
            502, t("The file could not be sent to the chat. Try again.", locale)
        ) from None
    if not count:
        return {"sent": False, "repeated": False,
                "message": plain(nothing_in_period_text(period, locale))}  # fmt: skip
    return {"sent": True, "repeated": False, "count": count,
            "message": t("The file is sent to your chat with the bot.", locale)}  # fmt: skip


def add_routes(app: web.Application) -> None:
    app.router.add_post("/app/api/reports/export", api(export))
