"""Benchmark: one Reconciler sweep over many awaiting receipts against a slow LiqPay.

    .venv/bin/python bench/reconciler.py [--count 10000] [--concurrency 10]

Sets up a temporary database with one shop and `count` awaiting receipts, starts a stand-in
for LiqPay's /api/request on 127.0.0.1 in a child process (every `status` is answered with
`invoice_wait` after 20 ms), points the real LiqPayClient at it and runs one
Reconciler.sweep with `concurrency` checks in flight. Prints the sweep time against the
ideal count x 20 ms / concurrency and PASS/FAIL against 1.5 x ideal.

Peak Python memory is measured with tracemalloc in a second sweep over the same receipts
(the clock is moved on so they are all due again): tracing slows Python down, so the timed
sweep runs untraced. Touches nothing but 127.0.0.1 and a temporary folder; exits by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402

from services.payments.reconciler import SweepStats  # noqa: E402

PUBLIC_KEY = "sandbox_i123"
PRIVATE_KEY = "priv-key"
OWNER_ID, CASHIER_ID = 1001, 2002
LIQPAY_DELAY = 0.02  # seconds the stand-in takes per `status`
TARGET_FACTOR = 1.5
INTERVAL = 60.0


# the stand-in LiqPay (child process)


def serve_liqpay(conn: Connection, delay: float) -> None:
    asyncio.run(_serve_liqpay(conn, delay))


async def _serve_liqpay(conn: Connection, delay: float) -> None:
    from services.liqpay.signing import decode_data, verify

    served = 0

    async def request(req: web.Request) -> web.Response:
        nonlocal served
        form = await req.post()
        data, signature = str(form.get("data", "")), str(form.get("signature", ""))
        try:
            payload = verify(PRIVATE_KEY, data, signature)
        except ValueError:
            return web.json_response({"result": "error", "err_code": "invalid_signature"})
        await asyncio.sleep(delay)
        served += 1
        if payload.get("action") != "status":
            return web.json_response({"result": "error", "err_code": "err_api_action"})
        order_id = decode_data(data)["order_id"]
        answer = {
            "result": "ok",
            "status": "invoice_wait",
            "order_id": order_id,
            "amount": 250.5,
            "currency": "UAH",
        }
        return web.Response(text=json.dumps(answer), content_type="application/json")

    app = web.Application()
    app.router.add_post("/api/request", request)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    conn.send(runner.addresses[0][1])
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # any message: stop
    conn.send(served)
    await runner.cleanup()


# setup and the sweep (this process)


async def prepare(db_path: Path, box_key: bytes, count: int, now: datetime) -> None:
    from services.core.crypto import SecretBox
    from services.payments.polling import first_check
    from storage.models.receipts import Channel, EventSource, NewDraft, ReceiptStatus
    from storage.sqlite.store import SqliteStore

    store = await SqliteStore.open(db_path)
    try:
        owner = await store.shops.create_shop(OWNER_ID, "Owner", "Bench shop", now)
        await store.shops.create_invite(
            owner.shop_id, "bench", OWNER_ID, now, now + timedelta(days=1)
        )
        await store.shops.redeem_invite("bench", CASHIER_ID, "Cashier", now)
        await store.settings.save_keys(
            owner.shop_id, PUBLIC_KEY, SecretBox(box_key).encrypt(PRIVATE_KEY), True, now
        )
        for i in range(count):
            new = NewDraft(
                shop_id=owner.shop_id,
                cashier_id=CASHIER_ID,
                amount=25050,
                currency="UAH",
                description="Bench",
                channel=Channel.EMAIL,
                contact="buyer@example.com",
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
    finally:
        await store.close()


class ShiftableClock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def sweeps(
    db_path: Path, box_key: bytes, port: int, concurrency: int, clock: ShiftableClock
) -> tuple[float, SweepStats, float, int]:
    """The timed sweep, then a traced one; (seconds, stats, traced seconds, peak bytes)."""
    from services.core.crypto import SecretBox
    from services.liqpay.client import LiqPayClient
    from services.notifications.jobs import OutboxSignal
    from services.payments.reconciler import Reconciler
    from services.receipts.state import ReceiptService
    from storage.sqlite.store import SqliteStore

    store = await SqliteStore.open(db_path)
    try:
        async with aiohttp.ClientSession() as session:
            client = LiqPayClient(session, f"http://127.0.0.1:{port}/api/", retry_delay=0)
            receipts = ReceiptService(
                store.receipts, store.receipt_queries, store.settings, store.shops, client,
                SecretBox(box_key), OutboxSignal(), clock,
            )  # fmt: skip
            reconciler = Reconciler(receipts, store.jobs, INTERVAL, concurrency=concurrency)

            started = time.perf_counter()
            stats = await reconciler.sweep()
            elapsed = time.perf_counter() - started

            clock.offset += timedelta(hours=2)  # every receipt due again
            tracemalloc.start()
            traced_started = time.perf_counter()
            await reconciler.sweep()
            traced = time.perf_counter() - traced_started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    finally:
        await store.close()
    return elapsed, stats, traced, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="awaiting receipts")
    parser.add_argument("--concurrency", type=int, default=10, help="checks in flight")
    args = parser.parse_args()
    if args.count < 1 or args.concurrency < 1:
        parser.error("--count and --concurrency must be positive")
    ctx = mp.get_context("spawn")

    with tempfile.TemporaryDirectory(prefix="bench-reconciler-") as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        box_key = Fernet.generate_key()
        clock = ShiftableClock()
        print(f"setting up {args.count} awaiting receipts ...", flush=True)
        asyncio.run(prepare(db_path, box_key, args.count, clock()))

        parent, child = ctx.Pipe()
        liqpay = ctx.Process(target=serve_liqpay, args=(child, LIQPAY_DELAY))
        liqpay.start()
        try:
            if not parent.poll(60):
                raise RuntimeError("stand-in LiqPay did not start")
            port = parent.recv()
            print(
                f"sweeping with concurrency {args.concurrency}; LiqPay answers `status` in "
                f"{LIQPAY_DELAY * 1000:.0f} ms",
                flush=True,
            )
            elapsed, stats, traced, peak = asyncio.run(
                sweeps(db_path, box_key, port, args.concurrency, clock)
            )
        finally:
            parent.send("stop")
            served = parent.recv() if parent.poll(30) else -1
            liqpay.join(30)
            if liqpay.is_alive():
                liqpay.terminate()
                liqpay.join(5)

    ideal = args.count * LIQPAY_DELAY / args.concurrency
    ratio = elapsed / ideal
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sweep: {stats}")
    print(f"LiqPay stand-in served {served} requests (2 sweeps)")
    print(f"sweep time {elapsed:.2f} s, ideal {ideal:.2f} s (N x 20 ms / C), ratio {ratio:.2f}")
    print(
        f"peak traced Python memory {peak / 1024 / 1024:.1f} MiB "
        f"(traced sweep took {traced:.2f} s); peak RSS {rss_mb:.0f} MiB"
    )
    ok = ratio <= TARGET_FACTOR and stats.checked == args.count and stats.errors == 0
    print(f"target <= {TARGET_FACTOR} x ideal: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
