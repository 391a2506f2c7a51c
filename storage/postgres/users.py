"""Users' languages."""

from __future__ import annotations

from storage.models.shops import Member
from storage.postgres.engine import PostgresEngine
from storage.rows import member_from

_MEMBER_AND_LANGUAGE = (
    "SELECT m.shop_id, s.name AS shop_name, m.user_id, m.role, m.name, u.language AS chosen "
    "FROM (SELECT $1::bigint AS id) q "
    "LEFT JOIN members m ON m.user_id = q.id "
    "LEFT JOIN shops s ON s.id = m.shop_id "
    "LEFT JOIN users u ON u.user_id = q.id"
)


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

    async def member_and_language(self, user_id: int) -> tuple[Member | None, str | None]:
        row = await self._db.one(_MEMBER_AND_LANGUAGE, user_id)
        if row is None:  # the query always gives one row
            return None, None
        return (member_from(row) if row["shop_id"] is not None else None), row["chosen"]

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
