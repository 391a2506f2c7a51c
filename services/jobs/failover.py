"""Failover: the leases of a process that died go to the living in seconds, not when they
run out (a notice's lease is a minute; an invoice's outlives LiqPay's slowest answer).

Every process is a replica with a heartbeat: its row in the store's replicas table, written
every HEARTBEAT. A lease names its holder (a job's lease_owner is "<replica>:<role>", an
issuing lease its replica), so a dead replica's leases are found and freed at once (the
recovery and the workers, woken, take them). A replica is dead when both:

- its heartbeat is older than DEAD_AFTER, and
- the proof that it is gone: its hold "replica:<id>" (Store.hold_exclusive, which the
  engine drops with the process's session) can be taken.

A live replica that is merely slow (a long LiqPay call, a stalled event loop) keeps its
hold, so its work is never taken from it and done twice. A replica judges others only after
its own heartbeat went through for DEAD_AFTER: when the database was away for everyone,
everyone's heartbeat is late, and none is judged for it.

On SQLite one process serves the database (its flock): every lease found at start belongs to
a process that is gone, and is freed before any work starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from services.core.clock import Clock
from storage.protocols.exclusive import ExclusiveHold
from storage.protocols.store import Store

log = logging.getLogger(__name__)

HEARTBEAT = timedelta(seconds=2)
DEAD_AFTER = 4 * HEARTBEAT  # silent this long (and its hold free): dead


def replica_hold(replica_id: str) -> str:
    return f"replica:{replica_id}"


class Heartbeat:
    def __init__(
        self,
        store: Store,
        replica_id: str,
        clock: Clock,
        *,
        sole: bool,
        wake: Sequence[Callable[[], None]] = (),
        period: timedelta = HEARTBEAT,
        dead_after: timedelta = DEAD_AFTER,
    ) -> None:
        self.store = store
        self.replicas = store.replicas
        self.id = replica_id
        self.clock = clock
        self.sole = sole
        self.wake = list(wake)  # told when leases were freed: who takes them over
        self.period = period
        self.dead_after = dead_after
        self._hold: ExclusiveHold | None = None
        self._beating_since: float | None = None  # monotonic: our heartbeats go through
        self._last_beat: float | None = None

    async def start(self) -> None:
        """Register this process; before any of its work starts (leases it takes name it)."""
        now = self.clock()
        await self.replicas.beat(self.id, now)
        if self.sole:
            freed = await self.replicas.free_all_but(self.id, now)
            if freed:
                log.warning("Took over %s leases of a process that stopped", freed)
                self._woken()
            return
        await self._keep_hold()
        self._beating_since = self._last_beat = time.monotonic()

    async def run(self, stop: asyncio.Event) -> None:
        if self.sole:
            return  # no other process to watch, nor to be watched by
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.period.total_seconds())
            if stop.is_set():
                return
            try:
                await self.tick()
            except Exception as exc:  # the database away: our heartbeat stops meanwhile
                log.warning("Heartbeat failed (%s); trying again", type(exc).__name__)
                self._beating_since = None

    async def tick(self) -> list[str]:
        """Beat, and free the leases of replicas found dead; their ids."""
        try:
            registered = await self.replicas.beat(self.id, self.clock())
        except Exception as exc:
            log.warning("Heartbeat not written (%s)", type(exc).__name__)
            self._beating_since = None
            return []
        beat = time.monotonic()
        gap = self._last_beat is None or beat - self._last_beat > 2 * self.period.total_seconds()
        if gap or self._beating_since is None:
            self._beating_since = beat  # others may have been kept from beating too
        self._last_beat = beat
        if not registered:
            log.error("This replica was taken for dead (its heartbeat stopped); going on")
        await self._keep_hold()
        if beat - self._beating_since < self.dead_after.total_seconds():
            return []
        return await self.free_dead()

    async def free_dead(self) -> list[str]:
        now = self.clock()
        seen_before = now - self.dead_after
        gone = [r for r in await self.replicas.silent(self.id, seen_before) if await self._gone(r)]
        if not gone:
            return []
        freed = await self.replicas.free_dead(gone, now, seen_before=seen_before)
        if freed:
            log.warning("Replicas %s stopped; their work is taken over", ", ".join(freed))
            self._woken()
        return freed

    async def _gone(self, replica_id: str) -> bool:
        """Its process is gone: its hold is free (taken, then let go at once)."""
        hold = await self.store.hold_exclusive(replica_hold(replica_id))
        if hold is None:
            log.warning("Replica %s is silent but alive (it keeps its hold)", replica_id)
            return False
        await hold.release()
        return True

    async def _keep_hold(self) -> None:
        """Our own hold, the proof we are alive: taken again if the engine lost it."""
        if self._hold is not None and self._hold.held:
            return
        self._hold = await self.store.hold_exclusive(replica_hold(self.id))
        if self._hold is None:  # someone is judging us this very moment
            log.warning("This replica's hold is taken; trying again at the next heartbeat")

    def _woken(self) -> None:
        for wake in self.wake:
            wake()
