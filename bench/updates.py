"""Benchmark: whole /new dialogs through the real dispatcher versus a bare aiogram echo bot.

    .venv/bin/python bench/updates.py [--cashiers 20] [--rounds 3]

Builds the real services and dispatcher (bot.wiring build_services / build_dispatcher) on a
temporary SQLite store, against the stand-in Bot API (tests/doubles/telegram.py) and LiqPay
(tests/doubles/liqpay.py), both served on 127.0.0.1 in this process. `cashiers` members of
one shop each walk `rounds` whole /new dialogs (/new, amount, description, channel Link,
Confirm) at the same time; each update is built by the stand-in and fed with
dp.feed_update. Then the same dispatcher (build_dispatcher: dialog storage, isolation,
middlewares) with one handler that answers the message instead of the bot's routers gets
as many text updates through the same stand-in. Prints updates/s and p50/p99 per update of both,
and PASS/FAIL against: dialog throughput >= 1/2 of echo.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiogram import Bot, Dispatcher, Router  # noqa: E402
from aiogram.types import Message, Update  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402

from storage.models.receipts import ReceiptStatus  # noqa: E402
from tests.doubles.liqpay import FakeLiqPay  # noqa: E402
from tests.doubles.telegram import FakeTelegram, TgUser  # noqa: E402

TOKEN = "123456:bench-token-abcdefghijklmnopqrstuvwxyz"
OWNER_ID = 5000
TARGET_RATIO = 1 / 2


class Feeder:
    """Takes the update the stand-in queued for a person's action and feeds it, timed."""

    def __init__(self, fake: FakeTelegram, bot: Bot, dp: Dispatcher) -> None:
        self.fake, self.bot, self.dp = fake, bot, dp
        self.latencies: list[float] = []
        self.by_step: dict[str, list[float]] = {}

    async def feed(self, action: Callable[[], Awaitable[Any]], step: str = "echo") -> None:
        await action()
        raw = self.fake._updates.pop()  # the update the action just queued
        update = Update.model_validate(raw, context={"bot": self.bot})
        started = time.perf_counter()
        await self.dp.feed_update(self.bot, update)
        elapsed = time.perf_counter() - started
        self.latencies.append(elapsed)
        self.by_step.setdefault(step, []).append(elapsed)


async def walk(feeder: Feeder, fake: FakeTelegram, user: TgUser, rounds: int) -> None:
    for r in range(rounds):
        await feeder.feed(lambda: fake.send_text(user, "/new"), "/new")
        amount = f"{100 + r},50"
        await feeder.feed(lambda a=amount: fake.send_text(user, a), "amount")  # type: ignore[misc]
        await feeder.feed(lambda: fake.send_text(user, "Coffee"), "description")
        channels = fake.last_message(user.id)
        assert channels is not None
        await feeder.feed(lambda m=channels: fake.press(user, m, "Link"), "Link")  # type: ignore[misc]
        summary = fake.last_message(user.id)
        assert summary is not None
        await feeder.feed(lambda m=summary: fake.press(user, m, "Confirm"), "Confirm")  # type: ignore[misc]


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def line(name: str, samples: list[float], seconds: float) -> str:
    return (
        f"{name:<7} {len(samples)} updates in {seconds:.2f} s: {len(samples) / seconds:,.0f} "
        f"updates/s, p50 {pct(samples, 0.5):.1f} ms, p99 {pct(samples, 0.99):.1f} ms"
    )


async def run(args: argparse.Namespace, tmp: Path) -> tuple[list[float], float, list[float], float]:
    from bot.wiring import build_bot, build_dispatcher, build_services, open_secret_box
    from services.config import Settings

    fake = await FakeTelegram(require_started=False).start()
    liqpay = await FakeLiqPay().start()
    try:
        settings = Settings(  # type: ignore[call-arg]
            bot_token=TOKEN,
            telegram_api_url=fake.url,
            liqpay_api_url=liqpay.url + "/api/",
            database_path=tmp / "bench.sqlite3",
            secret_key=Fernet.generate_key().decode(),
        )
        async with aiohttp.ClientSession() as http:
            services = await build_services(settings, http)
            store = services.store
            now = datetime.now(UTC)
            owner = await store.shops.create_shop(OWNER_ID, "Owner", "Bench shop", now)
            box = open_secret_box(settings)
            await store.settings.save_keys(
                owner.shop_id, "sandbox_i1", box.encrypt("sandbox_priv"), True, now
            )
            users = []
            for i in range(args.cashiers):
                token = f"bench{i}"
                await store.shops.create_invite(
                    owner.shop_id, token, OWNER_ID, now, now + timedelta(days=1)
                )
                await store.shops.redeem_invite(token, 6000 + i, "Cashier", now)
                users.append(fake.user(6000 + i, "Cashier", "en"))
            bot = build_bot(settings)
            dp = build_dispatcher(services, settings)
            feeder = Feeder(fake, bot, dp)
            await walk(feeder, fake, users[0], 1)  # warm-up
            feeder.latencies.clear()
            feeder.by_step.clear()
            started = time.perf_counter()
            await asyncio.gather(*(walk(feeder, fake, u, args.rounds) for u in users))
            app_seconds = time.perf_counter() - started
            app = feeder.latencies
            for step, samples in feeder.by_step.items():
                p50, p99 = pct(samples, 0.5), pct(samples, 0.99)
                print(f"  step {step:<12} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
            _, awaiting = await store.receipt_queries.list_by_status(
                owner.shop_id, [ReceiptStatus.AWAITING], limit=1
            )
            expected = args.cashiers * args.rounds + 1
            print(f"receipts awaiting payment: {awaiting} (expected {expected}, warm-up included)")

            # The same dispatcher (dialog storage, per-person isolation, the member and locale
            # middlewares) with one handler that answers the message.
            echo_router = Router(name="echo")

            @echo_router.message()
            async def echo(message: Message) -> None:
                await message.answer(message.text or "")

            echo_dp = build_dispatcher(services, settings, routers=[echo_router])

            echo_feeder = Feeder(fake, bot, echo_dp)
            per_user = args.rounds * 5

            async def chat(u: TgUser) -> None:
                for k in range(per_user):
                    await echo_feeder.feed(lambda k=k: fake.send_text(u, f"hello {k}"))

            await chat(users[0])
            echo_feeder.latencies.clear()
            started = time.perf_counter()
            await asyncio.gather(*(chat(u) for u in users))
            echo_seconds = time.perf_counter() - started
            await bot.session.close()
            await store.close()
        return app, app_seconds, echo_feeder.latencies, echo_seconds
    finally:
        await liqpay.close()
        await fake.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cashiers", type=int, default=20, help="cashiers at once")
    parser.add_argument("--rounds", type=int, default=3, help="/new dialogs per cashier")
    args = parser.parse_args()
    if args.cashiers < 1 or args.rounds < 1:
        parser.error("--cashiers and --rounds must be positive")
    print(f"{args.cashiers} cashiers x {args.rounds} /new dialogs (5 updates each)", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-updates-") as tmp:
        app, app_s, echo, echo_s = asyncio.run(run(args, Path(tmp)))
    print(line("dialogs", app, app_s))
    print(line("echo", echo, echo_s))
    ratio = (len(app) / app_s) / (len(echo) / echo_s)
    ok = ratio >= TARGET_RATIO
    print(f"ratio dialogs/echo throughput: {ratio:.2f} (target >= {TARGET_RATIO:.2f})")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
