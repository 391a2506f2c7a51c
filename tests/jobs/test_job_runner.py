"""The job runner (services/jobs/runner.py) with a toy kind, on the real SQLite store."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.jobs.kinds import Finish, JobKind, Outcome, doubling_backoff
from services.jobs.replica import Replica
from services.jobs.runner import JobRunner
from storage.models.jobs import Job, JobState, NewJob
from storage.sqlite.store import SqliteStore
from tests.conftest import FakeClock

TOY = "toy"


async def the_job(store: SqliteStore) -> Job:
    [job] = await store.jobs.find(kind=TOY)
    return job


async def test_a_job_is_claimed_renewed_while_it_runs_and_finished(
    store: SqliteStore, clock: FakeClock
) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(job: Job) -> Outcome:
        started.set()
        await release.wait()
        return Finish()

    lease = timedelta(seconds=30)
    replica = Replica("host:1:aa")
    kind = JobKind(TOY, slow, lease, renew_every=0.02)
    runner = JobRunner(store.jobs, [kind], replica.worker_id("toys"), clock)
    await store.jobs.enqueue([NewJob(TOY)], clock())
    running = asyncio.create_task(runner.drain())
    await asyncio.wait_for(started.wait(), 3)
    claimed = await the_job(store)
    assert claimed.lease_owner == "host:1:aa:toys" and claimed.attempts == 1
    assert await store.jobs.leased_count(replica.worker_ids, clock()) == 1  # as /healthz sees it
    clock.advance(seconds=25)
    await asyncio.sleep(0.2)
    renewed = await the_job(store)
    assert renewed.lease_until == clock() + lease  # renewed from the new now
    assert await store.jobs.claim(TOY, "other", limit=1, lease=lease, now=clock()) == []
    release.set()
    assert await running is True
    done = await the_job(store)
    assert done.state is JobState.DONE and done.lease_owner is None
    assert await runner.drain() is False  # nothing due any more


async def test_a_failing_job_is_postponed_with_backoff(
    store: SqliteStore, clock: FakeClock
) -> None:
    async def failing(job: Job) -> Outcome:
        raise ConnectionError("the service is away")

    kind = JobKind(
        TOY, failing, timedelta(seconds=30), on_error=doubling_backoff(timedelta(hours=1))
    )
    runner = JobRunner(store.jobs, [kind], "worker-1", clock)
    await store.jobs.enqueue([NewJob(TOY)], clock())
    assert await runner.drain() is True
    first = await the_job(store)
    assert first.state is JobState.PENDING and first.lease_owner is None
    assert first.run_at == clock() + timedelta(seconds=2)  # 2^1 after the first attempt
    assert first.last_error == "ConnectionError"
    assert await runner.drain() is False  # not due before then
    clock.advance(seconds=2)
    assert await runner.drain() is True
    second = await the_job(store)
    assert second.attempts == 2 and second.run_at == clock() + timedelta(seconds=4)


async def test_a_lost_lease_stops_the_handler_and_leaves_the_job_to_its_new_holder(
    store: SqliteStore, clock: FakeClock
) -> None:
    started, stopped = asyncio.Event(), asyncio.Event()

    async def endless(job: Job) -> Outcome:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()
        return Finish()

    lease = timedelta(seconds=30)
    kind = JobKind(TOY, endless, lease, renew_every=0.3)
    runner = JobRunner(store.jobs, [kind], "worker-1", clock)
    await store.jobs.enqueue([NewJob(TOY)], clock())
    running = asyncio.create_task(runner.drain())
    await asyncio.wait_for(started.wait(), 3)
    clock.advance(seconds=31)  # its lease ran out (a stalled worker) and another took it
    assert len(await store.jobs.claim(TOY, "other", limit=1, lease=lease, now=clock())) == 1
    await asyncio.wait_for(running, 3)
    assert stopped.is_set()
    job = await the_job(store)
    assert job.state is JobState.PENDING and job.lease_owner == "other" and job.attempts == 2
