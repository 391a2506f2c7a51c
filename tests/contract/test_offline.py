"""Contract: a shop's register in Checkbox's offline mode (store.offline) — its mode written
before going offline, the last fiscal date never going back, offline codes each claimed once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

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
