"""Fixtures of the storage contract suite: `store` is a fresh store of each engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.protocols import Store
from tests.contract.engines import ENGINES


@pytest.fixture(params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def store(engine: str, request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    opened = await ENGINES[engine](request)
    try:
        yield opened
    finally:
        await opened.close()
