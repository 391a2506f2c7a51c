"""One batch of write operations as one transaction on the writer connection: the fast
path (statement lists and calls queued together, no savepoints) and, after a failure, one
savepoint per operation (see storage/sqlite/engine.py for how batches are gathered)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite

from storage.sqlite.tx import Call, Stmt, Tx, translated

Fn = Callable[[Tx], Awaitable[Any]]
Work = Fn | tuple[Stmt, ...] | Call  # a function, a statement list, or a call
Outcome = tuple[bool, Any]  # (True, the result) or (False, the exception)


class BatchFailed(Exception):
    """Something in the fast path failed: run the batch again, one savepoint each."""


class BatchRunner:
    def __init__(self, writer: aiosqlite.Connection) -> None:
        self.writer = writer
        self.tx = Tx(writer)

    async def run(self, work: list[Work]) -> list[Outcome]:
        """Each operation's outcome, by position; the fast path first, savepoints after a
        failure. Raises (the batch rolled back) only when everyone in it gets the error."""
        try:
            return await self.fast(work)
        except BatchFailed:
            return await self.one_by_one(work)

    async def begin(self) -> None:
        if self.writer.in_transaction:  # never build on a transaction something left open
            await self.writer.execute("ROLLBACK")
        await self.writer.execute("BEGIN IMMEDIATE")

    async def fast(self, work: list[Work]) -> list[Outcome]:
        """The whole batch without savepoints, statement lists queued together."""
        results: list[Outcome] = []
        queued: list[tuple[int, list[asyncio.Future[Any]], bool]] = []
        try:
            # Awaited on its own: a statement queued behind a BEGIN that failed (busy) would
            # run in autocommit mode, outside any transaction.
            await self.begin()
            position = 0
            while position < len(work):
                item = work[position]
                if isinstance(item, Call):
                    calls = [item]
                    while position + len(calls) < len(work):
                        following = work[position + len(calls)]
                        if not isinstance(following, Call) or following.sql != item.sql:
                            break
                        calls.append(following)
                    queued.append((len(results), self._queue_calls(calls), True))
                    results += [(True, None)] * len(calls)
                    position += len(calls)
                    continue
                position += 1
                if isinstance(item, tuple):
                    # Tasks start in creation order, so the thread runs these statements in
                    # this order, right after those queued before them.
                    futures: list[asyncio.Future[Any]] = [
                        asyncio.ensure_future(self.tx.run(stmt)) for stmt in item
                    ]
                    queued.append((len(results), futures, False))
                    results.append((True, None))
                    continue
                await self._collect(queued, results)
                results.append((True, await item(self.tx)))
            await self._collect(queued, results)
            await self.writer.execute("COMMIT")
        except Exception as exc:
            for _, futures, _ in queued:  # let the thread finish what was queued
                await asyncio.gather(*futures, return_exceptions=True)
            if not self.writer.in_transaction:
                # SQLite rolled the transaction back itself (disk full, I/O error): what was
                # queued after the failure may have run on its own, so running the batch
                # again could do it twice. Everyone in it gets the error instead.
                raise
            await self.abandon()
            raise BatchFailed from exc
        return results

    def _queue_calls(self, calls: list[Call]) -> list[asyncio.Future[Any]]:
        """The calls as one executemany, then their outcomes, then the clearing; the last
        future resolves to the operations' results, by position."""
        first = calls[0]
        rows = [(number, *call.params) for number, call in enumerate(calls)]
        sent = asyncio.ensure_future(self.writer.executemany(first.sql, rows))
        read = asyncio.ensure_future(self.tx.all(first.results))

        async def outcome() -> list[sqlite3.Row | None]:
            done = await asyncio.gather(sent, read, return_exceptions=True)
            for result in done:
                if isinstance(result, BaseException):
                    raise result
            by_request = {row["request"]: row for row in done[1]}  # type: ignore[union-attr]
            return [by_request.get(number) for number in range(len(calls))]

        return [asyncio.ensure_future(outcome())]

    @staticmethod
    async def _collect(
        queued: list[tuple[int, list[asyncio.Future[Any]], bool]],
        results: list[Outcome],
    ) -> None:
        """Wait for the statement lists and calls queued so far; raise if any failed. A
        statement list's result is its statements' results; calls' are their rows."""
        if not queued:
            return
        outcomes = await asyncio.gather(
            *(future for _, futures, _ in queued for future in futures), return_exceptions=True
        )
        position = 0
        for index, futures, spread in queued:
            mine = outcomes[position : position + len(futures)]
            position += len(futures)
            for outcome in mine:
                if isinstance(outcome, BaseException):
                    raise outcome
            if spread:  # calls: one future with all their rows
                rows: list[Any] = mine[0]  # type: ignore[assignment]
                for offset, row in enumerate(rows):
                    results[index + offset] = (True, row)
            else:
                results[index] = (True, list(mine))
        queued.clear()

    async def one_by_one(self, work: list[Work]) -> list[Outcome]:
        """After a failure: every operation in its own savepoint, so a failing one is
        rolled back alone and the others still commit."""
        conn = self.writer
        results: list[Outcome] = []
        try:
            await self.begin()
            for item in work:
                await conn.execute("SAVEPOINT op")
                try:
                    if isinstance(item, Call):
                        await self.tx.execute(item.sql, (0, *item.params))
                        found = await self.tx.all(item.results)
                        value: Any = found[0] if found else None
                    elif isinstance(item, tuple):
                        value = [await self.tx.run(stmt) for stmt in item]
                    else:
                        value = await item(self.tx)
                except Exception as exc:
                    await conn.execute("ROLLBACK TO op")
                    await conn.execute("RELEASE op")
                    results.append((False, translated(exc)))
                else:
                    await conn.execute("RELEASE op")
                    results.append((True, value))
            await conn.execute("COMMIT")
        except Exception as exc:
            await self.abandon()
            return [(False, translated(exc))] * len(work)
        return results

    async def abandon(self) -> None:
        """Roll back whatever a failed batch left open, if the connection still answers."""
        try:
            if self.writer.in_transaction:
                await self.writer.execute("ROLLBACK")
        except Exception:  # noqa: S110 (the batch's own error is what its callers get)
            pass
