"""A shop served by the Mini App's API on each engine, with LiqPay's stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.miniapp.context import MiniAppDeps
from bot.miniapp.web import add_miniapp
from bot.wiring import Services, wire_services
from services.config import Settings
from services.core.crypto import SecretBox
from tests.builders import PRIVATE_KEY, PUBLIC_KEY, Shop, make_shop
from tests.conftest import WallClock
from tests.contract.engines import ENGINES
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.recording_bot import RecordingSession, make_bot
from tests.miniapp.initdata import TOKEN, sign_init_data


@dataclass
class AppWorld:
    client: TestClient[Any, Any]
    services: Services
    shop: Shop
    fake: FakeLiqPay
    clock: WallClock
    box: SecretBox
    telegram: RecordingSession

    def auth(self, user_id: int, language: str = "uk") -> dict[str, str]:
        init = sign_init_data(user_id, self.clock() - timedelta(minutes=1), language=language)
        return {"Authorization": f"tma {init}"}

    async def get(
        self, path: str, user_id: int, language: str = "uk", **params: str
    ) -> tuple[int, Any]:
        headers = self.auth(user_id, language)
        async with self.client.get(path, headers=headers, params=params) as r:
            return r.status, await r.json()

    async def post(self, path: str, user_id: int, body: Any = None) -> tuple[int, Any]:
        async with self.client.post(path, headers=self.auth(user_id), json=body or {}) as r:
            return r.status, await r.json()


@pytest.fixture(params=sorted(ENGINES))
async def world(
    request: pytest.FixtureRequest, tmp_path: Path, box: SecretBox
) -> AsyncIterator[AppWorld]:
    store = await (await ENGINES[request.param](request, tmp_path))()
    clock = WallClock()
    async with FakeLiqPay() as fake, aiohttp.ClientSession() as http:
        fake.add_keys(PUBLIC_KEY, PRIVATE_KEY)
        settings = Settings(
            bot_token=TOKEN,  # type: ignore[arg-type]
            database_path=tmp_path / "bot.sqlite3",
            liqpay_api_url=fake.api_url,
            secret_key="test-secret-key-that-is-long-enough",  # type: ignore[arg-type]
            _env_file=None,  # type: ignore[call-arg]
        )
        services = wire_services(settings, http, store, box, clock)
        shop = await make_shop(store, box, clock())
        app = web.Application()
        bot, telegram = make_bot()
        add_miniapp(app, MiniAppDeps(services, TOKEN, bot=bot))
        async with TestClient(TestServer(app)) as client:
            yield AppWorld(client, services, shop, fake, clock, box, telegram)
    await store.close()
