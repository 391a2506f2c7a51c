"""Return receipts through the stand-in Checkbox: each rise of a registered sale's refunded
sum becomes exactly one RETURN receipt (goods with is_return, related to the sale, the same
payment label, the refunded amount), through repeats, lost answers and a second worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from services.core.crypto import SecretBox
from services.fiscal.access import DONE, Step
from services.fiscal.registrar import receipt_uuid
from services.fiscal.returns import FISCAL_REGISTER_RETURN
from services.fiscal.sales import RegisterOutcome
from services.notifications.jobs import NotificationKind, OutboxSignal
from services.refunds.ledger import FISCAL_RETURN
from services.refunds.worker import JobWorker
from storage.models.fiscal import FiscalMode, FiscalSettingsChanges, FiscalState
from storage.models.jobs import Job, JobState, NewJob
from storage.models.receipts import Receipt, ReceiptStatus
from storage.models.shops import Member, Role
from storage.sqlite.store import SqliteStore
from tests.builders import OWNER_ID, Shop
from tests.conftest import FakeClock
from tests.doubles.checkbox import FakeCheckbox
from tests.fiscal_fixtures import Desk, awaiting_receipt, make_desk, notices

SELL = "/api/v1/receipts/sell"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def fake() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as server:
        server.hang_seconds = 3
        yield server


class ReturnsWorker(JobWorker):
    """Drains like the worker's loop does: again at once after a busy drain (a return's
    first job hands it to its second, in the register's group)."""

    async def drain(self) -> bool:
        ran = False
        for _ in range(10):
            if not await super().drain():
                break
            ran = True
        return ran


def returns_worker(desk: Desk, worker_id: str = "r1") -> JobWorker:
    run = desk.parts.returns.run_return
    worker = ReturnsWorker(
        desk.store.jobs, {FISCAL_RETURN: run, FISCAL_REGISTER_RETURN: run}, OutboxSignal(),
        desk.clock, role=worker_id,
    )  # fmt: skip
    return worker


async def registered_sale(desk: Desk, shop: Shop) -> Receipt:
    paid = await desk.pay(await awaiting_receipt(desk.store, shop, desk.clock()))
    await desk.run_jobs()
    registered = await desk.store.receipts.get(paid.id)
    assert registered is not None and registered.fiscal_state is FiscalState.REGISTERED
    return registered


def returns_of(fake: FakeCheckbox) -> list[dict[str, object]]:
    return [r.to_json() for r in fake.receipts.values() if r.is_return]


async def test_a_partial_refund_gets_one_return_receipt(
    store: SqliteStore, http: aiohttp.ClientSession, box: SecretBox, fake: FakeCheckbox,
    clock: FakeClock, shop: Shop,
) -> None:  # fmt: skip
    desk = make_desk(store, http, box, fake, clock)
    worker = returns_worker(desk)
    sale = await registered_sale(desk, shop)
    refunded = await desk.pay(sale, refunded=10000)
    assert refunded.refunded_amount == 10000
    await desk.pay(refunded, refunded=10000)  # a repeated callback: no second job
    assert len(await store.jobs.find(kind=FISCAL_RETURN)) == 1
    assert await worker.drain()
    [made] = returns_of(fake)
    assert made["id"] == receipt_uuid(f"{sale.order_id}#return10000")
    assert made["related_receipt_id"] == receipt_uuid(sale.order_id)
    [line] = made["goods"]  # type: ignore[misc]
    assert line["is_return"] is True and line["good"]["price"] == 10000
    [payment] = made["payments"]  # type: ignore[misc]
    assert payment["value"] == 10000
    assert (
        payment["label"] == fake.receipts[receipt_uuid(sale.order_id)].body["payments"][0]["label"]
    )
    assert not await worker.drain()  # done: nothing due
    assert len(fake.sells()) == 2  # the sale and its return
    assert (OWNER_ID, NotificationKind.FISCAL_RETURN_DONE) in await notices(store)


