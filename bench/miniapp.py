"""Benchmark: the Mini App's API on a shop of 100,000 receipts (SQLite), beside a bare
aiohttp handler in the same process as the baseline.

    PYTHONPATH=. .venv/bin/python bench/miniapp.py [--receipts 100000] [--runs 200]

Seeds the receipts straight into a fresh SQLite database (a week of them: awaiting, paid,
expired, over four channels, with contacts), then times through HTTP on 127.0.0.1, `runs`
times each, with a signed initData: Today, the registry's first page, its page 2,500 rows
deep (keyset), a search by amount, by part of a phone, filters (status + channel + dates),
a receipt's page and this month's report. Prints p50/p99 beside the bare handler's and
PASS/FAIL against: every call p99 < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parent.parent
# bench/storage.py must not shadow the `storage` package: the repository first, not bench/
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from bot.miniapp.auth import RateLimit  # noqa: E402
from bot.miniapp.context import MiniAppDeps  # noqa: E402
from bot.miniapp.web import add_miniapp  # noqa: E402
from bot.wiring import wire_services  # noqa: E402
from services.config import Settings  # noqa: E402
from services.core.crypto import make_secret_box  # noqa: E402
from storage.sqlite.store import SqliteStore  # noqa: E402
from tests.miniapp.initdata import TOKEN, sign_init_data  # noqa: E402

P99_MS = 200.0
OWNER = 10_001
STATUSES = ("awaiting", "paid", "paid", "paid", "expired")
CHANNELS = ("email", "sms", "privat24", "link")


def seed(path: Path, shop_id: int, count: int, now: datetime) -> None:
    rows = []
    for i in range(count):
        created = (now - timedelta(seconds=i * 6)).timestamp()  # a week of receipts
        status, channel = STATUSES[i % 5], CHANNELS[i % 4]
        contact = {"email": f"buyer{i}@example.com", "link": None}.get(channel, f"38050{i:07d}")
        rows.append((
            shop_id, count - i, OWNER, 1000 + (i * 37) % 500_000, "UAH", f"Goods {i % 997}",
            channel, contact, f"bench-{i}", status, created + 86_400, created,
            created + 60 if status == "paid" else None,
            "registered" if status == "paid" else None,
        ))  # fmt: skip
    rows.reverse()  # oldest first: ids grow with time, as in a shop
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO receipts (shop_id, number, cashier_id, amount, currency, description, "
            "channel, contact, order_id, status, expires_at, created_at, paid_at, fiscal_state) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run(args: argparse.Namespace, tmp: Path) -> bool:
    now = datetime.now(UTC)
    path = tmp / "bench.sqlite3"
    store = await SqliteStore.open(str(path))
    shop = await store.shops.create_shop(OWNER, "Owner", "Bench shop", now)
    await store.close()
    started = time.perf_counter()
    seed(path, shop.shop_id, args.receipts, now)
    print(f"seeded {args.receipts} receipts in {time.perf_counter() - started:.1f} s")
    store = await SqliteStore.open(str(path))
    settings = Settings(
        bot_token=TOKEN,  # type: ignore[arg-type]
        database_path=path,
        secret_key="bench-secret-key-that-is-long-enough",  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    ok = True
    async with aiohttp.ClientSession() as http:
        box = make_secret_box("bench-secret-key-that-is-long-enough", tmp)
        services = wire_services(settings, http, store, box)
        app = web.Application()
        add_miniapp(app, MiniAppDeps(services, TOKEN, limit=RateLimit(1e9, 1e9)))

        async def bare(request: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        app.router.add_get("/bare", bare)
        headers = {"Authorization": "tma " + sign_init_data(OWNER, now)}
        async with TestServer(app) as server:
            base = str(server.make_url(""))
            middle = (await store.receipts.get(args.receipts // 2)) or None
            deep = str(args.receipts - 2500)
            since = (now - timedelta(days=3)).date().isoformat()
            calls = {
                "bare aiohttp handler (baseline)": ("/bare", {}),
                "today": ("/app/api/today", {}),
                "receipts, first page": ("/app/api/receipts", {}),
                "receipts, 2,500 rows deep": ("/app/api/receipts", {"before": deep}),
                "search by amount (1 250)": ("/app/api/receipts", {"q": "1 250"}),
                "search by part of a phone": ("/app/api/receipts", {"q": "0501234"}),
                "filters: paid, sms, 3 days": (
                    "/app/api/receipts",
                    {"status": "paid", "channel": "sms", "from": since},
                ),
                "a receipt's page": (f"/app/api/receipts/{middle.id if middle else 1}", {}),
                "report, this month": ("/app/api/reports", {"period": "this_month"}),
            }
            print(f"{'call':32} {'p50 ms':>8} {'p99 ms':>8}")
            async with aiohttp.ClientSession(base_url=base) as client:
                for name, (url, params) in calls.items():
                    samples = []
                    for n in range(args.runs + 1):
                        t0 = time.perf_counter()
                        async with client.get(url, params=params, headers=headers) as r:
                            await r.read()
                            assert r.status == 200, (name, r.status)
                        if n:
                            samples.append(time.perf_counter() - t0)
                    p50, p99 = pct(samples, 0.5), pct(samples, 0.99)
                    ok = ok and p99 < P99_MS
                    print(f"{name:32} {p50:8.1f} {p99:8.1f}", flush=True)
    await store.close()
    print(("PASS" if ok else "FAIL") + f": every call p99 < {P99_MS:.0f} ms")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--receipts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        return 0 if asyncio.run(run(args, Path(tmp))) else 1


if __name__ == "__main__":
    raise SystemExit(main())
