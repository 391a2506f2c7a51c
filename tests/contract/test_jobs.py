"""Contract: the job queue with leases, groups, holds and rate slots."""

from __future__ import annotations

from datetime import timedelta

from storage.models import JobState, NewJob
from storage.protocols import Store
from tests.contract.helpers import T0, at

LEASE = timedelta(seconds=30)


async def claim_ids(
    store: Store, kind: str, now: float, worker: str = "w1", limit: int = 10
) -> list[int]:
    jobs = await store.jobs.claim(kind, worker, limit=limit, lease=LEASE, now=at(now))
    return [job.id for job in jobs]


async def enqueue(store: Store, *jobs: NewJob, now: float = 0) -> list[int]:
    await store.jobs.enqueue(jobs, at(now))
    return [job.id for job in await store.jobs.find()]


async def test_enqueue_runs_at_once_by_default_and_skips_known_dedupe_keys(store: Store) -> None:
    inserted = await store.jobs.enqueue(
        [
            NewJob("a", {"x": 1}, dedupe_key="one"),
            NewJob("a", run_at=at(60), group_key="g"),
            NewJob("a", {"dup": True}, dedupe_key="one"),
        ],
        at(1),
    )
    assert inserted == 2
    first, second = await store.jobs.find()
    assert (first.payload, first.run_at, first.created_at, first.dedupe_key) == (
        {"x": 1},
        at(1),
        at(1),
        "one",
    )
    assert (first.state, first.attempts, first.lease_owner, first.claimed_at) == (
        JobState.PENDING,
        0,
        None,
        None,
    )
    assert (second.run_at, second.group_key, second.receipt_id) == (at(60), "g", None)
    assert await store.jobs.get(first.id) == first
    assert await store.jobs.get(404) is None
    assert await store.jobs.enqueue([], T0) == 0


async def test_a_dedupe_key_is_never_used_twice_whatever_the_state(store: Store) -> None:
    [job_id] = await enqueue(store, NewJob("a", dedupe_key="k"))
    await claim_ids(store, "a", 0)
    assert await store.jobs.finish(job_id, "w1", at(1))
    assert await store.jobs.enqueue([NewJob("a", dedupe_key="k")], at(2)) == 0
    assert await store.jobs.pending_count("a") == 0


async def test_claim_leases_due_jobs_never_claimed_first(store: Store) -> None:
    ids = await enqueue(store, NewJob("a"), NewJob("a"), NewJob("a"), NewJob("b"))
    assert await claim_ids(store, "a", 0, limit=1) == [ids[0]]
    assert await store.jobs.release(ids[0], "w1")
    # ids[0] was claimed once: the never-claimed ones come first
    assert await claim_ids(store, "a", 1, limit=2) == [ids[1], ids[2]]
    [job] = await store.jobs.claim("a", "w2", limit=5, lease=LEASE, now=at(2))
    assert job.id == ids[0]
    assert (job.lease_owner, job.lease_until, job.claimed_at, job.attempts) == (
        "w2",
        at(2) + LEASE,
        at(2),
        2,
    )
    assert job.leased(at(2)) and not job.leased(at(32))
    assert await claim_ids(store, "a", 3) == []
    assert await claim_ids(store, "b", 3) == [ids[3]]


async def test_least_recently_claimed_first_among_claimed_ones(store: Store) -> None:
    ids = await enqueue(store, NewJob("a"), NewJob("a"))
    await claim_ids(store, "a", 0, limit=1)  # ids[0] at 0
    await claim_ids(store, "a", 1, limit=1)  # ids[1] at 1
    assert await store.jobs.release(ids[1], "w1")
    assert await store.jobs.release(ids[0], "w1")
    assert await claim_ids(store, "a", 2) == [ids[0], ids[1]]


async def test_not_due_before_run_at_and_while_leased(store: Store) -> None:
    [later] = await enqueue(store, NewJob("a", run_at=at(60)))
    assert await claim_ids(store, "a", 59) == []
    assert await claim_ids(store, "a", 60) == [later]
    assert await claim_ids(store, "a", 61, worker="w2") == []
    # the lease runs out (a killed worker): claimed again, by someone else
    assert await claim_ids(store, "a", 90, worker="w2") == [later]
    job = await store.jobs.get(later)
    assert job is not None and job.attempts == 2 and job.lease_owner == "w2"


async def test_only_the_leaseholder_finishes_postpones_gives_up_or_releases(store: Store) -> None:
    [job_id] = await enqueue(store, NewJob("a"))
    await claim_ids(store, "a", 0, worker="w1")
    await claim_ids(store, "a", 31, worker="w2")  # w1's lease ran out
    assert not await store.jobs.finish(job_id, "w1", at(32))
    assert not await store.jobs.postpone(job_id, "w1", until=at(99), error="x")
    assert not await store.jobs.give_up(job_id, "w1", error="x", now=at(32))
    assert not await store.jobs.release(job_id, "w1")
    assert await store.jobs.finish(job_id, "w2", at(33))
    done = await store.jobs.get(job_id)
    assert done is not None
    assert (done.state, done.finished_at, done.lease_owner, done.lease_until) == (
        JobState.DONE,
        at(33),
        None,
        None,
    )
    assert not await store.jobs.finish(job_id, "w2", at(34))
    assert await store.jobs.pending_count() == 0


