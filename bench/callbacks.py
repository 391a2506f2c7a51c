"""Benchmark: LiqPay callbacks through the real HTTP app versus a bare aiohttp handler.

    .venv/bin/python bench/callbacks.py [--count 10000] [--concurrency 50]
                                        [--engine sqlite|postgresql|both]

Sets up a temporary database with one shop and `count // 2` awaiting receipts, starts the
real app (bot.web.build_web_app over the store + CallbackService; SQLite, or a throwaway
PostgreSQL from tests/servers) on 127.0.0.1 in a child
process, and fires `count` signed callbacks at it from this process with `concurrency`
requests in flight: one genuine `success` per receipt plus as many repeats, shuffled.
Then it does the same against a bare aiohttp handler that only reads the form and answers
200 "ok". Prints requests/s, p50 and p99 of both, the ratio, and PASS/FAIL against the
targets (app throughput >= 1/3 of bare, app p99 < 50 ms). Touches nothing but 127.0.0.1
and a temporary folder, and exits by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402

from services.config import CALLBACK_PATH  # noqa: E402

PUBLIC_KEY = "sandbox_i123"
PRIVATE_KEY = "priv-key"
OWNER_ID, CASHIER_ID = 1001, 2002
AMOUNT = 25050  # kopecks
TARGET_RATIO = 1 / 3
TARGET_P99_MS = 50.0
REQUEST_TIMEOUT = 30.0
WARMUP = 500  # requests before measuring, to both servers alike


# setup (parent process)


async def prepare_db(
    db_path: Path, database_url: str | None, box_key: bytes, receipts: int
) -> list[str]:
    """One shop with a cashier and keys, `receipts` awaiting receipts; their order ids."""
    from services.core.crypto import SecretBox
    from services.payments.polling import first_check
    from storage.models.receipts import Channel, EventSource, NewDraft, ReceiptStatus
    from storage.open import open_store

    now = datetime.now(UTC)
    store = await open_store(db_path, database_url)
    try:
        owner = await store.shops.create_shop(OWNER_ID, "Owner", "Bench shop", now)
        await store.shops.create_invite(
            owner.shop_id, "bench", OWNER_ID, now, now + timedelta(days=1)
        )
        await store.shops.redeem_invite("bench", CASHIER_ID, "Cashier", now)
        await store.settings.save_keys(
            owner.shop_id, PUBLIC_KEY, SecretBox(box_key).encrypt(PRIVATE_KEY), True, now
        )
        order_ids = []
        for i in range(receipts):
            new = NewDraft(
                shop_id=owner.shop_id,
                cashier_id=CASHIER_ID,
                amount=AMOUNT,
                currency="UAH",
                description="Bench",
                channel=Channel.LINK,
                contact=None,
                idempotency_key=f"bench-{i}",
                order_id=f"{owner.shop_id}-bench-{i}",
                expires_at=now + timedelta(days=1),
                public_key=PUBLIC_KEY,
            )
            draft, _ = await store.receipts.create_draft(new, now, [first_check()])
            await store.receipts.transition(
                draft.id,
                expected=[ReceiptStatus.DRAFT],
                new=ReceiptStatus.AWAITING,
                source=EventSource.USER,
                now=now,
            )
            order_ids.append(draft.order_id)
        return order_ids
    finally:
        await store.close()


def callback_bodies(order_ids: list[str], count: int, seed: int = 7) -> list[bytes]:
    """Form bodies as LiqPay sends them: a genuine success per receipt, then repeats."""
    from services.liqpay.signing import encode_data, sign

    genuine = []
    for i, order_id in enumerate(order_ids):
        payload = {
            "version": 3,
            "public_key": PUBLIC_KEY,
            "action": "pay",
            "status": "success",
            "order_id": order_id,
            "amount": AMOUNT / 100,
            "currency": "UAH",
            "payment_id": 100_000 + i,
            "sender_card_mask2": "424242*42",
            "end_date": int(time.time() * 1000),
        }
        data = encode_data(payload)
        genuine.append(urlencode({"data": data, "signature": sign(PRIVATE_KEY, data)}).encode())
    rng = random.Random(seed)
    bodies = list(genuine)
    while len(bodies) < count:
        bodies.append(rng.choice(genuine))
    rng.shuffle(bodies)
    return bodies[:count]


# servers (child processes)


def serve_app(db_path: str, database_url: str | None, box_key: bytes, conn: Connection) -> None:
    asyncio.run(_serve_app(Path(db_path), database_url, box_key, conn))


async def _serve_app(
    db_path: Path, database_url: str | None, box_key: bytes, conn: Connection
) -> None:
    from bot.web import build_web_app
    from services.core.crypto import SecretBox
    from services.liqpay.client import LiqPayClient
    from services.notifications.jobs import OutboxSignal
    from services.payments.callbacks import CallbackService
    from services.receipts.state import ReceiptService
    from storage.open import open_store

    store = await open_store(db_path, database_url)
    async with aiohttp.ClientSession() as session:
        # callbacks never call LiqPay; the client points nowhere on purpose
        liqpay = LiqPayClient(session, "http://127.0.0.1:9/api/")
        receipts = ReceiptService(
            store.receipts, store.receipt_queries, store.settings, store.shops, liqpay,
            SecretBox(box_key), OutboxSignal(),
        )  # fmt: skip
        app = build_web_app(store, CallbackService(receipts))
        await _serve(app, conn)
    await store.close()


def serve_bare(conn: Connection) -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.post()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(CALLBACK_PATH, handler)
    asyncio.run(_serve(app, conn))


async def _serve(app: web.Application, conn: Connection) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    conn.send(port)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)  # any message: stop
    await runner.cleanup()


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self, name: str) -> str:
        return (
            f"{name:<6} {self.requests} requests in {self.seconds:.2f} s: "
            f"{self.rps:,.0f} req/s, p50 {self.pct(0.50):.1f} ms, p99 {self.pct(0.99):.1f} ms, "
            f"mean {statistics.fmean(self.latencies) * 1000:.1f} ms, errors {self.errors}"
        )


async def fire(port: int, bodies: list[bytes], concurrency: int) -> Result:
    url = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    latencies: list[float] = []
    errors = 0
    queue = iter(bodies)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=concurrency)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal errors
            for body in queue:
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        ok = resp.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                latencies.append(time.perf_counter() - started)
                if not ok:
                    errors += 1

        # Warm-up, not measured: open the connections and run the code paths once, with
        # callbacks the server rejects (they change nothing).
        warm = iter([b"data=d2FybQ%3D%3D&signature=x"] * WARMUP)

        async def warm_worker() -> None:
            for body in warm:
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()

        await asyncio.gather(*(warm_worker() for _ in range(concurrency)))
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return Result(len(latencies), elapsed, latencies, errors)


def run_against(target: BaseProcess, parent: Connection, bodies: list[bytes], conc: int) -> Result:
    target.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("server did not start")
        port = parent.recv()
        return asyncio.run(fire(port, bodies, conc))
    finally:
        parent.send("stop")
        target.join(30)
        if target.is_alive():
            target.terminate()
            target.join(5)


async def check_db(db_path: Path, database_url: str | None, receipts: int) -> str:
    from storage.models.receipts import ReceiptStatus
    from storage.open import open_store

    store = await open_store(db_path, database_url)
    try:
        shop = await store.shops.get_member(OWNER_ID)
        assert shop is not None
        _, paid = await store.receipt_queries.list_by_status(
            shop.shop_id, [ReceiptStatus.PAID], limit=1
        )
        pending = await store.jobs.pending_count("notify")
    finally:
        await store.close()
    return f"receipts paid {paid}/{receipts}, notify jobs {pending} (expected {2 * receipts})"


def run_engine(engine: str, args: argparse.Namespace, tmp: Path) -> tuple[Result, Result]:
    """(app, bare) measured one after the other on `engine`."""
    ctx = mp.get_context("spawn")
    server = None
    database_url: str | None = None
    if engine == "postgresql":
        from tests.servers.postgres import start_postgres

        server = start_postgres()
        database_url = server.create_database()
    try:
        db_path = tmp / f"bench-{engine}.sqlite3"
        box_key = Fernet.generate_key()
        receipts = args.count // 2
        print(f"[{engine}] setting up {receipts} awaiting receipts ...", flush=True)
        order_ids = asyncio.run(prepare_db(db_path, database_url, box_key, receipts))
        bodies = callback_bodies(order_ids, args.count)
        print(
            f"[{engine}] firing {len(bodies)} callbacks ({receipts} genuine, "
            f"{len(bodies) - receipts} repeats) at concurrency {args.concurrency}",
            flush=True,
        )
        parent, child = ctx.Pipe()
        app_proc = ctx.Process(target=serve_app, args=(str(db_path), database_url, box_key, child))
        app = run_against(app_proc, parent, bodies, args.concurrency)
        print(app.line("app"), flush=True)
        print("       " + asyncio.run(check_db(db_path, database_url, receipts)), flush=True)

        parent, child = ctx.Pipe()
        bare_proc = ctx.Process(target=serve_bare, args=(child,))
        bare = run_against(bare_proc, parent, bodies, args.concurrency)
        print(bare.line("bare"), flush=True)
        return app, bare
    finally:
        if server is not None:
            server.stop()


def verdict(engine: str, app: Result, bare: Result) -> bool:
    ratio = app.rps / bare.rps
    ratio_ok = ratio >= TARGET_RATIO
    p99_ok = app.pct(0.99) < TARGET_P99_MS
    errors_ok = app.errors == 0 and bare.errors == 0
    print(f"[{engine}] ratio app/bare throughput: {ratio:.2f} (target >= {TARGET_RATIO:.2f})")
    print(f"[{engine}] throughput ratio: {'PASS' if ratio_ok else 'FAIL'}")
    p99_verdict = "PASS" if p99_ok else "FAIL"
    print(f"[{engine}] app p99 {app.pct(0.99):.1f} ms < {TARGET_P99_MS:.0f} ms: {p99_verdict}")
    if not errors_ok:
        print(f"[{engine}] FAIL: some requests did not get 200")
    return ratio_ok and p99_ok and errors_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="callbacks to send")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument(
        "--engine", choices=["sqlite", "postgresql", "both"], default="sqlite", help="store"
    )
    args = parser.parse_args()
    if args.count < 2 or args.concurrency < 1:
        parser.error("--count >= 2 and --concurrency >= 1")
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-callbacks-") as tmp:
        for engine in engines:
            results[engine] = run_engine(engine, args, Path(tmp))
    overall = all([verdict(engine, *results[engine]) for engine in engines])
    print("PASS" if overall else "FAIL")
    return 0 if overall else 1


if __name__ == "__main__":
    sys.exit(main())