async def test_a_lost_answer_is_found_not_returned_again(
    store: SqliteStore, http: aiohttp.ClientSession, box: SecretBox, fake: FakeCheckbox,
    clock: FakeClock, shop: Shop,
) -> None:  # fmt: skip
    desk = make_desk(store, http, box, fake, clock)
    worker = returns_worker(desk)
    sale = await registered_sale(desk, shop)
    await desk.pay(sale, refunded=sale.amount, status="reversed")
    current = await store.receipts.get(sale.id)
    assert current is not None and current.status is ReceiptStatus.REFUNDED
    fake.hang_next(SELL, processed=True)  # the return is made; its answer comes too late
    await worker.drain()  # the client looks the receipt up after the lost answer
    [job] = await store.jobs.find(kind=FISCAL_RETURN)
    assert len(returns_of(fake)) == 1
    # the job runs again (as after a worker killed before it finished the job)
    assert await store.jobs.revive(job.dedupe_key or "", clock())
    other = returns_worker(desk, "r2")
    assert await other.drain()
    assert len(returns_of(fake)) == 1
    assert len(fake.sells()) == 2  # the sale and one return: never sent again
    [job] = await store.jobs.find(kind=FISCAL_RETURN)
    assert job.state is JobState.DONE


async def test_no_return_receipt_when_fiscalization_is_off(
    store: SqliteStore, http: aiohttp.ClientSession, box: SecretBox, fake: FakeCheckbox,
    clock: FakeClock, shop: Shop,
) -> None:  # fmt: skip
    desk = make_desk(store, http, box, fake, clock)
    returns_worker(desk)
    sale = await registered_sale(desk, shop)
    await store.fiscal.update(shop.shop_id, FiscalSettingsChanges(enabled=False))
    await desk.pay(sale, refunded=500)
    assert await store.jobs.find(kind=FISCAL_RETURN) == []


def owner(shop: Shop) -> Member:
    return Member(shop.shop_id, "Shop", shop.owner_id, Role.OWNER, "Owner")


async def wait_hours(worker: JobWorker, clock: FakeClock, hours: int) -> None:
    """The return job runs whenever it is due for `hours` hours (far past 50 tries)."""
    for _ in range(hours * 60):
        clock.advance(minutes=1)
        await worker.drain()


async def test_a_refund_before_a_manual_registration_still_gets_its_return(
    store: SqliteStore, http: aiohttp.ClientSession, box: SecretBox, fake: FakeCheckbox,
    clock: FakeClock, shop: Shop,
) -> None:  # fmt: skip
    await store.fiscal.update(shop.shop_id, FiscalSettingsChanges(mode=FiscalMode.MANUAL))
    desk = make_desk(store, http, box, fake, clock)
    worker = returns_worker(desk)
    sale = await desk.pay(await awaiting_receipt(store, shop, clock()))
    assert sale.fiscal_state is FiscalState.NOT_REGISTERED
    await desk.pay(sale, refunded=10000)
    await wait_hours(worker, clock, 2)  # the owner presses Register only hours later
    assert returns_of(fake) == []
    [job] = await store.jobs.find(kind=FISCAL_RETURN)
    assert job.state is JobState.PENDING  # still waiting for its sale, not given up
    current = await store.receipts.get(sale.id)
    assert current is not None
    assert await desk.fiscal.request(owner(shop), current) is RegisterOutcome.QUEUED
    await desk.run_jobs()
    await wait_hours(worker, clock, 1)
    [made] = returns_of(fake)
    assert made["related_receipt_id"] == receipt_uuid(sale.order_id)
    assert made["payments"][0]["value"] == 10000  # type: ignore[index]
    assert len(fake.sells()) == 2  # the full sale and exactly one return
    [job] = await store.jobs.find(kind=FISCAL_RETURN)
    assert job.state is JobState.DONE


