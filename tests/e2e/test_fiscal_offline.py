"""A late receipt dated at its payment through Checkbox's offline mode, end to end: the real
`python -m bot` against the stand-ins, SIGKILLed in the middle of going offline, selling
offline or going online; the restart leaves the register online and the sale made once."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.core.clock import utcnow
from services.fiscal.registrar import receipt_uuid
from storage.models.offline import RegisterMode
from storage.sqlite.store import SqliteStore
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_fiscal import LICENSE, checkbox_with_register, fiscal_owner, sent_invoice

CODES = [f"OFF-{i:07d}" for i in range(20)]
SELL_OFFLINE = "/api/v1/receipts/sell-offline"


@pytest.fixture
async def checkbox() -> AsyncIterator[FakeCheckbox]:
    async with checkbox_with_register(hang_seconds=60) as fake:
        yield fake


async def stock_codes(bot: BotProcess, checkbox: FakeCheckbox, owner_id: int) -> int:
    """Offline codes the bot obtained earlier, at Checkbox and in the bot's database."""
    checkbox.offline.of(LICENSE).codes.extend(CODES)
    store = await SqliteStore.open(bot.database_path)
    try:
        member = await store.shops.get_member(owner_id)
        assert member is not None
        await store.offline.add_codes(member.shop_id, CODES, utcnow())
        return member.shop_id
    finally:
        await store.close()


async def register_mode(bot: BotProcess, shop_id: int) -> RegisterMode:
    store = await SqliteStore.open(bot.database_path)
    try:
        return (await store.offline.register(shop_id)).mode
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("path", "processed"),
    [
        ("/api/v1/cash-registers/go-offline", True),  # offline at Checkbox, the answer lost
        (SELL_OFFLINE, True),  # the sale made, the answer lost
        ("/api/v1/cash-registers/go-online", False),  # killed while going online
    ],
)
async def test_killed_in_the_middle_of_offline_mode_restarts_online_and_sells_once(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    checkbox: FakeCheckbox,
    path: str,
    processed: bool,
) -> None:
    owner = await fiscal_owner(bot_process, checkbox, fake_telegram, fake_liqpay)
    shop_id = await stock_codes(bot_process, checkbox, owner.user.id)
    order = await sent_invoice(owner, fake_liqpay)
    checkbox.hang_next(path, processed=processed)
    paid_ms = int((time.time() - 600) * 1000)  # the callback comes 10 minutes late
    assert await fake_liqpay.pay(order, end_date_ms=paid_ms) == 200
    await checkbox.wait_for_request("POST", path, timeout=30)
    await bot_process.kill()  # SIGKILL in the middle
    checkbox.release()  # the request in flight reaches Checkbox (or had already)
    await bot_process.start(timeout=60)
    await owner.hears("is registered with the tax service", timeout=60)
    [receipt] = checkbox.receipts.values()
    assert receipt.id == receipt_uuid(order)
    assert receipt.offline and receipt.sent_at is not None
    assert receipt.fiscal_date == datetime.fromtimestamp(paid_ms / 1000, UTC)
    assert [r.body["id"] for r in checkbox.requests_to("POST", SELL_OFFLINE)] == [receipt.id]
    assert checkbox.sells() == []
    assert not checkbox.offline.of(LICENSE).offline
    assert await register_mode(bot_process, shop_id) is RegisterMode.ONLINE
    await bot_process.stop()
