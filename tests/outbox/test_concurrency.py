"""OutboxSender sends to different chats at once: one chat's notices still in order and
1/s apart, and a chat Telegram tells to wait does not hold the others back."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import TelegramMethod

from bot.i18n import DEFAULT_LOCALE, setup_i18n
from bot.outbox.sender import OutboxSender
from bot.receipts.notices import notification
from services.core.clock import utcnow
from services.core.crypto import SecretBox
from services.notifications.jobs import OutboxSignal
from storage.sqlite.store import SqliteStore
from tests.builders import make_shop
from tests.conftest import FakeClock
from tests.doubles.recording_bot import RecordingSession, telegram_error
from tests.outbox.test_outbox import bot, paid, sender, session, states

__all__ = ["bot", "session"]  # the fixtures

TELEGRAM = 0.1  # seconds Telegram takes to answer each call


class SlowSession(RecordingSession):
    """Answers every call after TELEGRAM seconds; keeps when each call started and ended."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[int, float, float]] = []  # (chat, started, answered)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        started = time.monotonic()
        await asyncio.sleep(TELEGRAM)
        try:
            return await super().make_request(bot, method, timeout)
        finally:
            chat = int(getattr(method, "chat_id", 0) or 0)
            self.calls.append((chat, started, time.monotonic()))


@pytest.fixture
def slow() -> SlowSession:
    setup_i18n()
    return SlowSession()


def real_sender(store: SqliteStore, session: RecordingSession, **kw: Any) -> OutboxSender:
    bot = Bot(token="42:TEST-TOKEN-FOR-TESTS-ONLY", session=session)
    return OutboxSender(store.jobs, store.receipts, store.users, bot, OutboxSignal(), utcnow, **kw)


async def test_two_chats_notices_overlap_in_time(
    store: SqliteStore, box: SecretBox, slow: SlowSession
) -> None:
    """The owner's notice does not wait for the cashier's answer."""
    shop = await make_shop(store, box, utcnow())
    await paid(store, shop, FakeClock(utcnow()))

    await real_sender(store, slow).drain()

    [(first, _, answered), (second, started, _)] = sorted(slow.calls, key=lambda c: c[2])
    assert {first, second} == {shop.cashier_id, shop.owner_id}
    assert started < answered  # the second chat's send began before the first's answer


async def test_each_chat_in_order_and_one_a_second_while_chats_go_together(
    store: SqliteStore, box: SecretBox, slow: SlowSession
) -> None:
    now = utcnow()
    shops = [
        await make_shop(store, box, now, owner_id=600 + n, cashier_id=600 + n) for n in range(4)
    ]
    made = {
        one.owner_id: [await paid(store, one, FakeClock(now)) for _ in range(3)] for one in shops
    }
    outbox = real_sender(store, slow, per_chat_interval=1)
    stop = asyncio.Event()
    task = asyncio.create_task(outbox.run(stop))
    async with asyncio.timeout(30):
        while len(slow.calls) < 12:
            slow.arrived.clear()
            await slow.arrived.wait()
    await asyncio.sleep(TELEGRAM * 2)  # the last call is answered
    stop.set()
    await task

    for chat, receipts in made.items():
        expected = [notification("paid", r, DEFAULT_LOCALE) for r in receipts]
        assert [text for to, text in slow.chat_texts() if to == chat] == expected
        calls = [c for c in slow.calls if c[0] == chat]
        for (_, _, answered), (_, started, _) in itertools.pairwise(calls):
            assert started - answered >= 0.99  # a second after the previous answer
    overlapping = [
        (a, b) for a in slow.calls for b in slow.calls if a[0] != b[0] and a[1] < b[1] < a[2]
    ]
    assert overlapping  # chats went together
    assert {state for _, _, state in await states(store)} == {"done"}


async def test_a_429_for_one_chat_does_not_pause_another(
    store: SqliteStore, box: SecretBox, clock: FakeClock, bot: Bot, session: RecordingSession
) -> None:
    waits = await make_shop(store, box, clock(), owner_id=500, cashier_id=500)
    goes = await make_shop(store, box, clock(), owner_id=501, cashier_id=501)
    await paid(store, waits, clock)
    await paid(store, goes, clock)
    await paid(store, goes, clock)
    session.queue(500, telegram_error(429, "Too Many Requests: retry after 1", retry_after=1))
    outbox = sender(store, bot, clock)

    await outbox.drain()
    await outbox.drain()

    assert [chat for chat, _ in session.chat_texts()] == [500, 501, 501]  # 500's was refused
    assert await states(store) == [
        (500, "paid", "pending"),
        (501, "paid", "done"),
        (501, "paid", "done"),
    ]
    clock.advance(seconds=1)
    await outbox.drain()
    assert [chat for chat, _ in session.chat_texts()] == [500, 501, 501, 500]
