"""The issuing lease and the recovery: a receipt whose maker died (its lease expired) is
finished by exactly one process, which tells the cashier what became of the invoice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aioresponses import aioresponses

from services.core.crypto import SecretBox
from services.invoices.leases import IssueLeases
from services.invoices.recovery import IssueRecovery
from services.notifications.jobs import NotificationKind
from services.payments.reconciler import Reconciler
from services.receipts.state import ReceiptService
from storage.models.receipts import Channel, Receipt, ReceiptStatus
from storage.sqlite.store import SqliteStore
from tests.builders import Shop, make_receipt, make_shop
from tests.conftest import FakeClock
from tests.doubles.liqpay_mock import MockedLiqPay
from tests.payment_fixtures import make_service, outbox_rows

S = ReceiptStatus


@dataclass
class Env:
    store: SqliteStore
    receipts: ReceiptService
    liqpay: MockedLiqPay
    shop: Shop
    clock: FakeClock
    db_path: Path

    def recovery(self) -> IssueRecovery:
        leases = IssueLeases(
            self.store.receipts, self.receipts.liqpay, self.receipts.signal, self.clock
        )
        return IssueRecovery(self.receipts, leases)

    async def orphan(self, status: ReceiptStatus = S.DRAFT, **kwargs: object) -> Receipt:
        """A receipt whose maker took the lease and died: it expired 5 s ago."""
        held = self.clock() - timedelta(seconds=5)
        receipt = await make_receipt(
            self.store,
            self.shop,
            self.clock(),
            status=status,
            channel=Channel.EMAIL,
            issuing_until=held,
            **kwargs,  # type: ignore[arg-type]
        )
        fresh = await self.store.receipts.get(receipt.id)
        assert fresh is not None and fresh.issuing_until == held
        return fresh

    async def told(self) -> list[tuple[int, str]]:
        return [(r["chat_id"], r["kind"]) for r in await outbox_rows(self.store)]


@pytest.fixture
async def env(
    store: SqliteStore, box: SecretBox, clock: FakeClock, db_path: Path
) -> AsyncIterator[Env]:
    shop = await make_shop(store, box, clock())
    with aioresponses() as mock:
        async with aiohttp.ClientSession() as session:
            receipts = make_service(store, session, box, clock)
            yield Env(store, receipts, MockedLiqPay(mock), shop, clock, db_path)


async def test_an_orphan_known_to_liqpay_is_tracked_and_the_cashier_told(env: Env) -> None:
    orphan = await env.orphan()
    env.liqpay.waiting(orphan)
    await env.recovery().sweep()
    after = await env.store.receipts.get(orphan.id)
    assert after is not None and after.status is S.AWAITING and after.issuing_until is None
    assert await env.told() == [(env.shop.cashier_id, NotificationKind.OUTCOME)]
    assert env.liqpay.actions() == ["status"]  # never a second invoice_send


async def test_an_orphan_unknown_to_liqpay_waits_for_retry_and_is_told(env: Env) -> None:
    orphan = await env.orphan()
    await env.recovery().sweep()
    after = await env.store.receipts.get(orphan.id)
    assert after is not None and after.status is S.DRAFT and after.issuing_until is None
    assert await env.told() == [(env.shop.cashier_id, NotificationKind.OUTCOME)]


async def test_liqpay_silent_the_cashier_is_still_told(env: Env) -> None:
    orphan = await env.orphan()
    env.liqpay.unavailable.add("status")
    await env.recovery().sweep()
    after = await env.store.receipts.get(orphan.id)
    assert after is not None and after.status is S.DRAFT and after.issuing_until is None
    assert await env.told() == [(env.shop.cashier_id, NotificationKind.OUTCOME)]


async def test_made_but_not_shown_is_shown_without_asking_liqpay(env: Env) -> None:
    await env.orphan(S.AWAITING)
    await env.recovery().sweep()
    assert await env.told() == [(env.shop.cashier_id, NotificationKind.OUTCOME)]
    assert env.liqpay.actions() == []


async def test_a_live_lease_is_left_to_its_holder(env: Env) -> None:
    receipt = await make_receipt(env.store, env.shop, env.clock(), status=S.DRAFT)
    until = env.clock() + timedelta(seconds=3)
    assert await env.store.receipts.take_issue_lease(receipt.id, env.clock(), until)
    wait = await env.recovery().sweep()
    assert 3 <= wait <= 3.1  # it looks again when that lease falls due
    assert await env.told() == [] and env.liqpay.actions() == []
    # nor does the reconciler touch a draft someone is issuing
    await Reconciler(env.receipts, env.store.jobs, 60).sweep()
    assert env.liqpay.actions() == []


async def test_two_replicas_tell_once(env: Env) -> None:
    orphan = await env.orphan()
    env.liqpay.waiting(orphan)
    await asyncio.gather(env.recovery().sweep(), env.recovery().sweep())
    assert await env.told() == [(env.shop.cashier_id, NotificationKind.OUTCOME)]
    assert env.liqpay.actions() == ["status"]


async def test_an_expired_orphan_unknown_to_liqpay_is_dropped_quietly(env: Env) -> None:
    orphan = await env.orphan(lifetime=timedelta(hours=1))
    env.clock.advance(hours=2)
    await env.recovery().sweep()
    assert await env.store.receipts.get(orphan.id) is None
    assert await env.told() == []
    assert env.liqpay.actions() == ["status", "invoice_cancel"]


async def test_a_dead_replicas_lease_is_recovered_as_soon_as_it_is_freed(env: Env) -> None:
    """Its holder found dead (services/jobs/failover.py), a lease ends at once: the recovery,
    woken, tells the cashier then, not when the lease would have run out."""
    receipt = await make_receipt(env.store, env.shop, env.clock(), status=S.DRAFT)
    until = env.clock() + timedelta(seconds=60)
    dead = "host:1:aa"
    await env.store.replicas.beat(dead, env.clock())
    assert await env.store.receipts.take_issue_lease(receipt.id, env.clock(), until, dead)
    recovery = env.recovery()
    stop = asyncio.Event()
    running = asyncio.create_task(recovery.run(stop))
    try:
        await asyncio.sleep(0.1)
        assert await env.told() == []  # its holder's, for all the recovery knows
        env.clock.advance(seconds=10)
        seen_before = env.clock() - timedelta(seconds=8)
        assert await env.store.replicas.free_dead([dead], env.clock(), seen_before=seen_before)
        env.clock.advance(seconds=0.001)
        recovery.wake()
        for _ in range(50):
            if await env.told():
                break
            await asyncio.sleep(0.05)
        assert await env.told() == [(env.shop.cashier_id, NotificationKind.OUTCOME)]
    finally:
        stop.set()
        await running
