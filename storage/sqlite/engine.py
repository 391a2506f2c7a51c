"""The SQLite engine: two aiosqlite connections, used through aiosqlite's public API only.

Writes go through one writer connection with group commit: operations that arrive while a
batch is running wait for the next one, and each batch runs its operations in order inside
one `BEGIN IMMEDIATE … COMMIT`. Nobody is answered before the COMMIT that makes their change
durable. Under load this turns a commit per operation into one per batch.

Every statement is a round trip to aiosqlite's thread, and the event loop is busy serving
requests meanwhile, so a batch costs what its round trips cost. Two kinds of operations keep
them few:

- a *statement list* (`batch`, `execute`, `returning`): fixed SQL, whose later statements
  decide on the earlier ones' outcome in SQL itself (`changes()`). They are queued all at
  once, together with those of the next statement lists, and awaited together;
- a *function* (`write`): Python between statements (read, decide, write), run alone.

The fast path has no savepoints. If anything in a batch fails, the whole batch is rolled
back and run again one operation at a time, each in its own savepoint, so only the failing
operation fails and the others commit.

Reads go through a second connection, in autocommit mode: in WAL mode each read sees the
last committed state, never a change not yet committed, and runs beside the write batches.
An `ordered` read first waits for the writes submitted before it (as if it had queued behind
them): dialog state, where one update of a chat must see what the previous one wrote even
while that write is still in its batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage.database_file import prepare_database_file
from storage.lookups import GroupedLookups
from storage.sqlite.batches import BatchRunner, Work
from storage.sqlite.tx import Call, Params, Stmt, Tx

T = TypeVar("T")
MAX_BATCH = 256
MEMORY = ":memory:"


class SqliteEngine:
    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection | None) -> None:
        self._writer = writer
        self._reader = reader  # None for an in-memory database: the writer reads too
        self._runner = BatchRunner(writer)
        self._queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._last_write: asyncio.Future[Any] | None = None  # batches commit in order
        self._lookups = GroupedLookups(self._fetch_keys, lambda row: row["key"])

    @classmethod
    async def open(cls, path: Path | str) -> SqliteEngine:
        memory = str(path) == MEMORY
        if not memory:
            prepare_database_file(Path(path))  # private: customers' contacts and amounts
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
            # Not a database, damaged, ...: aiosqlite's threads would keep the process alive.
            for conn in (reader, writer):
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            raise
        return cls(writer, reader)

    async def setup(self, statements: Sequence[str]) -> None:
        """Run statements on the writer connection alone (TEMP views and triggers)."""
        for statement in statements:
            await self._writer.execute(statement)

    async def close(self) -> None:
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)
        if self._reader is not None:
            await self._reader.close()
        await self._writer.close()

    # reads: the last committed state

    async def all(
        self, sql: str, params: Params = (), *, ordered: bool = False
    ) -> list[sqlite3.Row]:
        pending = self._last_write
        if ordered and pending is not None and not pending.done():
            await asyncio.wait([pending])
        if self._reader is None:
            [rows] = await self.batch([Stmt(sql, params, rows=True)])
            return list(rows)
        return list(await self._reader.execute_fetchall(sql, params))

    async def one(
        self, sql: str, params: Params = (), *, ordered: bool = False
    ) -> sqlite3.Row | None:
        rows = await self.all(sql, params, ordered=ordered)
        return rows[0] if rows else None

    async def one_by_key(self, sql: str, key: Any) -> sqlite3.Row | None:
        """The row whose unique column `key` is, read together with other lookups (see
        storage/lookups.py): `sql` has one `{keys}` where the keys go, and returns that
        column as `key`, e.g. `SELECT *, order_id AS key FROM receipts WHERE order_id IN
        ({keys})`. Like `one`, it sees the last committed state."""
        return await self._lookups.one(sql, key)

    async def _fetch_keys(self, sql: str, keys: Sequence[Any]) -> list[sqlite3.Row]:
        return await self.all(sql.format(keys=", ".join("?" for _ in keys)), keys)

    # writes: grouped into batches

    async def write(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """Run `fn` inside the next batch's transaction: all its statements take effect, or
        (it raised) none of them."""
        result: T = await self._submit(fn)
        return result

    async def batch(self, statements: Sequence[Stmt]) -> list[Any]:
        """Run the statements in order inside the next batch's transaction, all or none;
        each one's result (see Stmt). A later statement that depends on an earlier one's
        outcome says so in SQL (`changes()` is the row count of the one before it)."""
        results: list[Any] = await self._submit(tuple(statements))
        return results

    async def call(self, call: Call) -> sqlite3.Row | None:
        """Run a call (see Call) in the next batch; its outcome row, or None."""
        row: sqlite3.Row | None = await self._submit(call)
        return row

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in the next batch; the number of rows it changed."""
        [changed] = await self.batch([Stmt(sql, params)])
        return int(changed)

    async def returning(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """One write statement with a RETURNING clause in the next batch; its rows."""
        [rows] = await self.batch([Stmt(sql, params, rows=True)])
        return list(rows)

    async def _submit(self, work: Work) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        self._last_write = future
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            work = [w for w, _ in batch]
            try:
                results = await self._runner.run(work)
            except BaseException as exc:  # cancelled, or an operation escaped with one
                await self._runner.abandon()
                cancelled = isinstance(exc, asyncio.CancelledError)
                failed = batch + self._queue if cancelled else batch
                if cancelled:  # nobody may wait forever
                    self._queue = []
                for _, future in failed:
                    if not future.done():
                        future.set_exception(exc)
                if cancelled:
                    raise
                continue
            for (_, future), (ok, value) in zip(batch, results, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)


def _casefold(text: object) -> object:
    return text.casefold() if isinstance(text, str) else text


async def _connect(path: Path | str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        await conn.execute("PRAGMA busy_timeout=5000")
        # SQLite's own LIKE and lower() fold ASCII only: searches fold Cyrillic with this
        await conn.create_function("casefold", 1, _casefold, deterministic=True)
    except BaseException:
        await conn.close()
        raise
    return conn
