"""Who is talking: their shop membership and language, loaded once per update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.i18n import LANGUAGES, locale_for
from storage.interface import Store


class UserContextMiddleware(BaseMiddleware):
    """Puts `member` (or None) and `locale` into handler data."""

    def __init__(self, store: Store) -> None:
        self.store = store
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
            data["member"] = await self.store.get_member(user.id)
            reported = locale_for(user.language_code)
            if self._seen_languages.get(user.id) != reported:
                await self.store.set_telegram_language(user.id, reported)
                self._seen_languages[user.id] = reported
            chosen = await self.store.get_chosen_language(user.id)
            data["locale"] = chosen if chosen in LANGUAGES else reported
        return await handler(event, data)


class StoredLocaleMiddleware(I18nMiddleware):
    def __init__(self, i18n: I18n) -> None:
        super().__init__(i18n=i18n)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return str(data.get("locale") or self.i18n.default_locale)
