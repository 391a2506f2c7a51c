"""aiogram dialog state and data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from storage.sqlite.engine import SqliteEngine


class SqliteDialogs:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def get_state(self, key: str) -> str | None:
        # ordered: a chat's next update sees what the previous one wrote
        row = await self._db.one("SELECT state FROM dialogs WHERE key = ?", (key,), ordered=True)
        return row["state"] if row else None

    async def set_state(self, key: str, state: str | None) -> None:
        await self._db.execute(
            "INSERT INTO dialogs (key, state) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET state = excluded.state",
            (key, state),
        )

    async def get_data(self, key: str) -> dict[str, Any]:
        row = await self._db.one("SELECT data FROM dialogs WHERE key = ?", (key,), ordered=True)
        return dict(json.loads(row["data"])) if row else {}

    async def set_data(self, key: str, data: Mapping[str, Any]) -> None:
        await self._db.execute(
            "INSERT INTO dialogs (key, data) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET data = excluded.data",
            (key, json.dumps(dict(data))),
        )