async def test_postpone_and_give_up(store: Store) -> None:
    first, second = await enqueue(store, NewJob("a"), NewJob("a"))
    await claim_ids(store, "a", 0)
    assert await store.jobs.postpone(first, "w1", until=at(100), error="busy")
    assert await store.jobs.give_up(second, "w1", error="broken", now=at(1))
    postponed = await store.jobs.get(first)
    assert postponed is not None
    assert (postponed.state, postponed.run_at, postponed.last_error) == (
        JobState.PENDING,
        at(100),
        "busy",
    )
    assert postponed.lease_owner is None and postponed.lease_until is None
    dead = await store.jobs.get(second)
    assert dead is not None
    assert (dead.state, dead.last_error, dead.finished_at) == (JobState.DEAD, "broken", at(1))
    assert await claim_ids(store, "a", 99) == []
    assert await claim_ids(store, "a", 100) == [first]
    assert await store.jobs.postpone(first, "w1", until=at(200), error=None)
    cleared = await store.jobs.get(first)
    assert cleared is not None and cleared.last_error is None


async def test_a_group_goes_one_at_a_time_in_order(store: Store) -> None:
    g1, g2, solo, other = await enqueue(
        store,
        NewJob("n", group_key="chat:1"),
        NewJob("n", group_key="chat:1"),
        NewJob("n"),
        NewJob("n", group_key="chat:2"),
    )
    assert await claim_ids(store, "n", 0) == [g1, solo, other]
    assert await claim_ids(store, "n", 1, worker="w2") == []  # g2 waits behind g1 in flight
    assert await store.jobs.finish(g1, "w1", at(2))
    assert await claim_ids(store, "n", 3, worker="w2") == [g2]


async def test_a_postponed_head_holds_up_its_group(store: Store) -> None:
    head, follower = await enqueue(
        store, NewJob("n", group_key="chat:1"), NewJob("n", group_key="chat:1")
    )
    await claim_ids(store, "n", 0)
    assert await store.jobs.postpone(head, "w1", until=at(60), error="429")
    assert await claim_ids(store, "n", 30) == []
    assert await claim_ids(store, "n", 60) == [head]
    assert await store.jobs.give_up(head, "w1", error="gone", now=at(61))
    assert await claim_ids(store, "n", 62) == [follower]


async def test_a_group_head_of_another_kind_holds_up_the_group(store: Store) -> None:
    await enqueue(store, NewJob("x", group_key="g"), NewJob("y", group_key="g"))
    assert await claim_ids(store, "y", 0) == []


async def test_holds_keep_a_group_back_and_never_shorten(store: Store) -> None:
    a, b, c = await enqueue(
        store,
        NewJob("n", group_key="chat:1"),
        NewJob("n", group_key="chat:1"),
        NewJob("n", group_key="chat:1"),
    )
    await store.jobs.hold("chat:1", at(10))
    await store.jobs.hold("chat:1", at(5))  # a later, shorter hold changes nothing
    assert await claim_ids(store, "n", 9) == []
    assert await claim_ids(store, "n", 10) == [a]
    assert await store.jobs.finish(a, "w1", at(11), hold_group_until=at(20))
    assert await claim_ids(store, "n", 19) == []
    assert await claim_ids(store, "n", 20) == [b]
    assert await store.jobs.finish(b, "w1", at(21))
    assert await claim_ids(store, "n", 21) == [c]


async def test_finish_hold_of_an_ungrouped_job_holds_nothing(store: Store) -> None:
    a, b = await enqueue(store, NewJob("n"), NewJob("n", run_at=at(5)))
    await claim_ids(store, "n", 0)
    assert await store.jobs.finish(a, "w1", at(1), hold_group_until=at(100))
    assert await claim_ids(store, "n", 5) == [b]


async def test_reserve_slot_hands_out_moments_an_interval_apart(store: Store) -> None:
    step = timedelta(milliseconds=500)
    assert await store.jobs.reserve_slot("telegram", step, at(0)) == at(0)
    assert await store.jobs.reserve_slot("telegram", step, at(0)) == at(0.5)
    assert await store.jobs.reserve_slot("telegram", step, at(0.2)) == at(1)
    assert await store.jobs.reserve_slot("other", step, at(0.2)) == at(0.2)
    assert await store.jobs.reserve_slot("telegram", step, at(10)) == at(10)
    await store.jobs.hold("telegram", at(20))
    assert await store.jobs.reserve_slot("telegram", step, at(11)) == at(20)
    assert await store.jobs.reserve_slot("telegram", step, at(11)) == at(20.5)


async def test_a_slot_timeline_also_holds_its_group(store: Store) -> None:
    [job] = await enqueue(store, NewJob("n", group_key="chat:9"))
    await store.jobs.reserve_slot("chat:9", timedelta(seconds=1), at(0))
    assert await claim_ids(store, "n", 0.5) == []
    assert await claim_ids(store, "n", 1) == [job]


async def test_find_and_pending_count(store: Store) -> None:
    a, b, c = await enqueue(store, NewJob("a"), NewJob("a"), NewJob("b"))
    await claim_ids(store, "a", 0, limit=1)
    assert await store.jobs.finish(a, "w1", at(1))
    assert [j.id for j in await store.jobs.find(kind="a")] == [a, b]
    assert [j.id for j in await store.jobs.find(state=JobState.PENDING)] == [b, c]
    assert [j.id for j in await store.jobs.find(kind="a", state=JobState.DONE)] == [a]
    assert await store.jobs.find(kind="zzz") == []
    assert await store.jobs.pending_count() == 2
    assert await store.jobs.pending_count("a") == 1
    assert await store.jobs.pending_count("zzz") == 0
