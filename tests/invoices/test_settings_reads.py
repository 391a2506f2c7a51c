"""One Confirm reads the shop's settings once, on the real SQLite store: the issuing service
reads them and hands them to the key check, the reminders of the move and the SMS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from bot.wiring import build_dispatcher, open_database, open_secret_box, wire_services
from services.config import Settings
from storage.models.settings import ShopSettings
from tests.bot_fixtures import (
    CASHIER,
    INVOICE_OK,
    LIQPAY_REQUEST,
    LIQPAY_URL,
    BotWorld,
    join_cashier,
    make_shop_by_bot,
)
from tests.conftest import WallClock
from tests.doubles.liqpay_mock import liqpay_answer
from tests.doubles.recording_bot import make_bot
from tests.doubles.turbosms_mock import SMS_URL, queue_sms, sent_sms


class CountingSettings:
    """The store's settings repository, counting its `get` calls."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reads = 0

    async def get(self, shop_id: int) -> ShopSettings:
        self.reads += 1
        return await self.inner.get(shop_id)  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class CountingStore:
    """The real store, its settings repository wrapped in CountingSettings."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.settings = CountingSettings(inner.settings)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
async def counted(tmp_path: Path) -> AsyncIterator[tuple[BotWorld, CountingSettings]]:
    settings = Settings(
        bot_token="42:TEST-token-abcdefghijklmnopqrstu",  # type: ignore[arg-type]
        database_path=tmp_path / "data" / "bot.sqlite3",
        liqpay_api_url=LIQPAY_URL,
        secret_key="test-secret-key-that-is-long-enough",  # type: ignore[arg-type]
        sms_api_url=SMS_URL,
        _env_file=None,  # type: ignore[call-arg]
    )
    with aioresponses(passthrough_unmatched=False) as mocked:
        http = aiohttp.ClientSession()
        store = CountingStore(await open_database(settings))
        clock = WallClock()
        services = wire_services(settings, http, store, open_secret_box(settings), clock)
        bot, session = make_bot()
        dp = build_dispatcher(services, settings)
        yield BotWorld(dp, bot, session, services, settings, mocked, clock), store.settings
        await http.close()
        await store.inner.close()


async def test_one_confirm_reads_the_shop_settings_once(
    counted: tuple[BotWorld, CountingSettings],
) -> None:
    world, shop_settings = counted
    await make_shop_by_bot(world)
    await join_cashier(world)
    await world.say(CASHIER, "/new")
    await world.say(CASHIER, "250.50")
    await world.press(CASHIER, "Skip")
    await world.press(CASHIER, "E-mail")
    await world.say(CASHIER, "customer@example.com")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    before = shop_settings.reads
    replies = await world.press(CASHIER, "Confirm")
    assert any("tok123" in r for r in replies), replies
    assert shop_settings.reads - before == 1


async def test_one_sms_confirm_reads_the_shop_settings_once(
    counted: tuple[BotWorld, CountingSettings],
) -> None:
    world, shop_settings = counted
    await make_shop_by_bot(world)
    await join_cashier(world)
    box = world.services.receipts.box
    await world.services.store.settings.save_sms_gateway(1, box.encrypt("turbo-token"), "Shop")
    await world.say(CASHIER, "/new")
    await world.say(CASHIER, "250.50")
    await world.press(CASHIER, "Skip")
    await world.press(CASHIER, "SMS")
    await world.say(CASHIER, "067 123 45 67")
    queue_sms(world.liqpay)
    before = shop_settings.reads
    await world.press(CASHIER, "Confirm")
    assert len(sent_sms(world.liqpay)) == 1  # the settings read once served the SMS too
    assert shop_settings.reads - before == 1
