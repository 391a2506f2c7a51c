"""The polling hold lost while the bot runs (PostgreSQL ended its session) is taken again;
if another process took it meanwhile, this one stops instead of polling beside it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from bot.app import POLLING_HOLD, watch_polling_hold
from bot.web import ReplicaState
from storage.postgres.exclusive import hold_key
from storage.postgres.store import PostgresStore


async def wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "not within the timeout"
        await asyncio.sleep(0.05)


async def end_the_holders_session(url: str) -> int:
    classid, objid = hold_key(POLLING_HOLD)
    admin = await asyncpg.connect(url)
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                "WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND granted",
                classid,
                objid,
            )
        )
    finally:
        await admin.close()


async def test_a_lost_polling_hold_is_taken_again(fresh_postgres_url: str) -> None:
    store = await PostgresStore.open(fresh_postgres_url)
    stop = asyncio.Event()
    try:
        first = await store.hold_exclusive(POLLING_HOLD)
        replica = ReplicaState(polling=first)
        watcher = asyncio.create_task(watch_polling_hold(store, replica, stop, every=0.05))
        assert await end_the_holders_session(fresh_postgres_url) == 1
        await wait_until(lambda: replica.polling is not first and replica.holds_polling)
        assert not stop.is_set()
        other = await PostgresStore.open(fresh_postgres_url)
        try:
            assert await other.hold_exclusive(POLLING_HOLD) is None  # ours again
        finally:
            await other.close()
        stop.set()
        await watcher
    finally:
        await store.close()


async def test_a_polling_hold_taken_over_by_another_process_stops_this_one(
    fresh_postgres_url: str,
) -> None:
    store = await PostgresStore.open(fresh_postgres_url)
    other = await PostgresStore.open(fresh_postgres_url)
    stop = asyncio.Event()
    try:
        replica = ReplicaState(polling=await store.hold_exclusive(POLLING_HOLD))
        watcher = asyncio.create_task(watch_polling_hold(store, replica, stop, every=2))
        assert await end_the_holders_session(fresh_postgres_url) == 1
        taken = None
        while taken is None:  # the other process is quicker than our watch
            taken = await other.hold_exclusive(POLLING_HOLD)
            await asyncio.sleep(0.02)
        await asyncio.wait_for(watcher, 30)
        assert stop.is_set() and not replica.holds_polling
    finally:
        await store.close()
        await other.close()
