"""The SQLite engine of the store (the default: one process, one file)."""

from storage.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
