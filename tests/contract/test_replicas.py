"""Contract: the replicas' heartbeats, and a dead replica's leases freed in one step — its
jobs' leases cleared (due again at once), its issuing leases ended (the recovery takes them
over); nothing of a live replica, or of one that beat meanwhile, is touched."""

from __future__ import annotations

from datetime import timedelta

from storage.models.jobs import NewJob
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import make_draft

DEAD_AFTER = timedelta(seconds=8)


async def test_a_beat_registers_and_says_whether_it_was_registered(
    store: Store, clock: FakeClock
) -> None:
    assert not await store.replicas.beat("host:1:aa", clock())  # new
    clock.advance(seconds=2)
    assert await store.replicas.beat("host:1:aa", clock())
    assert await store.replicas.silent("host:2:bb", clock() - DEAD_AFTER) == []
    clock.advance(seconds=9)
    assert await store.replicas.silent("host:2:bb", clock() - DEAD_AFTER) == ["host:1:aa"]
    assert await store.replicas.silent("host:1:aa", clock() - DEAD_AFTER) == []  # not itself


async def test_a_dead_replicas_leases_are_freed_and_only_its(
    store: Store, clock: FakeClock
) -> None:
    dead, alive = "host:1:aa", "host:2:bb"
    await store.replicas.beat(dead, clock())
    await store.replicas.beat(alive, clock())
    await store.jobs.enqueue([NewJob("notify", {"n": n}) for n in range(3)], clock())
    lease = timedelta(seconds=60)
    [mine] = await store.jobs.claim("notify", f"{dead}:outbox", limit=1, lease=lease, now=clock())
    [theirs] = await store.jobs.claim(
        "notify", f"{alive}:outbox", limit=1, lease=lease, now=clock()
    )
    # an id that begins like the dead one's is another replica's
    [other] = await store.jobs.claim("notify", f"{dead}x:outbox", limit=1, lease=lease, now=clock())
    shop = await make_owner(store, clock)
    drafts = [await make_draft(store, clock, shop.shop_id) for _ in range(3)]
    until = clock() + timedelta(seconds=30)
    for draft, holder in zip(drafts, (dead, alive, None), strict=True):
        assert await store.receipts.take_issue_lease(draft.id, clock(), until, holder)

    clock.advance(seconds=10)
    await store.replicas.beat(alive, clock())
    seen_before = clock() - DEAD_AFTER
    assert await store.replicas.silent(alive, seen_before) == [dead]
    assert await store.replicas.free_dead([dead], clock(), seen_before=seen_before) == [dead]
    assert await store.replicas.free_dead([dead], clock(), seen_before=seen_before) == []

    freed = await store.jobs.get(mine.id)
    assert freed is not None and freed.lease_owner is None and freed.lease_until is None
    assert not await store.jobs.extend_lease(mine.id, f"{dead}:outbox", clock() + lease)
    for kept in (theirs, other):
        job = await store.jobs.get(kept.id)
        assert job is not None and job.lease_owner == kept.lease_owner
    [due] = await store.jobs.claim("notify", f"{alive}:outbox", limit=5, lease=lease, now=clock())
    assert due.id == mine.id  # due again at once
    ended, live, nobodys = [await store.receipts.get(d.id) for d in drafts]
    assert ended is not None and ended.issuing_until == clock()
    assert not await store.receipts.move_issue_lease(ended.id, until, until)  # the dead lost it
    assert await store.receipts.move_issue_lease(ended.id, clock(), until, alive)  # taken over
    assert live is not None and live.issuing_until == until
    assert nobodys is not None and nobodys.issuing_until == until  # names no replica: runs out
    assert await store.replicas.silent(alive, seen_before) == []  # forgotten


async def test_a_replica_that_beat_meanwhile_is_not_freed(store: Store, clock: FakeClock) -> None:
    await store.replicas.beat("host:1:aa", clock())
    await store.jobs.enqueue([NewJob("notify", {})], clock())
    lease = timedelta(seconds=60)
    [job] = await store.jobs.claim("notify", "host:1:aa:outbox", limit=1, lease=lease, now=clock())
    clock.advance(seconds=10)
    seen_before = clock() - DEAD_AFTER
    assert await store.replicas.silent("host:2:bb", seen_before) == ["host:1:aa"]
    await store.replicas.beat("host:1:aa", clock())  # it was slow, not dead
    assert await store.replicas.free_dead(["host:1:aa"], clock(), seen_before=seen_before) == []
    kept = await store.jobs.get(job.id)
    assert kept is not None and kept.lease_owner == "host:1:aa:outbox"


async def test_the_only_process_frees_every_lease_found(store: Store, clock: FakeClock) -> None:
    """SQLite's one process, at start: every lease not its own belongs to a dead process,
    those of a process that never registered (or of an older version) too."""
    me = "host:3:cc"
    await store.replicas.beat("host:1:aa", clock())
    await store.replicas.beat(me, clock())
    await store.jobs.enqueue([NewJob("notify", {"n": n}) for n in range(3)], clock())
    lease = timedelta(seconds=60)
    for owner in ("host:1:aa:outbox", "unregistered:fiscal", f"{me}:outbox"):
        await store.jobs.claim("notify", owner, limit=1, lease=lease, now=clock())
    shop = await make_owner(store, clock)
    drafts = [await make_draft(store, clock, shop.shop_id) for _ in range(3)]
    until = clock() + timedelta(seconds=30)
    for draft, holder in zip(drafts, ("host:1:aa", None, me), strict=True):
        assert await store.receipts.take_issue_lease(draft.id, clock(), until, holder)

    assert await store.replicas.free_all_but(me, clock()) == 4
    owners = {job.lease_owner for job in await store.jobs.find(kind="notify")}
    assert owners == {None, f"{me}:outbox"}
    leases = [(await store.receipts.get(d.id)) for d in drafts]
    assert [r.issuing_until if r else None for r in leases] == [clock(), clock(), until]
    clock.advance(seconds=100)
    assert await store.replicas.silent(me, clock()) == []  # the others are forgotten
