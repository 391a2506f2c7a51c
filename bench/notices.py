"""Benchmark: a burst of notices through the real outbox sender, beside Telegram's limits.

    .venv/bin/python bench/notices.py [--notices 1000] [--chats 250] [--telegram-ms 50]

Queues `notices` end-of-day digests (notification jobs, as the reminder worker writes them)
for `chats` chats, a few each, in a temporary SQLite store, and lets the real
`bot.outbox.sender.OutboxSender` send them (its bot made like the process makes it: no
inline retry on 429) to a stand-in Bot API (tests/doubles/telegram.py) on 127.0.0.1 that
answers every call after `telegram-ms` and holds the bot to Telegram's limits: at most
LIMIT messages in any second, and one message a second to each chat; a message over
either gets 429 with `retry_after` 1, as Telegram does.

Prints the rate achieved (from the first send to the last delivered) beside LIMIT/s, the
429s of each kind, and PASS/FAIL against: rate >= 90 % of LIMIT/s, no message to a chat
within a second of the one before it delivered. Exit code 0 on PASS, 1 on FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiogram import Bot  # noqa: E402
from aiogram.client.default import DefaultBotProperties  # noqa: E402
from aiogram.enums import ParseMode  # noqa: E402

from bot.outbox.sender import OutboxSender  # noqa: E402
from bot.telegram import telegram_session  # noqa: E402
from services.core.clock import utcnow  # noqa: E402
from services.notifications.jobs import NotificationKind, OutboxSignal, notify_job  # noqa: E402
from storage.sqlite.store import SqliteStore  # noqa: E402
from tests.doubles.telegram import FakeTelegram, TelegramError  # noqa: E402

TOKEN = "123456:bench-token-abcdefghijklmnopqrstuvwxyz"
LIMIT = 30  # messages a second, all chats together (Telegram's documented ~30/s)
TARGET = 0.9


class LimitedTelegram(FakeTelegram):
    """The Bot API stand-in with Telegram's two send limits, counted when a send is handled."""

    def __init__(self) -> None:
        super().__init__(TOKEN, require_started=False)
        self.last_second: collections.deque[float] = collections.deque()
        self.last_to: dict[int, float] = {}
        self.over_global = 0
        self.over_chat = 0
        self.delivered: list[float] = []
        self.expected = 0
        self.all_delivered = asyncio.Event()

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        now, chat = time.monotonic(), int(params["chat_id"])
        while self.last_second and now - self.last_second[0] >= 1.0:
            self.last_second.popleft()
        if len(self.last_second) >= LIMIT:
            self.over_global += 1
            raise TelegramError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if chat in self.last_to and now - self.last_to[chat] < 1.0:
            self.over_chat += 1
            raise TelegramError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self.last_second.append(now)
        self.last_to[chat] = now
        self.delivered.append(now)
        if len(self.delivered) >= self.expected:
            self.all_delivered.set()
        return await super()._m_sendmessage(params)


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-notices-") as tmp:
        store = await SqliteStore.open(Path(tmp) / "bot.sqlite3")
        async with LimitedTelegram() as tg:
            tg.latency = args.telegram_ms / 1000
            day = utcnow().date().isoformat()
            jobs = [
                notify_job(
                    100_000 + n % args.chats,
                    NotificationKind.DIGEST,
                    day=day,
                    own=False,
                    paid=[],
                    unpaid=[],
                )
                for n in range(args.notices)
            ]
            await store.jobs.enqueue(jobs, utcnow())
            bot = Bot(
                TOKEN,
                session=telegram_session(tg.url, retry_after=False),
                default=DefaultBotProperties(parse_mode=ParseMode.HTML),
            )
            signal, stop = OutboxSignal(), asyncio.Event()
            sender = OutboxSender(
                store.jobs, store.receipts, store.users, bot, signal, shops=store.shops
            )
            started = time.monotonic()
            running = asyncio.create_task(sender.run(stop))
            signal.notify()
            tg.expected = args.notices
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tg.all_delivered.wait(), 600)
            stop.set()
            signal.notify()
            await running
            await bot.session.close()
        await store.close()
    delivered = tg.delivered
    spent = delivered[-1] - started if delivered else float("inf")
    rate = len(delivered) / spent
    print(
        f"{len(delivered)} of {args.notices} notices to {args.chats} chats in {spent:.1f} s: "
        f"{rate:.1f} messages/s beside Telegram's {LIMIT}/s ({rate / LIMIT:.0%}); "
        f"stand-in latency {args.telegram_ms:.0f} ms per call"
    )
    print(f"429 answers: {tg.over_global} over {LIMIT}/s, {tg.over_chat} over 1/s to a chat")
    met = len(delivered) == args.notices and rate >= TARGET * LIMIT and tg.over_chat == 0
    print("PASS" if met else f"FAIL: target >= {TARGET * LIMIT:.0f} messages/s, 0 over 1/s a chat")
    return 0 if met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=250)
    parser.add_argument("--telegram-ms", type=float, default=50)
    sys.exit(asyncio.run(main(parser.parse_args())))
