"""The engines the contract suite runs against. To add one, write an `EngineFactory` and
put it in ENGINES: every contract test then runs on it too, unchanged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from storage.postgres import PostgresStore
from storage.protocols import Store
from storage.sqlite import SqliteStore

# Opens (again) one and the same database: a test may close a store and open it anew.
Opener = Callable[[], Awaitable[Store]]
# Given the test's request (to reach session fixtures such as a database server) and a
# fresh temporary folder, an opener of an empty database of its own.
EngineFactory = Callable[[pytest.FixtureRequest, Path], Awaitable[Opener]]


async def sqlite_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    path = tmp_path / "contract" / "store.sqlite3"

    async def open_store() -> Store:
        return await SqliteStore.open(path)

    return open_store


async def postgres_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    # A database of its own on the session's real server (tests/servers.py): a server that
    # does not start fails the test, never skips it.
    url: str = request.getfixturevalue("fresh_postgres_url")

    async def open_store() -> Store:
        return await PostgresStore.open(url)

    return open_store


ENGINES: dict[str, EngineFactory] = {
    "sqlite": sqlite_engine,
    "postgres": postgres_engine,
}
