"""The PostgreSQL engine: an asyncpg pool, used through asyncpg's public API only.

Every statement goes through the pool, where asyncpg prepares it once per connection and
keeps it in the connection's statement cache. Operations of several statements run in one
transaction at READ COMMITTED; what must not race takes row locks (`FOR UPDATE`, `SKIP
LOCKED`), compare-and-set UPDATEs or transaction-scoped advisory locks, never SERIALIZABLE.
A deadlock PostgreSQL breaks (rare: only when two operations lock the same rows in another
order) is retried, since the operation it aborted was rolled back whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.lookups import GroupedLookups
from storage.models.common import IntegrityViolation
from storage.rows import Codec

T = TypeVar("T")
Row = asyncpg.Record


def _aware(moment: datetime) -> datetime:
    return moment  # asyncpg reads a timestamptz as an aware UTC datetime already


CODEC = Codec(moment=_aware)

CONNECT_TIMEOUT = 10.0  # seconds to reach the server when the store opens
COMMAND_TIMEOUT = 60.0  # seconds one statement may take
CLOSE_TIMEOUT = 10.0  # seconds close() waits for operations in flight
DEADLOCK_ATTEMPTS = 3


class DatabaseUnavailable(Exception):
    """The database named by DATABASE_URL cannot be used; the message is one line for a
    person (to follow "Cannot start with DATABASE_URL: ") and names the host and the
    database, never the password."""


def describe_url(url: str) -> str:
    """`host:port/database` of a PostgreSQL URL, for messages: never its user or password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or parse_qs(parts.query).get("host", ["local socket"])[0]
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(a malformed DATABASE_URL)"
    database = parts.path.lstrip("/") or "(default database)"
    return f"{host}{port}/{database}"


def _changed(status: str) -> int:
    """Rows a command changed, from its status ("UPDATE 3", "INSERT 0 1", "DELETE 0")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class Tx:
    """One pool connection inside an operation's transaction, as the operation sees it."""

    def __init__(self, conn: PoolConnectionProxy[Row]) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; the number of rows it changed."""
        return _changed(await self._conn.execute(sql, *args))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def all(self, sql: str, *args: Any) -> list[Row]:
        return await self._conn.fetch(sql, *args)

    async def one(self, sql: str, *args: Any) -> Row | None:
        return await self._conn.fetchrow(sql, *args)

    async def value(self, sql: str, *args: Any) -> Any:
        return await self._conn.fetchval(sql, *args)

    async def script(self, sql: str) -> None:
        """Several statements without parameters (a migration step)."""
        await self._conn.execute(sql)


class PostgresEngine:
    def __init__(self, pool: asyncpg.Pool[Row], where: str, url: str) -> None:
        self._pool = pool
        self._url = url  # a secret: only for connections of our own (dedicated_connection)
        self.where = where  # host:port/database, for messages
        self._lookups = GroupedLookups(self._fetch_keys, lambda row: row["key"])

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> PostgresEngine:
        """A pool on the database at `url`; DatabaseUnavailable when it cannot be reached
        or refuses us, said in one line naming the host and database only."""
        where = describe_url(url)
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                timeout=CONNECT_TIMEOUT,
                command_timeout=COMMAND_TIMEOUT,
            )
        except asyncpg.PostgresError as exc:  # the server's words: no password in them
            raise DatabaseUnavailable(f"PostgreSQL at {where} refused us: {exc}") from None
        except TimeoutError:
            raise DatabaseUnavailable(
                f"PostgreSQL at {where} did not answer in {CONNECT_TIMEOUT:.0f} s"
            ) from None
        except OSError as exc:  # the addresses tried, never the password
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise DatabaseUnavailable(f"cannot reach PostgreSQL at {where}: {reason}") from None
        except (ValueError, asyncpg.InterfaceError):  # its text may quote the URL: not shown
            raise DatabaseUnavailable(
                "the URL is malformed: use postgresql://user:password@host:5432/database"
            ) from None
        return cls(pool, where, url)

    async def dedicated_connection(self) -> asyncpg.Connection[Row]:
        """A new connection outside the pool, for a session-level state such as an
        advisory lock held for a process's lifetime; the caller closes it."""
        return await asyncpg.connect(
            self._url, timeout=CONNECT_TIMEOUT, command_timeout=COMMAND_TIMEOUT
        )

    async def close(self) -> None:
        """Wait for operations in flight (up to CLOSE_TIMEOUT), then close every connection."""
        try:
            await asyncio.wait_for(self._pool.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            self._pool.terminate()

    # single statements: each is atomic by itself

    async def execute(self, sql: str, *args: Any) -> int:
        """One statement; the number of rows it changed."""
        try:
            return _changed(await self._pool.execute(sql, *args))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityViolation(str(exc)) from exc

    async def all(self, sql: str, *args: Any) -> list[Row]:
        try:
            return await self._pool.fetch(sql, *args)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityViolation(str(exc)) from exc

    async def one(self, sql: str, *args: Any) -> Row | None:
        try:
            return await self._pool.fetchrow(sql, *args)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityViolation(str(exc)) from exc

    async def value(self, sql: str, *args: Any) -> Any:
        try:
            return await self._pool.fetchval(sql, *args)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityViolation(str(exc)) from exc

    async def one_by_key(self, sql: str, key: Any) -> Row | None:
        """The row whose unique column `key` is, read together with other lookups (see
        storage/lookups.py): `sql` takes the keys as $1 (an array) and returns that column
        as `key`, e.g. `SELECT *, order_id AS key FROM receipts WHERE order_id =
        ANY($1::text[])`."""
        return await self._lookups.one(sql, key)

    async def _fetch_keys(self, sql: str, keys: Sequence[Any]) -> list[Row]:
        return await self.all(sql, list(keys))

    # several statements: one transaction

    async def transaction(self, op: Callable[[Tx], Awaitable[T]]) -> T:
        """Run `op` in one READ COMMITTED transaction: all its statements take effect, or
        (it raised) none. Rerun when PostgreSQL broke a deadlock by aborting it."""
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            try:
                async with (
                    self._pool.acquire() as conn,
                    conn.transaction(isolation="read_committed"),
                ):
                    return await op(Tx(conn))
            except asyncpg.DeadlockDetectedError:
                if attempt == DEADLOCK_ATTEMPTS:
                    raise
                await asyncio.sleep(0.01 * attempt)
            except asyncpg.IntegrityConstraintViolationError as exc:
                raise IntegrityViolation(str(exc)) from exc
        raise AssertionError("unreachable")

    async def advisory_transaction(
        self, key: tuple[int, int], op: Callable[[Tx], Awaitable[T]]
    ) -> T:
        """`transaction`, holding the advisory lock `key` for it: callers with the same key
        (in any process on this database) run one after another."""

        async def locked(tx: Tx) -> T:
            await tx.execute("SELECT pg_advisory_xact_lock($1, $2)", *key)
            return await op(tx)

        return await self.transaction(locked)
