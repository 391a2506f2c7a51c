"""aiogram dialog state and data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from storage.postgres.engine import PostgresEngine


class PostgresDialogs:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def get_state(self, key: str) -> str | None:
        state: str | None = await self._db.value("SELECT state FROM dialogs WHERE key = $1", key)
        return state

    async def set_state(self, key: str, state: str | None) -> None:
        await self._db.execute(
            "INSERT INTO dialogs (key, state) VALUES ($1, $2) "
            "ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state",
            key,
            state,
        )

    async def get_data(self, key: str) -> dict[str, Any]:
        data = await self._db.value("SELECT data FROM dialogs WHERE key = $1", key)
        return dict(json.loads(data)) if data is not None else {}

    async def set_data(self, key: str, data: Mapping[str, Any]) -> None:
        await self._db.execute(
            "INSERT INTO dialogs (key, data) VALUES ($1, $2::jsonb) "
            "ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data",
            key,
            json.dumps(dict(data)),
        )
