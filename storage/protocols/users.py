from __future__ import annotations

from typing import Protocol

from storage.models.shops import Member


class UserRepository(Protocol):
    """Per-user preferences (any Telegram user, member of a shop or not)."""

    async def language(self, user_id: int) -> str | None:
        """The language chosen with /lang, else the one Telegram last reported, else None."""
        ...

    async def chosen_language(self, user_id: int) -> str | None:
        """Only the language chosen with /lang."""
        ...

    async def member_and_language(self, user_id: int) -> tuple[Member | None, str | None]:
        """Who is talking, in one read: their shop membership (None: a stranger) and the
        language chosen with /lang (None: never chosen)."""
        ...

    async def set_language(self, user_id: int, language: str) -> None: ...

    async def set_telegram_language(self, user_id: int, language: str) -> None: ...
