"""The SQLite engine: two aiosqlite connections, used through aiosqlite's public API only.

Writes go through one writer connection with group commit: operations that arrive while a
batch is running wait for the next one, and each batch runs its operations one after
another inside one `BEGIN IMMEDIATE … COMMIT`, each multi-statement operation in its own
savepoint (so a failing one is rolled back alone). Nobody is answered before the COMMIT
that makes their change durable. Under load this turns a commit per operation into one per
batch.

Reads go through a second connection, in autocommit mode: in WAL mode each read sees the
last committed state, never a change not yet committed. A read first waits for the writes
submitted before it (as if it had queued behind them), so what one task wrote is what the
next one reads even while the write is still in its batch.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage.database_file import prepare_database_file
from storage.models import IntegrityViolation

T = TypeVar("T")
Params = Sequence[Any]
MAX_BATCH = 256
MEMORY = ":memory:"


class Tx:
    """The writer connection inside a batch's transaction, as an operation sees it."""

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


Op = Callable[[Tx], Awaitable[Any]]


class SqliteEngine:
    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection | None) -> None:
        self._writer = writer
        self._reader = reader  # None for an in-memory database: the writer reads too
        self._tx = Tx(writer)
        self._queue: list[tuple[Op, bool, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._last_write: asyncio.Future[Any] | None = None  # batches commit in order

    @classmethod
    async def open(cls, path: Path | str) -> SqliteEngine:
        memory = str(path) == MEMORY
        if not memory:
            prepare_database_file(Path(path))
        writer = await _connect(path)
        reader: aiosqlite.Connection | None = None
        try:
            await writer.execute("PRAGMA journal_mode=WAL")
            await writer.execute("PRAGMA synchronous=NORMAL")
            await writer.execute("PRAGMA foreign_keys=ON")
            if not memory:
                reader = await _connect(path)
                await reader.execute("PRAGMA query_only=ON")
        except BaseException:
            if reader is not None:
                await reader.close()
            await writer.close()
            raise
        return cls(writer, reader)

    async def close(self) -> None:
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)
        if self._reader is not None:
            await self._reader.close()
        await self._writer.close()

    # reads: the last committed state

    async def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        pending = self._last_write
        if pending is not None and not pending.done():
            await asyncio.wait([pending])
        if self._reader is None:
            rows: list[sqlite3.Row] = await self._submit(
                lambda tx: tx.all(sql, params), atomic=False
            )
            return rows
        return list(await self._reader.execute_fetchall(sql, params))

    async def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    # writes: grouped into batches

    async def write(self, op: Callable[[Tx], Awaitable[T]]) -> T:
        """Run `op` inside the next batch's transaction, in its own savepoint: all its
        statements take effect, or (it raised) none of them."""
        result: T = await self._submit(op, atomic=True)
        return result

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in the next batch (a statement is atomic by itself, so it
        needs no savepoint); the number of rows it changed."""
        changed: int = await self._submit(lambda tx: tx.execute(sql, params), atomic=False)
        return changed

    async def returning(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """One write statement with a RETURNING clause in the next batch; its rows."""
        rows: list[sqlite3.Row] = await self._submit(lambda tx: tx.all(sql, params), atomic=False)
        return rows

    async def _submit(self, op: Op, *, atomic: bool) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((op, atomic, future))
        self._last_write = future
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                results = await self._run_batch([(op, atomic) for op, atomic, _ in batch])
            except BaseException as exc:  # cancelled, or an operation escaped with one
                await self._abandon()
                cancelled = isinstance(exc, asyncio.CancelledError)
                failed = batch + self._queue if cancelled else batch
                if cancelled:  # nobody may wait forever
                    self._queue = []
                for _, _, future in failed:
                    if not future.done():
                        future.set_exception(exc)
                if cancelled:
                    raise
                continue
            for (_, _, future), (ok, value) in zip(batch, results, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def _run_batch(self, ops: list[tuple[Op, bool]]) -> list[tuple[bool, Any]]:
        conn = self._writer
        results: list[tuple[bool, Any]] = []
        try:
            if conn.in_transaction:  # never build on a transaction something left open
                await conn.execute("ROLLBACK")
            await conn.execute("BEGIN IMMEDIATE")
            for op, atomic in ops:
                if atomic:
                    await conn.execute("SAVEPOINT op")
                try:
                    value = await op(self._tx)
                except Exception as exc:
                    if atomic:
                        await conn.execute("ROLLBACK TO op")
                        await conn.execute("RELEASE op")
                    results.append((False, _translated(exc)))
                else:
                    if atomic:
                        await conn.execute("RELEASE op")
                    results.append((True, value))
            await conn.execute("COMMIT")
        except Exception as exc:
            await self._abandon()
            return [(False, _translated(exc))] * len(ops)
        return results

    async def _abandon(self) -> None:
        """Roll back whatever a failed batch left open, if the connection still answers."""
        try:
            if self._writer.in_transaction:
                await self._writer.execute("ROLLBACK")
        except Exception:  # noqa: S110 (the batch's own error is what its callers get)
            pass


async def _connect(path: Path | str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        await conn.execute("PRAGMA busy_timeout=5000")
    except BaseException:
        await conn.close()
        raise
    return conn


def _translated(exc: Exception) -> Exception:
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
