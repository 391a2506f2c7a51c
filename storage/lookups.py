"""Lookups by a unique key, read together: while one burst of them is being read, the next
ones queue, and go to the database as one `... IN (...)` statement. Used by both engines
for the lookups the LiqPay callback makes on every request, so a flood of callbacks costs a
few queries instead of one each. Each lookup sees what the read it joins sees (the last
committed state), as a lookup of its own would."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

R = TypeVar("R")
CHUNK = 500  # keys in one statement, well inside both engines' parameter limits

# Reads the rows whose key is among `keys`, with the statement `sql` (as the caller wrote
# it), and gives each row's key.
Fetch = Callable[[str, Sequence[Any]], Awaitable[Sequence[R]]]


class GroupedLookups(Generic[R]):
    def __init__(self, fetch: Fetch[R], key_of: Callable[[R], Any]) -> None:
        self._fetch = fetch
        self._key_of = key_of
        self._queued: dict[str, dict[Any, asyncio.Future[R | None]]] = {}
        self._readers: dict[str, asyncio.Task[None]] = {}  # kept: the loop holds tasks weakly

    async def one(self, sql: str, key: Any) -> R | None:
        """The row of `key` read by `sql` (whose keys come as one parameter list), or None."""
        queued = self._queued.setdefault(sql, {})
        future = queued.get(key)
        if future is None:
            future = queued[key] = asyncio.get_running_loop().create_future()
            if sql not in self._readers:
                self._readers[sql] = asyncio.create_task(self._read(sql))
        return await asyncio.shield(future)

    async def _read(self, sql: str) -> None:
        waiting: dict[Any, asyncio.Future[R | None]] = {}
        try:
            while queued := self._queued.pop(sql, None):
                keys = list(queued)[:CHUNK]
                waiting = {key: queued.pop(key) for key in keys}
                if queued:  # the rest go first next time
                    self._queued[sql] = {**queued, **self._queued.get(sql, {})}
                try:
                    rows = await self._fetch(sql, keys)
                except Exception as exc:
                    for future in waiting.values():
                        if not future.done():
                            future.set_exception(exc)
                    continue
                found = {self._key_of(row): row for row in rows}
                for key, future in waiting.items():
                    if not future.done():
                        future.set_result(found.get(key))
        except BaseException as exc:  # cancelled: nobody may wait forever
            for future in [*waiting.values(), *self._queued.pop(sql, {}).values()]:
                if not future.done():
                    future.set_exception(exc)
            raise
        finally:
            self._readers.pop(sql, None)
