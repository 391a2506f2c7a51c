"""The fiscal tests' desk (tests/fiscal_fixtures.py) as fixtures: the stand-in Checkbox, an
HTTP session, a shop with its register set up and the desk wired to them. The `clock` is
the test module's (or tests/conftest.py's); a module may override any of these."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from services.core.crypto import SecretBox
from storage.sqlite.store import SqliteStore
from tests.builders import Shop, make_shop
from tests.conftest import FakeClock
from tests.doubles.checkbox import FakeCheckbox
from tests.fiscal_fixtures import Desk, make_desk, set_up_register


@pytest.fixture
async def fake() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def shop(store: SqliteStore, box: SecretBox, clock: FakeClock, fake: FakeCheckbox) -> Shop:
    made = await make_shop(store, box, clock())
    await set_up_register(store, box, fake, made, clock())  # the shop's tax code: 8
    return made


@pytest.fixture
def desk(
    store: SqliteStore, http: aiohttp.ClientSession, box: SecretBox, fake: FakeCheckbox,
    clock: FakeClock,
) -> Desk:  # fmt: skip
    return make_desk(store, http, box, fake, clock)
