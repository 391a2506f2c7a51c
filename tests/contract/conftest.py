"""Fixtures of the storage contract suite: every test runs once per engine in ENGINES and
sees only the protocols of storage/protocols/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from storage.models.jobs import NewJob
from storage.models.receipts import Channel, NewDraft, Receipt
from storage.protocols.store import Store
from tests.conftest import FakeClock
from tests.contract.engines import ENGINES, Opener


@pytest.fixture(params=sorted(ENGINES))
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    return await ENGINES[request.param](request, tmp_path)


@pytest.fixture
async def store(open_store: Opener) -> AsyncIterator[Store]:
    opened = await open_store()
    yield opened
    await opened.close()


def new_draft(
    shop_id: int,
    clock: FakeClock,
    *,
    key: str,
    cashier_id: int = 1,
    amount: int = 25050,
    description: str | None = None,
) -> NewDraft:
    return NewDraft(
        shop_id=shop_id,
        cashier_id=cashier_id,
        amount=amount,
        currency="UAH",
        description=description or "Coffee",
        channel=Channel.EMAIL,
        contact="buyer@example.com",
        idempotency_key=key,
        order_id=f"order-{key}",
        expires_at=clock() + timedelta(days=1),
    )


_keys = iter(range(1, 10**9))


async def make_draft(
    store: Store,
    clock: FakeClock,
    shop_id: int,
    *,
    cashier_id: int = 1,
    jobs: tuple[NewJob, ...] = (),
) -> Receipt:
    draft = new_draft(shop_id, clock, key=f"k{next(_keys)}", cashier_id=cashier_id)
    receipt, created = await store.receipts.create_draft(draft, clock(), jobs)
    assert created
    return receipt
