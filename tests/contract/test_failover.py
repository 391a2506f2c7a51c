"""Failover (services/jobs/failover.py) over two stores on one database, as two replicas: a
silent replica is judged dead only once its process is gone (its hold dropped), never while
it is merely slow; and a replica whose own heartbeat just came back judges nobody."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.jobs.failover import Heartbeat
from storage.models.jobs import NewJob
from storage.protocols.store import Store
from tests.conftest import FakeClock
from tests.contract.engines import Opener

LEASE = timedelta(seconds=60)
# Of this process's own heartbeats (real time; the store's clock is fake): a beat more than
# two periods after the last is a gap, after which it judges nobody for DEAD_AFTER.
PERIOD = timedelta(seconds=5)
DEAD_AFTER = timedelta(seconds=0.3)


def heartbeat(
    store: Store,
    replica: str,
    clock: FakeClock,
    woken: list[str],
    period: timedelta = PERIOD,
) -> Heartbeat:
    return Heartbeat(
        store, replica, clock, sole=False, wake=[lambda: woken.append(replica)],
        period=period, dead_after=DEAD_AFTER,
    )  # fmt: skip


async def test_a_replica_is_dead_when_silent_and_gone_not_when_slow(
    open_store: Opener, clock: FakeClock
) -> None:
    store_a, store_b = await open_store(), await open_store()
    woken: list[str] = []
    a, b = heartbeat(store_a, "host:1:aa", clock, woken), heartbeat(store_b, "host:2:bb", clock, [])
    b.wake = a.wake
    try:
        await a.start()
        await b.start()
        await store_a.jobs.enqueue([NewJob("notify", {})], clock())
        [job] = await store_a.jobs.claim(
            "notify", "host:1:aa:outbox", limit=1, lease=LEASE, now=clock()
        )
        await asyncio.sleep(0.35)
        clock.advance(seconds=20)  # A is silent (its event loop stalled, say): still alive
        assert await b.tick() == []
        kept = await store_b.jobs.get(job.id)
        assert kept is not None and kept.lease_owner == "host:1:aa:outbox"

        await store_a.close()  # A's process is gone: its session, and so its hold
        await asyncio.sleep(0.35)
        assert await b.tick() == ["host:1:aa"]
        freed = await store_b.jobs.get(job.id)
        assert freed is not None and freed.lease_owner is None
        assert woken == ["host:1:aa"]
    finally:
        await store_b.close()
        await store_a.close()


async def test_after_its_own_gap_a_replica_judges_nobody_at_once(
    open_store: Opener, clock: FakeClock
) -> None:
    """The database away for everyone: every heartbeat is late, the others' no more dead
    than ours. The survivor waits DEAD_AFTER of its own beats before judging."""
    store_a, store_b = await open_store(), await open_store()
    short = timedelta(seconds=0.5)
    a = heartbeat(store_a, "host:1:aa", clock, [])
    b = heartbeat(store_b, "host:2:bb", clock, [], period=short)
    try:
        await a.start()
        await b.start()
        await store_a.close()
        await asyncio.sleep(1.5)  # longer than two periods: a gap in B's own heartbeat
        clock.advance(seconds=20)
        assert await b.tick() == []  # it has just come back itself
        await asyncio.sleep(0.35)
        assert await b.tick() == ["host:1:aa"]
    finally:
        await store_b.close()
        await store_a.close()
