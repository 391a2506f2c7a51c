"""PostgreSQL only: what SQLite (one process) cannot show. Each test opens two stores on
one database, two pools as two replicas would, and races them."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from storage.models.jobs import NewJob
from storage.models.receipts import EventSource
from storage.models.shops import InviteOutcome
from storage.postgres.engine import Tx
from storage.postgres.job_inserts import insert_jobs
from storage.postgres.store import PostgresStore
from tests.builders import make_owner
from tests.contract.helpers import T0, S, at, make_awaiting, new_draft

LEASE = timedelta(minutes=5)  # never runs out during a test: every claim is a real one


@pytest.fixture
async def replicas(fresh_postgres_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    first = await PostgresStore.open(fresh_postgres_url, max_size=4)
    second = await PostgresStore.open(fresh_postgres_url, max_size=4)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_concurrent_claimers_never_share_a_job_nor_two_of_one_group(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    groups = [f"chat:{n}" for n in range(8)]
    jobs = [NewJob("n", {"n": n}, group_key=groups[n % 8]) for n in range(120)]
    jobs += [NewJob("n", {"n": n}) for n in range(120, 200)]
    random.Random(8).shuffle(jobs)
    await first.jobs.enqueue(jobs[:100], T0)
    claimed: list[int] = []
    in_flight: dict[str, int] = {}
    order: dict[str, list[int]] = {}
    stop = asyncio.Event()

    async def enqueue_more(store: PostgresStore) -> None:  # new jobs arrive while claiming
        for job in jobs[100:] if store is second else ():
            await store.jobs.enqueue([job], T0)
            await asyncio.sleep(0)

    async def worker(store: PostgresStore, name: str) -> None:
        idle = 0
        while idle < 20:
            batch = await store.jobs.claim("n", name, limit=3, lease=LEASE, now=T0)
            idle = 0 if batch else idle + 1
            for job in batch:
                claimed.append(job.id)
                if job.group_key is not None:
                    assert job.group_key not in in_flight, (
                        f"{name} got job {job.id} while job {in_flight[job.group_key]} "
                        f"of {job.group_key} is in flight"
                    )
                    in_flight[job.group_key] = job.id
                    order.setdefault(job.group_key, []).append(job.id)
            await asyncio.sleep(random.random() / 200)  # the work
            for job in batch:
                if job.group_key is not None:
                    del in_flight[job.group_key]
                assert await store.jobs.finish(job.id, name, T0)
            if not batch:
                await asyncio.sleep(0.005)
        stop.set()

    await asyncio.gather(
        enqueue_more(second),
        *(
            worker(store, f"{label}-{n}")
            for label, store in (("a", first), ("b", second))
            for n in range(3)
        ),
    )
    assert sorted(claimed) == sorted(job.id for job in await first.jobs.find())
    assert len(claimed) == len(set(claimed)) == 200
    assert all(ids == sorted(ids) for ids in order.values()), "a group's jobs went out of order"
    assert await second.jobs.pending_count() == 0


async def test_a_grouped_job_not_yet_committed_is_never_overtaken(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    """Ids are taken at insert, not at commit: a job of a group must not be claimed while an
    earlier-numbered job of that group is still being inserted by another transaction."""
    first, second = replicas
    inserted = asyncio.Event()
    commit = asyncio.Event()

    async def slow_insert(tx: Tx) -> None:
        await insert_jobs(tx, [NewJob("n", {"which": "slow"}, group_key="chat:1")], T0)
        inserted.set()
        await commit.wait()

    slow = asyncio.create_task(first.engine.transaction(slow_insert))
    await inserted.wait()
    quick = asyncio.create_task(
        second.jobs.enqueue([NewJob("n", {"which": "quick"}, group_key="chat:1")], T0)
    )
    await asyncio.sleep(0.3)
    assert await second.jobs.claim("n", "w", limit=5, lease=LEASE, now=T0) == []
    commit.set()
    await slow
    await quick
    [head] = await second.jobs.claim("n", "w", limit=5, lease=LEASE, now=T0)
    assert head.payload == {"which": "slow"}


async def test_a_claim_passes_over_jobs_another_claim_holds(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    await first.jobs.enqueue([NewJob("n"), NewJob("n")], T0)
    held, release = asyncio.Event(), asyncio.Event()

    async def hold_the_first(tx: Tx) -> None:  # as a claim in progress does
        await tx.all("SELECT id FROM jobs ORDER BY id LIMIT 1 FOR UPDATE")
        held.set()
        await release.wait()

    holder = asyncio.create_task(first.engine.transaction(hold_the_first))
    await held.wait()
    try:
        claim = second.jobs.claim("n", "w", limit=5, lease=LEASE, now=T0)
        jobs = await asyncio.wait_for(claim, 5)  # no waiting for the lock
    finally:
        release.set()
        await holder
    assert [job.id for job in jobs] == [max(j.id for j in await first.jobs.find())]


async def test_concurrent_drafts_of_one_shop_get_distinct_consecutive_numbers(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    shop = (await make_owner(first)).shop_id
    results = await asyncio.gather(
        *(
            (first if n % 2 else second).receipts.create_draft(new_draft(shop, f"k{n}"), T0)
            for n in range(40)
        )
    )
    numbers = sorted(receipt.number for receipt, created in results if created)
    assert numbers == list(range(1, 41))
    assert sorted({r.description for r, _ in results}) == sorted(f"Receipt No {n}" for n in numbers)


async def test_the_same_idempotency_key_at_once_is_one_draft(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    shop = (await make_owner(first)).shop_id
    results = await asyncio.gather(
        *(
            (first if n % 2 else second).receipts.create_draft(new_draft(shop, "same"), T0)
            for n in range(10)
        )
    )
    assert sum(created for _, created in results) == 1
    assert len({receipt.id for receipt, _ in results}) == 1
    # the losers' numbers were given back
    receipt, created = await first.receipts.create_draft(new_draft(shop, "next"), T0)
    assert created and receipt.number == 2


async def test_an_invite_redeemed_at_once_is_spent_once(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    shop = (await make_owner(first)).shop_id
    await first.shops.create_invite(shop, "tok", 1, T0, at(3600))
    results = await asyncio.gather(
        *(
            (first if user % 2 else second).shops.redeem_invite("tok", user, f"C{user}", T0)
            for user in range(100, 120)
        )
    )
    outcomes = sorted(outcome for outcome, _ in results)
    assert outcomes == [InviteOutcome.JOINED] + [InviteOutcome.USED] * 19
    assert len(await first.shops.member_ids(shop)) == 2


async def test_one_person_redeeming_two_invites_at_once_joins_once(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    one = (await make_owner(first, owner_id=1)).shop_id
    two = (await make_owner(first, owner_id=2)).shop_id
    await first.shops.create_invite(one, "a", 1, T0, at(3600))
    await first.shops.create_invite(two, "b", 2, T0, at(3600))
    results = await asyncio.gather(
        first.shops.redeem_invite("a", 50, "C", T0), second.shops.redeem_invite("b", 50, "C", T0)
    )
    assert {outcome for outcome, _ in results} == {
        InviteOutcome.JOINED,
        InviteOutcome.ALREADY_MEMBER,
    }
    joined = next(member for outcome, member in results if outcome is InviteOutcome.JOINED)
    spare = "b" if joined is not None and joined.shop_id == one else "a"
    outcome, _ = await second.shops.redeem_invite(spare, 60, "D", T0)
    assert outcome is InviteOutcome.JOINED  # the other invite was not spent


async def test_concurrent_transitions_one_wins_with_one_event(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    shop = (await make_owner(first)).shop_id
    receipt = await make_awaiting(first, shop, "a")
    results = await asyncio.gather(
        *(
            (first if n % 2 else second).receipts.transition(
                receipt.id,
                expected=[S.AWAITING],
                new=S.PAID,
                source=EventSource.CALLBACK,
                now=at(n),
                jobs=[NewJob("notify", group_key="chat:1")],
            )
            for n in range(12)
        )
    )
    assert sum(r is not None for r in results) == 1
    events = await first.receipt_queries.events(receipt.id)
    assert [(e.from_status, e.to_status) for e in events] == [
        (S.DRAFT, S.AWAITING),
        (S.AWAITING, S.PAID),
    ]
    assert len(await second.jobs.find(kind="notify")) == 1


async def test_reserved_slots_are_an_interval_apart_across_replicas(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    step = timedelta(milliseconds=40)
    moments = await asyncio.gather(
        *((first if n % 2 else second).jobs.reserve_slot("telegram", step, T0) for n in range(30))
    )
    assert sorted(moments) == [T0 + step * n for n in range(30)]
