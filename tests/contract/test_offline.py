"""Contract: a shop's register in Checkbox's offline mode (store.offline) — its mode written
before going offline, the last fiscal date never going back, offline codes each claimed once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from services.fiscal import policy, returns
from services.refunds.ledger import FISCAL_RETURN
from storage.models.jobs import Job, NewJob
from storage.models.offline import OfflineRegister, RegisterMode
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock


async def test_a_register_is_online_until_written(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    assert await store.offline.register(shop.shop_id) == OfflineRegister(shop.shop_id)


async def test_the_mode_is_kept_and_the_last_document_never_goes_back(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    since = clock() - timedelta(minutes=10)
    await store.offline.set_mode(shop.shop_id, RegisterMode.OFFLINE, since, clock())
    register = await store.offline.register(shop.shop_id)
    assert (register.mode, register.offline_since) == (RegisterMode.OFFLINE, since)
    await store.offline.note_document(shop.shop_id, since, clock())
    await store.offline.note_document(shop.shop_id, since - timedelta(hours=1), clock())
    assert (await store.offline.register(shop.shop_id)).last_document_at == since
    await store.offline.set_mode(shop.shop_id, RegisterMode.ONLINE, None, clock())
    register = await store.offline.register(shop.shop_id)
    assert (register.mode, register.offline_since, register.last_document_at) == (
        RegisterMode.ONLINE, None, since
    )  # fmt: skip


async def test_codes_are_kept_once_and_each_claimed_once(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    other = await make_owner(store, clock, owner_id=777)
    assert await store.offline.add_codes(shop.shop_id, ["A1", "A2", "A3"], clock()) == 3
    assert await store.offline.add_codes(shop.shop_id, ["A2", "A4"], clock()) == 1
    assert await store.offline.add_codes(other.shop_id, ["A1"], clock()) == 1
    assert await store.offline.unused_codes(shop.shop_id) == 4
    claimed = await store.offline.claim_codes(shop.shop_id, ["go", "r1"], clock())
    assert claimed is not None and len(set(claimed.values())) == 2
    # claimed again (a run after a crash): the same codes, none more used
    assert await store.offline.claim_codes(shop.shop_id, ["r1", "go"], clock()) == claimed
    assert await store.offline.unused_codes(shop.shop_id) == 2
    # not enough for all: nothing claimed
    assert await store.offline.claim_codes(shop.shop_id, ["r2", "r3", "r4"], clock()) is None
    assert await store.offline.unused_codes(shop.shop_id) == 2
    # a used code obtained again stays used
    await store.offline.add_codes(shop.shop_id, list(claimed.values()), clock())
    assert await store.offline.unused_codes(shop.shop_id) == 2
    assert await store.offline.unused_codes(other.shop_id) == 1


async def test_concurrent_claims_never_share_a_code(store: Store, clock: FakeClock) -> None:
    shop = await make_owner(store, clock)
    await store.offline.add_codes(shop.shop_id, [f"C{i}" for i in range(6)], clock())
    results = await asyncio.gather(
        *(store.offline.claim_codes(shop.shop_id, [f"p{i}"], clock()) for i in range(8))
    )
    codes = [c for r in results if r is not None for c in r.values()]
    assert len(codes) == 6 and len(set(codes)) == 6
    assert sum(r is None for r in results) == 2


async def test_a_new_license_key_drops_the_old_registers_offline_state(
    store: Store, clock: FakeClock
) -> None:
    shop = await make_owner(store, clock)
    other = await make_owner(store, clock, owner_id=777)
    await store.fiscal.save_credentials(shop.shop_id, b"k1", b"p1", None, clock(), register="A")
    await store.offline.add_codes(shop.shop_id, ["A1", "A2"], clock())
    await store.offline.add_codes(other.shop_id, ["B1"], clock())
    assert await store.offline.claim_codes(shop.shop_id, ["go"], clock()) == {"go": "A1"}
    await store.offline.set_mode(shop.shop_id, RegisterMode.OFFLINE, clock(), clock())
    await store.offline.note_document(shop.shop_id, clock(), clock())
    # the same register (a new PIN, the same key saved again): its state stays
    await store.fiscal.save_credentials(shop.shop_id, b"k2", b"p2", None, clock(), register="A")
    kept = await store.offline.register(shop.shop_id)
    assert (kept.mode, kept.last_document_at) == (RegisterMode.OFFLINE, clock())
    assert await store.offline.unused_codes(shop.shop_id) == 1
    # another register: none of the old one's codes, mode or last document
    await store.fiscal.save_credentials(shop.shop_id, b"k3", b"p3", None, clock(), register="B")
    assert await store.offline.register(shop.shop_id) == OfflineRegister(shop.shop_id)
    assert await store.offline.unused_codes(shop.shop_id) == 0
    assert await store.offline.claim_codes(shop.shop_id, ["go2"], clock()) is None
    await store.offline.add_codes(shop.shop_id, ["A1", "C1"], clock())  # its own codes
    assert await store.offline.claim_codes(shop.shop_id, ["go"], clock()) == {"go": "A1"}
    assert await store.offline.unused_codes(other.shop_id) == 1  # another shop's untouched
    settings = await store.fiscal.get(shop.shop_id)
    assert settings is not None and settings.license_key_enc == b"k3"


async def test_a_shops_sales_returns_and_late_batch_never_run_at_once(
    store: Store, clock: FakeClock
) -> None:
    """Everything that touches a shop's register is in its job group: while one of them is
    claimed, no other of that shop is; another shop's go on."""
    shop = await make_owner(store, clock)
    other = await make_owner(store, clock, owner_id=777)
    lease = timedelta(minutes=1)

    def unbound(job: NewJob) -> NewJob:
        return replace(job, receipt_id=None)

    late = unbound(policy.late_job(shop.shop_id, 1, 1))
    sale = unbound(policy.sale_job(shop.shop_id, 2, 1))
    back = NewJob(FISCAL_RETURN, {"amount": 1, "total": 1}, dedupe_key="r")
    ret = unbound(returns.register_job(shop.shop_id, await _job(store, back, clock)))
    elsewhere = unbound(policy.sale_job(other.shop_id, 3, 1))
    await store.jobs.enqueue([late, sale, ret, elsewhere], clock())

    async def claim(kind: str, worker: str) -> list[int]:
        taken = await store.jobs.claim(kind, worker, limit=10, lease=lease, now=clock())
        return [j.id for j in taken]

    [late_id] = await claim(policy.FISCAL_LATE, "w1")
    sales = await store.jobs.find(kind=policy.FISCAL_SALE)
    [other_sale] = [j.id for j in sales if j.group_key == policy.register_group(other.shop_id)]
    assert await claim(policy.FISCAL_SALE, "w2") == [other_sale]  # the other shop's only
    assert await claim(returns.FISCAL_REGISTER_RETURN, "w3") == []
    assert await store.jobs.finish(late_id, "w1", clock())
    [sale_id] = await claim(policy.FISCAL_SALE, "w2")
    assert await claim(returns.FISCAL_REGISTER_RETURN, "w3") == []
    assert await store.jobs.finish(sale_id, "w2", clock())
    assert len(await claim(returns.FISCAL_REGISTER_RETURN, "w3")) == 1


async def _job(store: Store, new: NewJob, clock: FakeClock) -> Job:
    await store.jobs.enqueue([new], clock())
    [job] = await store.jobs.find(kind=new.kind)
    return job
