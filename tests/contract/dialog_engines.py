"""The two dialog storages the bot can run on, built exactly as bot/app.py builds them:
SQLite (a real file) without REDIS_URL, Redis (a real server, tests/servers.py) with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage

from bot.dialog_storage import build_dialog_storage
from services.config import Settings
from storage.sqlite.store import SqliteStore

ENGINES = ("sqlite", "redis")


@dataclass
class DialogEngine:
    """Opens storages on one SQLite file or one Redis database, as replicas or restarts would."""

    name: str
    settings: Settings
    _stores: list[SqliteStore] = field(default_factory=list)
    _opened: list[tuple[BaseStorage, BaseEventIsolation]] = field(default_factory=list)

    async def open_pair(self) -> tuple[BaseStorage, BaseEventIsolation]:
        store = await SqliteStore.open(self.settings.database_path)
        self._stores.append(store)
        pair = build_dialog_storage(self.settings, store)
        self._opened.append(pair)
        return pair

    async def open(self) -> BaseStorage:
        return (await self.open_pair())[0]

    async def close(self, storage: BaseStorage) -> None:
        """Close one storage (and the SQLite connection under it), as a stopping process would."""
        for index, (opened, isolation) in enumerate(self._opened):
            if opened is storage:
                await opened.close()
                await isolation.close()
                await self._stores.pop(index).close()
                del self._opened[index]
                return
        raise AssertionError("not opened here")

    async def close_all(self) -> None:
        while self._opened:
            await self.close(self._opened[-1][0])


def engine_settings(name: str, db_path: Path, redis_url: str | None) -> Settings:
    return Settings(
        bot_token="42:TEST-token-abcdefghijklmnopqrstu",  # type: ignore[arg-type]
        database_path=db_path,
        redis_url=redis_url if name == "redis" else None,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(name="dialog_engine", params=ENGINES)
async def dialog_engine_fixture(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[DialogEngine]:
    redis_url = None
    if request.param == "redis":
        redis_url = request.getfixturevalue("fresh_redis_url")
    engine = DialogEngine(
        request.param, engine_settings(request.param, tmp_path / "data" / "bot.sqlite3", redis_url)
    )
    yield engine
    await engine.close_all()
