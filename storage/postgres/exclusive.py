"""Exclusive holds on PostgreSQL: a session-level advisory lock on a connection of its own.

`pg_try_advisory_lock` never waits; the lock lives as long as the session that took it, so
the server drops it when that connection closes, also when the process holding it dies
(SIGKILL included) and its socket is closed by the kernel. The connection is kept out of
the pool: a pooled connection would carry the lock to whichever operation got it next.
"""

from __future__ import annotations

import zlib

import asyncpg

HOLD_LOCK_CLASS = 0x4C697152  # ("LiqR") advisory lock class of exclusive holds


def hold_key(name: str) -> tuple[int, int]:
    return HOLD_LOCK_CLASS, zlib.crc32(name.encode()) & 0x7FFFFFFF


class AdvisoryHold:
    def __init__(self, conn: asyncpg.Connection[asyncpg.Record]) -> None:
        self._conn: asyncpg.Connection[asyncpg.Record] | None = conn

    @property
    def held(self) -> bool:
        """False once released, or once the session was lost (the server dropped the lock)."""
        return self._conn is not None and not self._conn.is_closed()

    async def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close(timeout=5)
            except Exception:  # closing a broken session: the server has dropped it anyway
                conn.terminate()


async def try_hold(conn: asyncpg.Connection[asyncpg.Record], name: str) -> AdvisoryHold | None:
    """The hold `name` on `conn` (a connection of its own, closed here when refused), or
    None while another session holds it."""
    try:
        taken = await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", *hold_key(name))
    except BaseException:
        conn.terminate()
        raise
    if not taken:
        await conn.close(timeout=5)
        return None
    return AdvisoryHold(conn)
