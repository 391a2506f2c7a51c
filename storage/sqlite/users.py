"""Users' languages."""

from __future__ import annotations

from storage.models.shops import Member
from storage.rows import member_from
from storage.sqlite.engine import SqliteEngine

_MEMBER_AND_LANGUAGE = (
    "SELECT m.shop_id, s.name AS shop_name, m.user_id, m.role, m.name, u.language AS chosen "
    "FROM (SELECT ? AS id) q "
    "LEFT JOIN members m ON m.user_id = q.id "
    "LEFT JOIN shops s ON s.id = m.shop_id "
    "LEFT JOIN users u ON u.user_id = q.id"
)


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

    async def member_and_language(self, user_id: int) -> tuple[Member | None, str | None]:
        row = await self._db.one(_MEMBER_AND_LANGUAGE, (user_id,))
        if row is None:  # the query always gives one row
            return None, None
        return (member_from(row) if row["shop_id"] is not None else None), row["chosen"]

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
