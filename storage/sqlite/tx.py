"""What a write operation is made of: statement lists, calls into trigger-backed views, and
the transaction as a function operation sees it; SQLite's errors as the store's."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.models.common import IntegrityViolation

Params = Sequence[Any]


@dataclass(frozen=True)
class Stmt:
    """One statement of a statement list; `rows`: its result is the rows it returns (a
    SELECT or RETURNING), else the number of rows it changed."""

    sql: str
    params: Params = ()
    rows: bool = False


@dataclass(frozen=True)
class Call:
    """One row INSERTed into a view whose INSTEAD OF trigger does the work (a TEMP trigger
    set up on the writer connection). Calls with the same `sql` that are next to each other
    in a batch go to the thread as one executemany, run in order. The engine puts a request
    number first in each row, counting from 0; the trigger records each request's outcome in
    a table (emptying it when the request number is 0) that `results` reads: rows with a
    `request` column, none for a request without an outcome. The operation's result is its
    row, or None."""

    sql: str
    params: Params
    results: str


class Tx:
    """The writer connection inside a batch's transaction, as a function operation sees it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; the new row's id."""
        cursor = await self._conn.execute(sql, params)
        row_id = cursor.lastrowid
        assert row_id is not None
        return row_id

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)

    async def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    async def run(self, stmt: Stmt) -> Any:
        if stmt.rows:
            return await self.all(stmt.sql, stmt.params)
        return await self.execute(stmt.sql, stmt.params)


def translated(exc: Exception) -> Exception:
    if isinstance(exc, sqlite3.IntegrityError):
        violation = IntegrityViolation(str(exc))
        violation.__cause__ = exc
        return violation
    return exc


def split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
