"""Users' languages."""

from __future__ import annotations

from storage.sqlite.engine import SqliteEngine


class SqliteUsers:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def language(self, user_id: int) -> str | None:
        sql = "SELECT COALESCE(language, telegram_language) FROM users WHERE user_id = ?"
        row = await self._db.one(sql, (user_id,))
        return row[0] if row else None

    async def chosen_language(self, user_id: int) -> str | None:
        row = await self._db.one("SELECT language FROM users WHERE user_id = ?", (user_id,))
        return row[0] if row else None

    async def set_language(self, user_id: int, language: str) -> None:
        await self._db.execute(
            "INSERT INTO users (user_id, language) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language",
            (user_id, language),
        )

    async def set_telegram_language(self, user_id: int, language: str) -> None:
        await self._db.execute(
            "INSERT INTO users (user_id, telegram_language) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET telegram_language = excluded.telegram_language",
            (user_id, language),
        )
