"""Contract: the job queue — leases, reclaiming, concurrent claims, per-group order, holds,
rate slots, dedupe, and the outcomes of a job."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.models.common import IntegrityViolation
from storage.models.jobs import JobState, NewJob
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import make_draft

LEASE = timedelta(seconds=30)


def chat_job(chat: int, n: int) -> NewJob:
    return NewJob("notify", {"chat_id": chat, "n": n}, group_key=f"chat:{chat}")


async def claim(store: Store, clock: FakeClock, worker: str = "w1", limit: int = 10) -> list[int]:
    jobs = await store.jobs.claim("notify", worker, limit=limit, lease=LEASE, now=clock())
    return [job.payload["n"] for job in jobs]


async def ids(store: Store, clock: FakeClock, worker: str = "w1", limit: int = 10) -> list[int]:
    jobs = await store.jobs.claim("notify", worker, limit=limit, lease=LEASE, now=clock())
    return [job.id for job in jobs]


async def test_claim_leases_due_jobs_of_its_kind(store: Store, clock: FakeClock) -> None:
    created = await store.jobs.enqueue(
        [
            NewJob("notify", {"n": 1}),
            NewJob("notify", {"n": 2}, run_at=clock() + timedelta(seconds=10)),
            NewJob("check", {"n": 3}),
        ],
        clock(),
    )
    assert created == 3
    [job] = await store.jobs.claim("notify", "w1", limit=10, lease=LEASE, now=clock())
    assert job.payload == {"n": 1}
    assert (job.kind, job.state, job.attempts) == ("notify", JobState.PENDING, 1)
    assert (job.lease_owner, job.lease_until, job.claimed_at) == ("w1", clock() + LEASE, clock())
    assert job.created_at == clock() and job.run_at == clock()
    assert job.leased(clock()) and not job.leased(clock() + LEASE)
    assert await store.jobs.get(job.id) == job
    assert await claim(store, clock, "w2") == []  # leased: nobody else gets it
    clock.advance(seconds=10)
    assert await claim(store, clock, "w2") == [2]  # now due; 1 is still leased


async def test_an_expired_lease_is_claimed_again(store: Store, clock: FakeClock) -> None:
    await store.jobs.enqueue([NewJob("notify", {"n": 1})], clock())
    [first] = await store.jobs.claim("notify", "killed", limit=1, lease=LEASE, now=clock())
    clock.advance(seconds=29)
    assert await claim(store, clock, "w2") == []
    clock.advance(seconds=1)  # the lease ran out: the worker died
    [again] = await store.jobs.claim("notify", "w2", limit=1, lease=LEASE, now=clock())
    assert again.id == first.id
    assert (again.lease_owner, again.attempts) == ("w2", 2)
    # the dead worker's late answer changes nothing
    assert await store.jobs.finish(first.id, "killed", clock()) is False
    assert await store.jobs.postpone(first.id, "killed", until=clock(), error="x") is False
    assert await store.jobs.give_up(first.id, "killed", error="x", now=clock()) is False
    assert await store.jobs.release(first.id, "killed") is False
    assert await store.jobs.finish(first.id, "w2", clock()) is True


async def test_two_concurrent_claimers_never_share_a_job(store: Store, clock: FakeClock) -> None:
    await store.jobs.enqueue([NewJob("notify", {"n": n}) for n in range(40)], clock())
    await store.jobs.enqueue([chat_job(7, n) for n in range(100, 105)], clock())
    results = await asyncio.gather(*(claim(store, clock, f"w{i}", limit=15) for i in range(4)))
    claimed = [n for batch in results for n in batch]
    assert len(claimed) == len(set(claimed)) == 41  # 40 ungrouped + the head of chat 7
    assert 100 in claimed and not set(claimed) & {101, 102, 103, 104}


async def test_claim_order_never_claimed_then_least_recently_claimed(
    store: Store, clock: FakeClock
) -> None:
    await store.jobs.enqueue([NewJob("notify", {"n": n}) for n in (1, 2, 3)], clock())
    jobs = await store.jobs.claim("notify", "w", limit=2, lease=LEASE, now=clock())
    assert [j.payload["n"] for j in jobs] == [1, 2]
    for job in reversed(jobs):  # 2 is given back first, so 1 was claimed... equally long ago
        await store.jobs.postpone(job.id, "w", until=clock(), error=None)
    clock.advance(seconds=1)
    [one] = await store.jobs.claim("notify", "w", limit=1, lease=LEASE, now=clock())
    assert one.payload["n"] == 3  # never claimed goes first
    await store.jobs.postpone(one.id, "w", until=clock(), error=None)
    [again] = await store.jobs.claim("notify", "w", limit=1, lease=LEASE, now=clock())
    await store.jobs.postpone(again.id, "w", until=clock(), error=None)
    assert again.payload["n"] == 1  # claimed longest ago (1 and 2 at once: by id)
    clock.advance(seconds=1)
    assert await claim(store, clock, limit=3) == [2, 1, 3]


async def test_a_group_goes_in_order_one_at_a_time(store: Store, clock: FakeClock) -> None:
    await store.jobs.enqueue([chat_job(100, 1), chat_job(200, 2)], clock())
    await store.jobs.enqueue([chat_job(100, 3), chat_job(200, 4)], clock())
    first = await store.jobs.claim("notify", "w", limit=10, lease=LEASE, now=clock())
    assert [j.payload["n"] for j in first] == [1, 2]  # each chat's oldest, one per chat
    assert await claim(store, clock, "w2") == []  # the heads are in flight
    for job in first:
        assert await store.jobs.finish(job.id, "w", clock())
    assert await claim(store, clock) == [3, 4]


async def test_a_postponed_head_holds_back_its_group_only(store: Store, clock: FakeClock) -> None:
    await store.jobs.enqueue([chat_job(100, 1), chat_job(200, 2)], clock())
    await store.jobs.enqueue([chat_job(100, 3), chat_job(200, 4)], clock())
    jobs = {
        j.payload["n"]: j
        for j in await store.jobs.claim("notify", "w", limit=10, lease=LEASE, now=clock())
    }
    until = clock() + timedelta(seconds=30)
    assert await store.jobs.postpone(jobs[1].id, "w", until=until, error="flood wait")
    assert await store.jobs.finish(jobs[2].id, "w", clock())
    # chat 100's later job waits behind its postponed head; chat 200 still flows
    [four] = await store.jobs.claim("notify", "w", limit=10, lease=LEASE, now=clock())
    assert four.payload["n"] == 4
    await store.jobs.finish(four.id, "w", clock())
    assert await claim(store, clock) == []
    clock.advance(seconds=30)
    [head] = await store.jobs.claim("notify", "w", limit=10, lease=LEASE, now=clock())
    assert (head.payload["n"], head.attempts, head.last_error, head.run_at) == (
        1,
        2,
        "flood wait",
        until,
    )


async def test_finished_and_dead_heads_unblock_their_group(store: Store, clock: FakeClock) -> None:
    await store.jobs.enqueue([chat_job(100, n) for n in (1, 2, 3)], clock())
    [a] = await store.jobs.claim("notify", "w", limit=10, lease=LEASE, now=clock())
    assert await store.jobs.finish(a.id, "w", clock())
    [b] = await store.jobs.claim("notify", "w", limit=10, lease=LEASE, now=clock())
    assert await store.jobs.give_up(b.id, "w", error="Forbidden: bot was blocked", now=clock())
    assert await claim(store, clock) == [3]
    done, dead = await store.jobs.get(a.id), await store.jobs.get(b.id)
    assert done is not None and dead is not None
    assert (done.state, done.finished_at, done.lease_owner) == (JobState.DONE, clock(), None)
    assert (dead.state, dead.last_error) == (JobState.DEAD, "Forbidden: bot was blocked")


async def test_one_groups_backlog_does_not_hold_up_another(store: Store, clock: FakeClock) -> None:
    await store.jobs.enqueue([chat_job(100, n) for n in range(150)], clock())
    await store.jobs.enqueue([chat_job(200, 1000)], clock())
    assert await claim(store, clock, limit=100) == [0, 1000]


async def test_release_gives_a_job_back_at_once(store: Store, clock: FakeClock) -> None:
    await store.jobs.enqueue([chat_job(100, 1), chat_job(100, 2)], clock())
    [job] = await store.jobs.claim("notify", "w", limit=10, lease=LEASE, now=clock())
    assert await store.jobs.release(job.id, "w") is True
    assert await claim(store, clock, "w2") == [1]  # still the head of its group


async def test_holds_keep_a_group_waiting(store: Store, clock: FakeClock) -> None:
    await store.jobs.enqueue([chat_job(100, 1), chat_job(100, 2), chat_job(200, 3)], clock())
    jobs = await store.jobs.claim("notify", "w", limit=10, lease=LEASE, now=clock())
    assert [j.payload["n"] for j in jobs] == [1, 3]
    second = clock() + timedelta(seconds=1)
    assert await store.jobs.finish(jobs[0].id, "w", clock(), hold_group_until=second)
    assert await store.jobs.finish(jobs[1].id, "w", clock())
    await store.jobs.enqueue([chat_job(200, 4)], clock())
    assert await claim(store, clock) == [4]  # chat 200 is not held
    await store.jobs.hold("chat:100", clock())  # a later hold never shortens an earlier one
    clock.advance(seconds=0.5)
    assert await claim(store, clock) == []
    clock.advance(seconds=0.5)
    assert await claim(store, clock) == [2]


async def test_rate_slots_are_spaced_and_pushed_back_by_holds(
    store: Store, clock: FakeClock
) -> None:
    step = timedelta(milliseconds=100)
    now = clock()
    slots = [await store.jobs.reserve_slot("telegram", step, now) for _ in range(3)]
    assert slots == [now, now + step, now + 2 * step]
    assert await store.jobs.reserve_slot("other", step, now) == now
    later = now + timedelta(seconds=5)
    assert await store.jobs.reserve_slot("telegram", step, later) == later  # idle: at once
    await store.jobs.hold("telegram", later + timedelta(seconds=3))
    assert await store.jobs.reserve_slot("telegram", step, later) == later + timedelta(seconds=3)
    together = await asyncio.gather(
        *(store.jobs.reserve_slot("burst", step, now) for _ in range(10))
    )
    assert sorted(together) == [now + n * step for n in range(10)]


async def test_a_dedupe_key_makes_a_job_once(store: Store, clock: FakeClock) -> None:
    job = NewJob("fiscal", {"receipt": 1}, dedupe_key="fiscal:1")
    assert await store.jobs.enqueue([job, job], clock()) == 1
    assert await store.jobs.enqueue([job], clock()) == 0
    [claimed] = await store.jobs.claim("fiscal", "w", limit=10, lease=LEASE, now=clock())
    await store.jobs.finish(claimed.id, "w", clock())
    assert await store.jobs.enqueue([job], clock()) == 0  # whatever the first one's state
    [only] = await store.jobs.find(kind="fiscal")
    assert only.dedupe_key == "fiscal:1" and only.state is JobState.DONE


async def test_postpone_reschedules_and_records_the_error(store: Store, clock: FakeClock) -> None:
    await store.jobs.enqueue([NewJob("notify", {"n": 1})], clock())
    [job] = await store.jobs.claim("notify", "w", limit=1, lease=LEASE, now=clock())
    until = clock() + timedelta(minutes=5)
    assert await store.jobs.postpone(job.id, "w", until=until, error="x" * 2000)
    later = await store.jobs.get(job.id)
    assert later is not None
    assert (later.run_at, later.lease_owner, later.lease_until) == (until, None, None)
    assert later.last_error is not None and 0 < len(later.last_error) <= 2000
    assert later.state is JobState.PENDING
    clock.advance(minutes=5)
    [again] = await store.jobs.claim("notify", "w", limit=1, lease=LEASE, now=clock())
    assert await store.jobs.postpone(again.id, "w", until=clock(), error=None)
    cleared = await store.jobs.get(job.id)
    assert cleared is not None and cleared.last_error is None


async def test_find_filters_and_pending_counts(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    draft = await make_draft(store, clock, shop.shop_id, jobs=(NewJob("check"),))
    await store.jobs.enqueue(
        [NewJob("notify", {"n": 1}, receipt_id=draft.id), NewJob("notify", {"n": 2})], clock()
    )
    await store.jobs.enqueue(
        [NewJob("notify", {"n": 3}, run_at=clock() + timedelta(hours=1))], clock()
    )
    assert [j.kind for j in await store.jobs.find(receipt_id=draft.id)] == ["check", "notify"]
    assert len(await store.jobs.find(kind="notify")) == 3
    assert await store.jobs.pending_count() == 4
    assert await store.jobs.pending_count("notify") == 3
    assert await store.jobs.pending_count(due_at=clock()) == 3
    [claimed] = await store.jobs.claim("check", "w", limit=1, lease=LEASE, now=clock())
    assert await store.jobs.pending_count(due_at=clock()) == 2  # leased: not backlog
    await store.jobs.finish(claimed.id, "w", clock())
    assert await store.jobs.find(state=JobState.DONE) == [await store.jobs.get(claimed.id)]
    assert (await store.health(clock())).jobs_pending == 2


async def test_a_job_needs_a_kind(store: Store, clock: FakeClock) -> None:
    with pytest.raises(IntegrityViolation):
        await store.jobs.enqueue([NewJob("notify"), NewJob("")], clock())
    assert await store.jobs.find() == []  # nothing of the batch was written


async def test_a_backlog_is_claimed_in_the_claim_order(store: Store, clock: FakeClock) -> None:
    # Enough due jobs that a claim reads them from the claim-order index instead of sorting.
    count = 1_200
    await store.jobs.enqueue([NewJob("notify", {"n": n}) for n in range(count)], clock())
    jobs = {job.payload["n"]: job for job in await store.jobs.find(kind="notify")}
    assert await claim(store, clock, limit=10) == list(range(10))
    clock.advance(seconds=1)
    for n in range(10):
        await store.jobs.release(jobs[n].id, "w1")
    assert await claim(store, clock, limit=10) == list(range(10, 20))  # never claimed first
    for n in range(10, 20):
        await store.jobs.release(jobs[n].id, "w1")
    clock.advance(seconds=1)
    # the never claimed, then the one claimed longest ago, then the other
    everything = [*range(20, count), *range(10), *range(10, 20)]
    assert await claim(store, clock, limit=count) == everything
    clock.advance(minutes=5)  # every lease ran out, all claimed at once: by id
    assert await claim(store, clock, limit=25) == list(range(25))


async def test_leased_count_counts_live_leases_of_the_given_workers(
    store: Store, clock: FakeClock
) -> None:
    await store.jobs.enqueue([NewJob("notify", {"n": n}) for n in range(5)], clock())
    await store.jobs.claim("notify", "replica-a:outbox", limit=2, lease=LEASE, now=clock())
    await store.jobs.claim("notify", "replica-b:outbox", limit=1, lease=LEASE, now=clock())
    mine = ["replica-a:outbox", "replica-a:reconciler"]
    assert await store.jobs.leased_count(mine, clock()) == 2
    assert await store.jobs.leased_count(["replica-b:outbox"], clock()) == 1
    assert await store.jobs.leased_count([], clock()) == 0
    job = next(j for j in await store.jobs.find(kind="notify") if j.lease_owner == mine[0])
    assert await store.jobs.finish(job.id, "replica-a:outbox", clock())
    assert await store.jobs.leased_count(mine, clock()) == 1
    clock.advance(seconds=LEASE.total_seconds() + 1)  # a lease run out is nobody's work
    assert await store.jobs.leased_count(mine, clock()) == 0
