"""The background sweep: polling LiqPay, expiry, stale drafts, scheduling and resilience."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aioresponses import aioresponses

from services.core.crypto import SecretBox
from services.payments.polling import CHECK
from services.payments.reconciler import CHECK_LEASE, Reconciler, SweepStats
from services.receipts.state import ReceiptService
from storage.models.jobs import Job, JobState
from storage.models.receipts import Channel, EventSource, Receipt, ReceiptStatus
from storage.sqlite.store import SqliteStore
from tests.builders import Shop, make_receipt, make_shop, receipt_stub
from tests.conftest import FakeClock
from tests.doubles.liqpay_mock import MockedLiqPay
from tests.payment_fixtures import make_service, next_check_at, outbox_rows

S = ReceiptStatus
INTERVAL = 60.0


@dataclass
class Env:
    store: SqliteStore
    receipts: ReceiptService
    liqpay: MockedLiqPay
    shop: Shop
    clock: FakeClock
    db_path: Path

    def reconciler(self, **kwargs: int) -> Reconciler:
        return Reconciler(self.receipts, self.store.jobs, INTERVAL, **kwargs)

    async def receipt(self, **kwargs: object) -> Receipt:
        return await make_receipt(self.store, self.shop, self.clock(), **kwargs)  # type: ignore[arg-type]

    async def reload(self, receipt: Receipt) -> Receipt | None:
        return await self.store.receipts.get(receipt.id)

    async def sweep(self, reconciler: Reconciler | None = None) -> SweepStats:
        async with asyncio.timeout(30):  # a sweep that never ends fails instead of hanging
            return await (reconciler or self.reconciler()).sweep()

    async def check_job(self, receipt: Receipt) -> Job:
        [job] = await self.store.jobs.find(kind=CHECK, receipt_id=receipt.id)
        return job

    async def due(self, at: datetime) -> list[int]:
        """The receipts whose status check is due at `at` (read only: nothing is claimed)."""
        jobs = await self.store.jobs.find(kind=CHECK, state=JobState.PENDING)
        return [j.receipt_id for j in jobs if j.run_at <= at and not j.leased(at)]  # type: ignore[misc]


@pytest.fixture
async def env(
    store: SqliteStore, box: SecretBox, clock: FakeClock, db_path: Path
) -> AsyncIterator[Env]:
    shop = await make_shop(store, box, clock())
    with aioresponses() as mock:
        async with aiohttp.ClientSession() as session:
            receipts = make_service(store, session, box, clock)
            yield Env(store, receipts, MockedLiqPay(mock), shop, clock, db_path)


async def test_paid_at_liqpay_is_marked_paid_by_poll(env: Env) -> None:
    receipt = await env.receipt()
    env.liqpay.paid(receipt)

    stats = await env.sweep()

    assert (stats.checked, stats.changed, stats.errors) == (1, 1, 0)
    paid = await env.reload(receipt)
    assert paid is not None
    assert paid.status is S.PAID
    assert paid.payment_id == "987654321"
    assert paid.card_mask == "424242*42"
    last = (await env.store.receipt_queries.events(receipt.id))[-1]
    assert (last.source, last.to_status, last.liqpay_status) == (
        EventSource.POLL,
        S.PAID,
        "success",
    )
    rows = await outbox_rows(env.store, receipt.id)
    assert {(r["chat_id"], r["kind"]) for r in rows} == {
        (env.shop.cashier_id, "paid"),
        (env.shop.owner_id, "paid"),
    }


async def test_still_waiting_is_rescheduled_not_rechecked(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.EMAIL)
    env.liqpay.waiting(receipt)
    events = await env.store.receipt_queries.events(receipt.id)

    stats = await env.sweep(env.reconciler(batch=1))

    assert (stats.checked, stats.changed, stats.errors) == (1, 0, 0)
    assert env.liqpay.actions() == ["status"]  # asked once, not again within the sweep
    checked = await env.reload(receipt)
    assert checked is not None
    assert checked.status is S.AWAITING
    assert (await env.check_job(receipt)).claimed_at == env.clock()
    assert await env.store.receipt_queries.events(receipt.id) == events
    assert await outbox_rows(env.store) == []
    now = env.clock()
    assert await next_check_at(env.store, receipt.id) == now + timedelta(seconds=INTERVAL)
    assert await env.due(now) == []
    assert await env.due(now + timedelta(seconds=INTERVAL)) == [receipt.id]

    assert (await env.sweep()).checked == 0  # a second sweep at the same moment: nothing due
    env.clock.advance(seconds=INTERVAL)
    assert (await env.sweep()).checked == 1
    assert env.liqpay.actions() == ["status", "status"]


async def test_payment_not_found_keeps_awaiting(env: Env) -> None:
    receipt = await env.receipt()  # a link nobody opened yet

    stats = await env.sweep()

    assert (stats.checked, stats.changed, stats.errors) == (1, 0, 0)
    checked = await env.reload(receipt)
    assert checked is not None
    assert checked.status is S.AWAITING
    assert (await env.check_job(receipt)).claimed_at == env.clock()
    assert await outbox_rows(env.store) == []


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.PRIVAT24])
async def test_expired_invoice_is_withdrawn_and_expired(env: Env, channel: Channel) -> None:
    receipt = await env.receipt(channel=channel, lifetime=timedelta(hours=1))
    env.liqpay.waiting(receipt)
    env.clock.advance(hours=1, seconds=1)

    stats = await env.sweep()

    assert (stats.checked, stats.changed, stats.errors) == (1, 1, 0)
    assert env.liqpay.actions(receipt.order_id) == ["status", "invoice_cancel"]
    expired = await env.reload(receipt)
    assert expired is not None
    assert expired.status is S.EXPIRED
    last = (await env.store.receipt_queries.events(receipt.id))[-1]
    assert (last.source, last.from_status, last.to_status) == (
        EventSource.POLL,
        S.AWAITING,
        S.EXPIRED,
    )
    rows = await outbox_rows(env.store, receipt.id)
    assert {(r["chat_id"], r["kind"]) for r in rows} == {
        (env.shop.cashier_id, "expired"),
        (env.shop.owner_id, "expired"),
    }


async def test_expired_link_receipt_is_expired_without_invoice_cancel(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.LINK, lifetime=timedelta(hours=1))
    env.clock.advance(hours=2)

    await env.sweep()

    assert env.liqpay.actions() == ["status"]
    expired = await env.reload(receipt)
    assert expired is not None
    assert expired.status is S.EXPIRED


async def test_expired_but_paid_is_paid_not_expired(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.EMAIL, lifetime=timedelta(hours=1))
    env.liqpay.paid(receipt)
    env.clock.advance(hours=2)

    await env.sweep()

    paid = await env.reload(receipt)
    assert paid is not None
    assert paid.status is S.PAID
    assert env.liqpay.actions() == ["status"]  # no invoice_cancel for a paid invoice
    assert S.EXPIRED not in [
        e.to_status for e in await env.store.receipt_queries.events(receipt.id)
    ]
    kinds = {r["kind"] for r in await outbox_rows(env.store, receipt.id)}
    assert kinds == {"paid"}


async def test_liqpay_unavailable_leaves_receipt_and_counts_error(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.EMAIL)
    env.liqpay.unavailable.add("status")
    events = await env.store.receipt_queries.events(receipt.id)

    stats = await env.sweep()

    assert stats.errors == 1
    assert stats.changed == 0
    unchanged = await env.reload(receipt)
    assert unchanged is not None
    assert unchanged.status is S.AWAITING
    assert await env.store.receipt_queries.events(receipt.id) == events
    assert await outbox_rows(env.store) == []
    # tried again on a later sweep, not hammered within this one
    assert await env.due(env.clock()) == []


async def test_expiry_with_liqpay_unavailable_is_retried_later(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.EMAIL, lifetime=timedelta(hours=1))
    env.liqpay.waiting(receipt)
    env.liqpay.unavailable.add("invoice_cancel")
    env.clock.advance(hours=2)

    assert (await env.sweep()).errors == 1
    still = await env.reload(receipt)
    assert still is not None
    assert still.status is S.AWAITING  # not expired while the invoice may still be payable

    env.liqpay.unavailable.clear()
    env.clock.advance(seconds=INTERVAL)
    assert (await env.sweep()).changed == 1
    expired = await env.reload(receipt)
    assert expired is not None
    assert expired.status is S.EXPIRED


async def test_run_keeps_looping_through_failures(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.EMAIL)
    env.liqpay.unavailable.add("status")
    reconciler = Reconciler(env.receipts, env.store.jobs, 0.001)
    sweeps: list[SweepStats] = []
    enough = asyncio.Event()
    real_sweep = reconciler.sweep

    async def counted_sweep() -> SweepStats:
        if not sweeps:
            sweeps.append(SweepStats(errors=-1))
            raise RuntimeError("database is locked")  # a sweep that blows up entirely
        stats = await real_sweep()
        sweeps.append(stats)
        env.clock.advance(seconds=1)  # make the receipt due again
        if len(sweeps) >= 4:
            enough.set()
        return stats

    reconciler.sweep = counted_sweep  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(reconciler.run(stop))
    async with asyncio.timeout(30):
        await enough.wait()
    stop.set()
    async with asyncio.timeout(30):
        await task

    assert task.exception() is None
    assert len(sweeps) >= 4
    assert all(s.errors >= 1 for s in sweeps[1:])
    unchanged = await env.reload(receipt)
    assert unchanged is not None
    assert unchanged.status is S.AWAITING


async def test_run_ends_promptly_when_stopped(env: Env) -> None:
    reconciler = Reconciler(env.receipts, env.store.jobs, 3600)
    stop = asyncio.Event()
    task = asyncio.create_task(reconciler.run(stop))
    await asyncio.sleep(0)
    stop.set()
    async with asyncio.timeout(30):  # would wait the whole interval if stop were ignored
        await task
    assert task.done()


async def test_never_checked_receipt_is_asked_first(env: Env) -> None:
    older = await env.receipt()
    env.liqpay.waiting(older)
    await env.sweep()  # `older` is now checked once
    env.clock.advance(seconds=INTERVAL)
    newer = await env.receipt()  # higher id, never checked
    env.liqpay.waiting(newer)
    assert set(await env.due(env.clock())) == {older.id, newer.id}
    env.liqpay.requests.clear()

    await env.sweep(env.reconciler(batch=1, concurrency=1))

    asked = [r["order_id"] for r in env.liqpay.requests]
    assert asked == [newer.order_id, older.order_id]


async def test_least_recently_checked_goes_first(env: Env) -> None:
    first = await env.receipt()
    second = await env.receipt()
    env.liqpay.waiting(first)
    env.liqpay.waiting(second)
    start, jobs = env.clock(), env.store.jobs
    # Both checked at the start, then `first` again 5 s later: `second` waits the longest.
    lease = timedelta(minutes=1)
    for job in await jobs.claim(CHECK, "w", limit=2, lease=lease, now=start):
        await jobs.postpone(job.id, "w", until=start + timedelta(seconds=5), error=None)
    later = start + timedelta(seconds=5)
    [again] = await jobs.claim(CHECK, "w", limit=1, lease=lease, now=later)
    assert again.receipt_id == first.id  # by id, as both were last checked at the same moment
    await jobs.postpone(again.id, "w", until=later, error=None)
    env.clock.advance(seconds=10)

    await env.sweep(env.reconciler(batch=1, concurrency=1))

    assert [r["order_id"] for r in env.liqpay.requests] == [second.order_id, first.order_id]


async def test_older_receipts_are_checked_less_often(env: Env) -> None:
    now = env.clock()
    young = await make_receipt(
        env.store, env.shop, now, created_at=now - timedelta(minutes=10), lifetime=timedelta(days=7)
    )
    middle = await make_receipt(
        env.store, env.shop, now, created_at=now - timedelta(hours=3), lifetime=timedelta(days=7)
    )
    old = await make_receipt(
        env.store, env.shop, now, created_at=now - timedelta(days=2), lifetime=timedelta(days=7)
    )
    for receipt in (young, middle, old):
        env.liqpay.waiting(receipt)

    await env.sweep()

    young_next = await next_check_at(env.store, young.id)
    middle_next = await next_check_at(env.store, middle.id)
    old_next = await next_check_at(env.store, old.id)
    assert young_next < middle_next < old_next
    assert young_next == now + timedelta(seconds=INTERVAL)
    assert old_next > now + timedelta(seconds=INTERVAL * 10)


def test_next_check_never_passes_expiry(env: Env) -> None:
    reconciler = env.reconciler()
    now = env.clock()
    soon = receipt_stub(created=now - timedelta(days=3), expires=now + timedelta(seconds=30))
    assert reconciler.next_check(soon, now) == now + timedelta(seconds=30)
    overdue = receipt_stub(created=now - timedelta(days=3), expires=now - timedelta(seconds=1))
    assert reconciler.next_check(overdue, now) == now + timedelta(seconds=INTERVAL)


async def test_stale_draft_known_to_liqpay_becomes_awaiting(env: Env) -> None:
    draft = await env.receipt(status=S.DRAFT, channel=Channel.EMAIL)
    env.liqpay.waiting(draft)

    stats = await env.sweep()

    assert stats.changed == 1
    tracked = await env.reload(draft)
    assert tracked is not None
    assert tracked.status is S.AWAITING
    assert tracked.liqpay_status == "invoice_wait"
    last = (await env.store.receipt_queries.events(draft.id))[-1]
    assert (last.source, last.from_status, last.to_status) == (
        EventSource.POLL,
        S.DRAFT,
        S.AWAITING,
    )


async def test_stale_draft_paid_at_liqpay_becomes_paid(env: Env) -> None:
    draft = await env.receipt(status=S.DRAFT)
    env.liqpay.paid(draft)

    await env.sweep()

    paid = await env.reload(draft)
    assert paid is not None
    assert paid.status is S.PAID


async def test_expired_draft_unknown_to_liqpay_is_deleted(env: Env) -> None:
    draft = await env.receipt(status=S.DRAFT, channel=Channel.EMAIL, lifetime=timedelta(hours=1))
    env.clock.advance(hours=2)

    stats = await env.sweep()

    assert stats.changed == 1
    assert await env.reload(draft) is None
    # an invoice that may exist after all is withdrawn before the draft is dropped
    assert env.liqpay.actions(draft.order_id) == ["status", "invoice_cancel"]


async def test_young_draft_unknown_to_liqpay_is_kept(env: Env) -> None:
    draft = await env.receipt(status=S.DRAFT, lifetime=timedelta(hours=1))

    stats = await env.sweep()

    assert stats.changed == 0
    kept = await env.reload(draft)
    assert kept is not None
    assert kept.status is S.DRAFT
    assert await env.due(env.clock()) == []


async def test_many_receipts_one_sweep_each_checked_once(env: Env) -> None:
    receipts = [await env.receipt() for _ in range(12)]
    for receipt in receipts[::3]:
        env.liqpay.paid(receipt)

    stats = await env.sweep(env.reconciler(batch=5, concurrency=3))

    assert stats.checked == 12
    assert stats.changed == 4
    asked = sorted(r["order_id"] for r in env.liqpay.requests)
    assert asked == sorted(r.order_id for r in receipts)


async def test_a_failed_receipt_is_still_watched_until_expiry(env: Env) -> None:
    receipt = await env.receipt(status=S.FAILED)
    env.liqpay.paid(receipt)  # the customer tried another card
    await env.sweep(env.reconciler())
    assert (await env.store.receipts.get(receipt.id)).status is S.PAID  # type: ignore[union-attr]


async def test_a_flagged_receipt_is_not_expired_as_unpaid(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.EMAIL)
    await env.store.receipts.flag(
        receipt.id, reason="paid 250.00", source=EventSource.CALLBACK, now=env.clock(),
        liqpay_status="success",
    )  # fmt: skip
    env.clock.advance(days=2)
    env.liqpay.paid(receipt, amount=250.0)
    await env.sweep(env.reconciler())
    after = await env.store.receipts.get(receipt.id)
    assert after is not None and after.status is S.AWAITING and after.flagged
    assert "invoice_cancel" not in env.liqpay.actions(receipt.order_id)


async def test_a_payment_finishing_after_expiry_is_still_found(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.LINK)
    env.clock.advance(days=1, minutes=1)
    env.liqpay.waiting(receipt, "processing")  # the customer is mid-payment at expiry
    await env.sweep(env.reconciler())
    assert (await env.reload(receipt)).status is S.EXPIRED  # type: ignore[union-attr]
    env.liqpay.paid(receipt)
    env.clock.advance(minutes=5)
    await env.sweep(env.reconciler())
    assert (await env.reload(receipt)).status is S.PAID  # type: ignore[union-attr]


async def test_a_flagged_draft_past_expiry_does_not_stall_the_sweep(env: Env) -> None:
    draft = await env.receipt(status=S.DRAFT)
    await env.store.receipts.flag(
        draft.id, reason="paid 1.00", source=EventSource.CALLBACK, now=env.clock(),
        liqpay_status="success",
    )  # fmt: skip
    other = await env.receipt()
    env.clock.advance(days=2)
    stats = await env.sweep(env.reconciler())  # fails (times out) if it loops on the draft
    assert stats.checked == 2
    assert await env.reload(draft) is not None  # kept for the owner
    assert (await env.reload(other)).status is S.EXPIRED  # type: ignore[union-attr]


# several workers (replicas) on one store


async def test_two_workers_never_check_one_receipt_at_once(env: Env) -> None:
    receipts = [await env.receipt() for _ in range(12)]
    for receipt in receipts:
        env.liqpay.waiting(receipt)
    first = Reconciler(env.receipts, env.store.jobs, INTERVAL, batch=4, worker_id="a")
    second = Reconciler(env.receipts, env.store.jobs, INTERVAL, batch=4, worker_id="b")

    stats = await asyncio.gather(env.sweep(first), env.sweep(second))

    assert sum(s.checked for s in stats) == 12
    asked = sorted(r["order_id"] for r in env.liqpay.requests)
    assert asked == sorted(r.order_id for r in receipts)  # each asked once, by one worker


async def test_a_killed_workers_checks_are_taken_up_after_its_lease(env: Env) -> None:
    receipt = await env.receipt()
    env.liqpay.paid(receipt)
    killed = await env.store.jobs.claim(
        CHECK, "killed", limit=10, lease=CHECK_LEASE, now=env.clock()
    )
    assert [j.receipt_id for j in killed] == [receipt.id]

    assert (await env.sweep()).checked == 0  # its lease still runs
    env.clock.advance(seconds=CHECK_LEASE.total_seconds())
    assert (await env.sweep()).checked == 1
    assert (await env.reload(receipt)).status is S.PAID  # type: ignore[union-attr]


async def test_a_receipt_that_needs_no_more_polling_ends_its_check(env: Env) -> None:
    paid = await env.receipt()
    env.liqpay.paid(paid)
    cancelled = await env.receipt(status=S.CANCELLED, lifetime=timedelta(hours=1))
    await env.sweep()
    assert (await env.check_job(paid)).state is JobState.DONE  # paid: never asked again
    assert (await env.check_job(cancelled)).state is JobState.PENDING  # payable until expiry
    env.clock.advance(hours=2, seconds=1)  # an hour past its expiry
    assert (await env.sweep()).checked == 0
    assert (await env.check_job(cancelled)).state is JobState.DONE


async def test_a_liqpay_outage_met_by_every_receipt_writes_one_line_a_minute(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    receipts = [await env.receipt() for _ in range(20)]
    env.liqpay.unavailable.add("status")
    caplog.set_level(logging.WARNING)

    stats = await env.sweep()

    assert stats.errors == len(receipts)
    lines = [r.getMessage() for r in caplog.records if r.name == "services.payments.reconciler"]
    assert len(lines) == 1 and "will retry" in lines[0], lines
