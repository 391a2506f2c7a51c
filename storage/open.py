"""Which engine to open: PostgreSQL when a database URL is given, else SQLite at a path."""

from __future__ import annotations

from pathlib import Path

from storage.postgres import DatabaseUnavailable, PostgresStore
from storage.protocols.store import Store
from storage.sqlite import SqliteStore

__all__ = ["DatabaseUnavailable", "open_store"]


async def open_store(database_path: Path | str, database_url: str | None = None) -> Store:
    """A migrated store: on PostgreSQL at `database_url` (postgresql:// or postgres://) when
    it is given, else on the SQLite file at `database_path`. DatabaseUnavailable, in one
    line naming the host and database only, when PostgreSQL cannot be used."""
    if database_url:
        return await PostgresStore.open(database_url)
    return await SqliteStore.open(database_path)
