"""Users' languages."""

from __future__ import annotations

from storage.postgres.engine import PostgresEngine


class PostgresUsers:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def language(self, user_id: int) -> str | None:
        sql = "SELECT COALESCE(language, telegram_language) FROM users WHERE user_id = $1"
        value: str | None = await self._db.value(sql, user_id)
        return value

    async def chosen_language(self, user_id: int) -> str | None:
        value: str | None = await self._db.value(
            "SELECT language FROM users WHERE user_id = $1", user_id
        )
        return value

    async def set_language(self, user_id: int, language: str) -> None:
        await self._db.execute(
            "INSERT INTO users (user_id, language) VALUES ($1, $2) "
            "ON CONFLICT (user_id) DO UPDATE SET language = EXCLUDED.language",
            user_id,
            language,
        )

    async def set_telegram_language(self, user_id: int, language: str) -> None:
        await self._db.execute(
            "INSERT INTO users (user_id, telegram_language) VALUES ($1, $2) "
            "ON CONFLICT (user_id) DO UPDATE SET telegram_language = EXCLUDED.telegram_language",
            user_id,
            language,
        )