async def test_a_refund_of_a_failed_sale_gets_its_return_once_retried(
    store: SqliteStore, http: aiohttp.ClientSession, box: SecretBox, fake: FakeCheckbox,
    clock: FakeClock, shop: Shop,
) -> None:  # fmt: skip
    desk = make_desk(store, http, box, fake, clock)
    worker = returns_worker(desk)
    fake.receipt_error = "Помилка ДПС: невірний код товару"
    sale = await desk.pay(await awaiting_receipt(store, shop, clock()))
    await desk.run_jobs()
    failed = await store.receipts.get(sale.id)
    assert failed is not None and failed.fiscal_state is FiscalState.FAILED
    await desk.pay(failed, refunded=10000)
    await wait_hours(worker, clock, 1)
    assert returns_of(fake) == []
    fake.receipt_error = None
    current = await store.receipts.get(sale.id)
    assert current is not None
    assert await desk.fiscal.request(owner(shop), current) is RegisterOutcome.QUEUED
    await desk.run_jobs()
    registered = await store.receipts.get(sale.id)
    assert registered is not None and registered.fiscal_state is FiscalState.REGISTERED
    await wait_hours(worker, clock, 1)
    [made] = returns_of(fake)
    assert made["related_receipt_id"] == receipt_uuid(sale.order_id, 2)
    assert made["payments"][0]["value"] == 10000  # type: ignore[index]


# the worker's lease on a long return


class LeaseTakenElsewhere:
    """The store's job queue, as seen after another worker took the job's lease."""

    def __init__(self, jobs: Any) -> None:
        self._jobs = jobs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jobs, name)

    async def extend_lease(self, job_id: int, worker_id: str, until: datetime) -> bool:
        return False


async def test_a_long_return_keeps_its_lease_so_no_other_worker_takes_it(
    store: SqliteStore, clock: FakeClock
) -> None:
    release = asyncio.Event()

    async def slow(job: Job) -> Step:
        await release.wait()  # the tax service answers after a while
        return DONE

    async def quick(job: Job) -> Step:
        return DONE

    lease = timedelta(seconds=0.6)
    busy = JobWorker(store.jobs, {FISCAL_RETURN: slow}, OutboxSignal(), clock,
                     role="busy", lease=lease, heartbeat=0.05)  # fmt: skip
    other = JobWorker(store.jobs, {FISCAL_RETURN: quick}, OutboxSignal(), clock,
                      role="other", lease=lease, heartbeat=0.05)  # fmt: skip
    await store.jobs.enqueue([NewJob(FISCAL_RETURN, {"amount": 500, "total": 500})], clock())
    running = asyncio.create_task(busy.drain())
    taken = []
    for _ in range(20):
        await asyncio.sleep(0.05)
        clock.advance(seconds=0.1)  # the lease would run out within a second without renewal
        taken.append(await other.drain())
    release.set()
    assert await running
    assert not any(taken)
    [job] = await store.jobs.find(kind=FISCAL_RETURN)
    assert job.state is JobState.DONE and job.attempts == 1


async def test_a_return_whose_lease_was_lost_is_stopped_and_left_to_the_other_worker(
    store: SqliteStore, clock: FakeClock
) -> None:
    started, stopped = asyncio.Event(), asyncio.Event()

    async def endless(job: Job) -> Step:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()
        return DONE

    worker = JobWorker(LeaseTakenElsewhere(store.jobs), {FISCAL_RETURN: endless},
                       OutboxSignal(), clock, lease=timedelta(seconds=0.3),
                       heartbeat=0.05)  # fmt: skip
    await store.jobs.enqueue([NewJob(FISCAL_RETURN, {"amount": 500, "total": 500})], clock())
    await asyncio.wait_for(worker.drain(), timeout=3)
    assert started.is_set() and stopped.is_set()
    [job] = await store.jobs.find(kind=FISCAL_RETURN)
    assert job.state is JobState.PENDING and job.finished_at is None


async def test_an_online_return_is_the_registers_last_document(
    store: SqliteStore, http: aiohttp.ClientSession, box: SecretBox, fake: FakeCheckbox,
    clock: FakeClock, shop: Shop,
) -> None:  # fmt: skip
    """A later late receipt or return must not be dated before it (offline mode)."""
    desk = make_desk(store, http, box, fake, clock)
    sale = await registered_sale(desk, shop)
    sold_at = (await store.offline.register(shop.shop_id)).last_document_at
    await asyncio.sleep(0.01)  # the stand-in dates documents by its own clock
    await desk.pay(sale, refunded=10000)
    assert await returns_worker(desk).drain()
    [made] = [r for r in fake.receipts.values() if r.is_return]
    assert made.fiscal_date is not None and sold_at is not None and made.fiscal_date > sold_at
    assert (await store.offline.register(shop.shop_id)).last_document_at == made.fiscal_date
