"""The engines the contract suite runs on: a registry of store factories by name.

A factory opens a new, empty, migrated store for one test; it may ask pytest for the
fixtures it needs (a temporary directory, a fresh PostgreSQL database). Every test in
tests/contract/ that takes the `store` fixture runs once per engine here; an engine whose
server cannot start fails its tests, it never skips them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from storage.postgres import PostgresStore
from storage.protocols import Store
from storage.sqlite import SqliteStore

StoreFactory = Callable[[pytest.FixtureRequest], Awaitable[Store]]


async def open_sqlite(request: pytest.FixtureRequest) -> Store:
    tmp_path = request.getfixturevalue("tmp_path")
    return await SqliteStore.open(tmp_path / "data" / "bot.sqlite3")


async def open_postgres(request: pytest.FixtureRequest) -> Store:
    url: str = request.getfixturevalue("fresh_postgres_url")
    return await PostgresStore.open(url)


ENGINES: dict[str, StoreFactory] = {
    "sqlite": open_sqlite,
    "postgres": open_postgres,
}
