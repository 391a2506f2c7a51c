"""The last word on a failed update, after every router's own error handlers (the failures
its handlers all treat alike: `@router.errors(ExceptionTypeFilter(...), FromButton(...))`)."""

from __future__ import annotations

import contextlib
import logging

from aiogram.exceptions import AiogramError
from aiogram.types import ErrorEvent
from redis.exceptions import RedisError

from bot.i18n import t
from bot.middlewares import Ack
from bot.routers.plan import RouterPlan

log = logging.getLogger(__name__)

last_resort = RouterPlan("errors")


@last_resort.errors()
async def on_error(event: ErrorEvent, ack: Ack | None = None) -> None:
    """Log the failure; tell the person something went wrong, never show a traceback."""
    exc = event.exception
    sorry = t("Something went wrong on our side. Nothing was lost; please try again.")
    # A failed press. Answered early (before a slow call)? Then it is said in the chat, unless
    # Telegram itself failed: a chat message would fail too.
    if ack is not None and (not ack.done or not isinstance(exc, AiogramError)):
        with contextlib.suppress(Exception):
            await ack(sorry, alert=True)
    if "query is too old" in str(exc) or "message is not modified" in str(exc):
        return
    log.error("Update %s failed: %s", event.update.update_id, type(exc).__name__, exc_info=exc)
    if event.update.message is not None:
        with contextlib.suppress(Exception):
            await event.update.message.answer(sorry)
    elif event.update.callback_query is not None and isinstance(exc, RedisError):
        # Most likely the dialog storage failed before any handler, so no Ack answered the
        # press (had one, Telegram refuses this second answer).
        with contextlib.suppress(Exception):
            await event.update.callback_query.answer(sorry, show_alert=True)
