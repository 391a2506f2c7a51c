from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from storage.models.jobs import Job, JobState, NewJob


class JobQueue(Protocol):
    """Background work with leases, for every worker (outbox sender, status checks, ...).

    A job is due when state is PENDING, run_at <= now and it holds no live lease
    (lease_until is NULL or <= now: a killed worker's jobs are claimed again once their
    lease runs out). A grouped job is claimable only while it is the oldest (lowest id)
    PENDING job of its group and the group is not held (see `hold`): so at most one job of
    a group is in flight and a group's jobs go in order; a later job of a group waits
    behind an earlier one that is postponed. Finishing, postponing, giving up and releasing
    take the worker's id and change nothing (returning False) when the job's lease is not
    that worker's any more.

    Holds: `hold(name, until)` keeps the group `name` from being claimed before `until`,
    and is also the slot timeline `reserve_slot` hands out; group keys and slot names share
    one namespace, so callers prefix them (e.g. "chat:42", "telegram").
    """

    async def enqueue(self, jobs: Sequence[NewJob], now: datetime) -> int:
        """Insert the jobs (run_at None -> now) in one transaction, skipping any whose
        dedupe_key exists already; how many were inserted."""
        ...

    async def claim(
        self, kind: str, worker_id: str, *, limit: int, lease: timedelta, now: datetime
    ) -> list[Job]:
        """Up to `limit` due jobs of `kind`, leased to `worker_id` until now + lease: each
        gets lease_owner, lease_until, claimed_at = now and attempts + 1. Order: jobs never
        claimed before first, then the least recently claimed, then by id; the jobs come
        back in that order. Two concurrent claims never return the same job."""
        ...

    async def finish(
        self,
        job_id: int,
        worker_id: str,
        now: datetime,
        *,
        hold_group_until: datetime | None = None,
    ) -> bool:
        """Done: state DONE, finished_at = now, lease cleared. With `hold_group_until`, the
        job's group is also held until then (see `hold`), in the same transaction."""
        ...

    async def postpone(
        self, job_id: int, worker_id: str, *, until: datetime, error: str | None
    ) -> bool:
        """Again later: run_at = until, last_error = error (None clears it), lease cleared;
        still PENDING, so it keeps its place at the head of its group."""
        ...

    async def give_up(self, job_id: int, worker_id: str, *, error: str, now: datetime) -> bool:
        """Never again: state DEAD, last_error = error, finished_at = now, lease cleared."""
        ...

    async def release(self, job_id: int, worker_id: str) -> bool:
        """Claimed but not worked on: the lease is cleared so it is due again at once."""
        ...

    async def extend_lease(self, job_id: int, worker_id: str, until: datetime) -> bool:
        """Still working on it: the lease runs until `until`. False, and nothing written,
        when the job's lease is not that worker's any more (or it is finished)."""
        ...

    async def revive(self, dedupe_key: str, now: datetime) -> bool:
        """Make the job with that dedupe key due at `now` again: PENDING, run_at = now,
        finished_at cleared (a DONE or DEAD one too; its attempts and last_error stay).
        False, and nothing written, when there is no such job, it is leased now, or it is
        pending and due already."""
        ...

    async def get(self, job_id: int) -> Job | None: ...

    async def find(
        self,
        *,
        kind: str | None = None,
        receipt_id: int | None = None,
        state: JobState | None = None,
    ) -> list[Job]:
        """Jobs matching every filter given, by id."""
        ...

    async def hold(self, name: str, until: datetime) -> None:
        """Nothing of group (or slot) `name` before `until`; a later hold never shortens an
        earlier one."""
        ...

    async def reserve_slot(self, name: str, interval: timedelta, now: datetime) -> datetime:
        """Atomically take the next free moment of the slot timeline `name`: the later of
        `now` and the end of the last slot given out (or of a hold); the next caller gets a
        moment at least `interval` later. A rate limit shared by every replica."""
        ...

    async def pending_count(
        self, kind: str | None = None, *, due_at: datetime | None = None
    ) -> int:
        """Pending jobs (of one kind); with `due_at`, only those due then and not leased."""
        ...

    async def leased_count(self, worker_ids: Sequence[str], now: datetime) -> int:
        """Pending jobs whose lease, live at `now`, belongs to one of `worker_ids`."""
        ...
