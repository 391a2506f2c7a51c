"""Every reconciliation test runs on each engine (tests/contract/engines.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from services.core.crypto import SecretBox
from storage.protocols.store import Store
from tests.conftest import WallClock
from tests.contract.engines import ENGINES
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import FakeLiqPay
from tests.reconcile_fixtures import ReconcileDesk, make_reconcile_desk


@pytest.fixture(params=sorted(ENGINES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await (await ENGINES[request.param](request, tmp_path))()
    yield opened
    await opened.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def liqpay() -> AsyncIterator[FakeLiqPay]:
    async with FakeLiqPay() as server:
        yield server


@pytest.fixture
async def checkbox() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as server:
        yield server


@pytest.fixture
async def desk(
    store: Store,
    http: aiohttp.ClientSession,
    box: SecretBox,
    liqpay: FakeLiqPay,
    checkbox: FakeCheckbox,
) -> ReconcileDesk:
    return await make_reconcile_desk(store, http, box, liqpay, checkbox, WallClock())
