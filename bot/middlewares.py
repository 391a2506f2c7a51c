"""Who is talking: their shop membership and language, loaded once per update (one read),
and the press's `Ack`."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import AiogramError
from aiogram.types import CallbackQuery, TelegramObject, Update, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.i18n import LANGUAGES, locale_for
from storage.protocols.users import UserRepository


class UserContextMiddleware(BaseMiddleware):
    """Puts `member` (or None) and `locale` into handler data."""

    def __init__(self, users: UserRepository) -> None:
        self.users = users
        self._seen_languages: dict[int, str] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        data["member"] = None
        data["locale"] = locale_for(None)
        if user is not None and not user.is_bot:
            data["member"], chosen = await self.users.member_and_language(user.id)
            reported = locale_for(user.language_code)
            if self._seen_languages.get(user.id) != reported:
                await self.users.set_telegram_language(user.id, reported)
                self._seen_languages[user.id] = reported
            data["locale"] = chosen if chosen in LANGUAGES else reported
        return await handler(event, data)


class StoredLocaleMiddleware(I18nMiddleware):
    def __init__(self, i18n: I18n) -> None:
        super().__init__(i18n=i18n)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        locale = data.get("locale")
        if not locale:  # an update that failed before UserContextMiddleware (the error handler)
            user: User | None = data.get("event_from_user")
            locale = locale_for(user.language_code if user else None)
        return str(locale or self.i18n.default_locale)


class Ack:
    """Answers a callback query exactly once: with a text when a handler has one to say,
    or silently after the handler. If Telegram no longer takes the answer (the query is
    too old), a text is sent as a chat message instead, so nothing is silently lost."""

    def __init__(self, callback: CallbackQuery) -> None:
        self.callback = callback
        self.done = False

    def __call__(self, text: str | None = None, alert: bool = False) -> Awaitable[None]:
        """The answer is taken when this is called, not when it is awaited: an answer started
        alongside the work (bot/routers/base.py, Alongside) is the one, and a later text goes
        to the chat."""
        if self.done:
            return self._say(text)
        self.done = True
        return self._answer(text, alert)

    async def _say(self, text: str | None) -> None:
        if text and self.callback.message is not None:
            await self.callback.message.answer(text)

    async def _answer(self, text: str | None, alert: bool) -> None:
        try:
            await self.callback.answer(text, show_alert=alert)
        except AiogramError:  # too old, or Telegram would not take it: say it in the chat
            if text and self.callback.message is not None:
                await self.callback.message.answer(text)


class AckMiddleware(BaseMiddleware):
    """Gives a button press its `Ack` for the whole update: its handler and, when that handler
    fails, the error handlers (bot/routers/errors.py) answer through the same one. An update's
    outer middleware, so the error handlers, which run outside the handler, get it too."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        callback = event.callback_query if isinstance(event, Update) else None
        if callback is None:
            return await handler(event, data)
        ack = data["ack"] = Ack(callback)
        result = await handler(event, data)
        if not ack.done:
            with contextlib.suppress(Exception):  # a late answer is not worth failing for
                await ack()
        return result
