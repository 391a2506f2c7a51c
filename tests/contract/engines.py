"""The engines the contract suite runs against. To add one, write an `EngineFactory` and
put it in ENGINES: every contract test then runs on it too, unchanged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from storage.postgres.store import PostgresStore
from storage.protocols.store import Store
from storage.sqlite.store import SqliteStore

# Opens (again) one and the same database: a test may close a store and open it anew.
Opener = Callable[[], Awaitable[Store]]
# Given the test's request (to reach session fixtures such as a database server) and a
# fresh temporary folder, an opener of an empty database of its own.
EngineFactory = Callable[[pytest.FixtureRequest, Path], Awaitable[Opener]]
# The same database as the engine's opener, as storage.open.open_store's (database_path,
# database_url): for a test that opens it in another process.
StoreLocation = tuple[str, str | None]
Locator = Callable[[pytest.FixtureRequest, Path], StoreLocation]


def sqlite_location(request: pytest.FixtureRequest, tmp_path: Path) -> StoreLocation:
    return str(tmp_path / "contract" / "store.sqlite3"), None


def postgres_location(request: pytest.FixtureRequest, tmp_path: Path) -> StoreLocation:
    url: str = request.getfixturevalue("fresh_postgres_url")
    return "", url


async def sqlite_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    path, _ = sqlite_location(request, tmp_path)

    async def open_store() -> Store:
        return await SqliteStore.open(path)

    return open_store


async def postgres_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    # A database of its own on the session's real server (tests/servers.py): a server that
    # does not start fails the test, never skips it.
    _, url = postgres_location(request, tmp_path)
    assert url is not None

    async def open_store() -> Store:
        return await PostgresStore.open(url)

    return open_store


ENGINES: dict[str, EngineFactory] = {
    "sqlite": sqlite_engine,
    "postgres": postgres_engine,
}

LOCATIONS: dict[str, Locator] = {
    "sqlite": sqlite_location,
    "postgres": postgres_location,
}
