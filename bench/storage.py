"""Benchmark: the store's hot queries over many receipts, on SQLite and PostgreSQL.

    .venv/bin/python bench/storage.py [--receipts 100000] [--shops 50] [--runs 200]
                                      [--engine sqlite|postgresql|both]

Seeds `receipts` awaiting receipts (each with its first status-check job) over `shops` shops
through the repositories' public methods (create_draft + transition, many in flight), then
times, `runs` times each: the /pending page (receipt_queries.list_by_status for one shop, first
page), the due-for-check claim (jobs.claim("check", limit 10); the releases after it are
not timed), a
day's report sums (the store has no aggregate method yet: the SQL is timed here), and a
primary-key lookup (receipts.get) as the baseline. Prints p50/p99, each query's plan
(SQLite EXPLAIN QUERY PLAN, PostgreSQL EXPLAIN) and whether it uses an index, peak RSS,
and PASS/FAIL against: page p99 < 5 ms, claim p99 < 20 ms, RSS < 150 MB.
PostgreSQL is a throwaway server from tests/servers, stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
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

from services.receipts.transitions import PENDING  # noqa: E402  (what /pending lists)
from storage.models.jobs import Job  # noqa: E402
from storage.models.receipts import Channel, EventSource, NewDraft, ReceiptStatus  # noqa: E402
from storage.open import open_store  # noqa: E402
from storage.protocols.store import Store  # noqa: E402

PAGE_P99_MS, CLAIM_P99_MS, RSS_MB = 5.0, 20.0, 150.0
IN_FLIGHT = 32

SQLITE_REPORT = (
    "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM receipts "
    "WHERE shop_id = ? AND created_at >= ? AND created_at < ?"
)
PG_REPORT = (
    "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM receipts "
    "WHERE shop_id = $1 AND created_at >= $2 AND created_at < $3"
)
SQLITE_PAGE = (
    "SELECT * FROM receipts WHERE shop_id = ? AND status IN (?, ?) ORDER BY id DESC LIMIT 10"
)
PG_PAGE = "SELECT * FROM receipts WHERE shop_id = $1 AND status = ANY($2) ORDER BY id DESC LIMIT 10"


async def seed(store: Store, receipts: int, shops: int, now: datetime) -> list[int]:
    """The shops' ids; `receipts` awaiting receipts spread over them round-robin."""
    from services.payments.polling import first_check

    shop_ids = []
    for s in range(shops):
        member = await store.shops.create_shop(10_000 + s, "Owner", f"Shop {s}", now)
        shop_ids.append(member.shop_id)

    async def one(i: int) -> None:
        shop_id = shop_ids[i % shops]
        new = NewDraft(
            shop_id=shop_id,
            cashier_id=10_000 + i % shops,
            amount=1000 + i % 5000,
            currency="UAH",
            description="Bench",
            channel=Channel.LINK,
            contact=None,
            idempotency_key=f"bench-{i}",
            order_id=f"{shop_id}-bench-{i}",
            expires_at=now + timedelta(days=1),
            public_key="sandbox_i1",
        )
        created_at = now - timedelta(minutes=i % (60 * 24 * 7))  # a week of receipts
        draft, _ = await store.receipts.create_draft(new, created_at, [first_check()])
        await store.receipts.transition(
            draft.id,
            expected=[ReceiptStatus.DRAFT],
            new=ReceiptStatus.AWAITING,
            source=EventSource.USER,
            now=created_at,
        )

    started = time.perf_counter()
    for base in range(0, receipts, IN_FLIGHT):
        await asyncio.gather(*(one(i) for i in range(base, min(base + IN_FLIGHT, receipts))))
    print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
    return shop_ids


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def timed(
    runs: int,
    op: Callable[[], Awaitable[Any]],
    untimed_after: Callable[[Any], Awaitable[None]] | None = None,
) -> tuple[float, float]:
    """p50 and p99 in ms of `op`; `untimed_after` gets its result, off the clock."""
    samples = []
    for n in range(runs + 1):
        started = time.perf_counter()
        result = await op()
        if n:  # the first run only warms up
            samples.append(time.perf_counter() - started)
        if untimed_after is not None:
            await untimed_after(result)
    return pct(samples, 0.5), pct(samples, 0.99)


def index_use(uses_index: bool, full_scans: list[str]) -> str:
    if full_scans:
        return (
            "FULL SCAN ("
            + "; ".join(full_scans)
            + ")"
            + (", index elsewhere" if uses_index else "")
        )
    return "uses an index" if uses_index else "NO INDEX"


async def plans(store: Store, engine: str, shop_id: int, now: datetime) -> None:
    day = (now - timedelta(days=1), now)
    if engine == "sqlite":
        from storage.sqlite.jobs import DUE_FEW, DUE_MANY
        from storage.sqlite.store import SqliteStore

        assert isinstance(store, SqliteStore)
        m = now.timestamp()
        queries = {
            "page": (SQLITE_PAGE, (shop_id, *(s.value for s in PENDING))),
            # the claim picks one of two plans by how many jobs are due (storage/sqlite/jobs.py)
            "claim, few due": (DUE_FEW, ("check", m, m, m, 10)),
            "claim, many due": (DUE_MANY, ("check", m, m, m, 10)),
            "report": (SQLITE_REPORT, (shop_id, day[0].timestamp(), day[1].timestamp())),
        }
        for name, (sql, params) in queries.items():
            rows = await store.engine.all("EXPLAIN QUERY PLAN " + sql, params)
            lines = [str(r[3]) for r in rows]
            uses = any("USING" in line and "INDEX" in line for line in lines)
            scans = [line for line in lines if line.startswith("SCAN ")]
            print(f"  plan {name}: {index_use(uses, scans)}")
            for line in lines:
                print(f"    {line}")
    else:
        from storage.postgres.jobs import _DUE as PG_DUE
        from storage.postgres.store import PostgresStore

        assert isinstance(store, PostgresStore)
        pg_queries: dict[str, tuple[str, tuple[Any, ...]]] = {
            "page": (PG_PAGE, (shop_id, [s.value for s in PENDING])),
            "claim": (PG_DUE.replace("FOR UPDATE OF j SKIP LOCKED", ""), ("check", now, 10)),
            "report": (PG_REPORT, (shop_id, *day)),
        }
        for name, (sql, params) in pg_queries.items():
            rows = await store.engine.all("EXPLAIN " + sql, *params)
            lines = [str(r[0]) for r in rows]
            uses = any("Index" in line for line in lines)
            scans = [line.strip(" ->") for line in lines if "Seq Scan on" in line]
            print(f"  plan {name}: {index_use(uses, scans)}")
            for line in lines:
                print(f"    {line}")


async def bench_engine(engine: str, args: argparse.Namespace, tmp: Path) -> bool:
    server = None
    url: str | None = None
    if engine == "postgresql":
        from tests.servers.postgres import start_postgres

        server = start_postgres()
        url = server.create_database()
    try:
        store = await open_store(tmp / f"{engine}.sqlite3", url)
        try:
            return await measure(store, engine, args)
        finally:
            await store.close()
    finally:
        if server is not None:
            server.stop()


async def measure(store: Store, engine: str, args: argparse.Namespace) -> bool:
    now = datetime.now(UTC)
    print(f"[{engine}] seeding {args.receipts} receipts over {args.shops} shops ...", flush=True)
    shop_ids = await seed(store, args.receipts, args.shops, now)
    shop_id = shop_ids[len(shop_ids) // 2]
    if engine == "postgresql":
        from storage.postgres.store import PostgresStore

        assert isinstance(store, PostgresStore)
        # As autovacuum would have by then (it vacuums after many inserts too): plans from
        # real statistics, and a visibility map, so counts can read the index alone.
        await store.engine.execute("VACUUM ANALYZE")
    first_page, _ = await store.receipt_queries.list_by_status(shop_id, PENDING)
    some_id = first_page[0].id

    async def page() -> None:
        await store.receipt_queries.list_by_status(shop_id, PENDING)

    async def claim() -> list[Job]:
        return await store.jobs.claim(
            "check", "bench", limit=10, lease=timedelta(minutes=1), now=now
        )

    async def release(jobs: list[Job]) -> None:
        for job in jobs:
            await store.jobs.release(job.id, "bench")

    async def lookup() -> None:
        await store.receipts.get(some_id)

    async def report() -> None:
        start, end = now - timedelta(days=1), now
        if engine == "sqlite":
            from storage.sqlite.store import SqliteStore

            assert isinstance(store, SqliteStore)
            await store.engine.one(SQLITE_REPORT, (shop_id, start.timestamp(), end.timestamp()))
        else:
            from storage.postgres.store import PostgresStore

            assert isinstance(store, PostgresStore)
            await store.engine.one(PG_REPORT, shop_id, start, end)

    results = {}
    ops: dict[str, tuple[Callable[[], Awaitable[Any]], Any]] = {
        "pk lookup (baseline)": (lookup, None),
        "page": (page, None),
        "claim (10 jobs)": (claim, release),
        "report (SQL in bench)": (report, None),
    }
    for name, (op, after) in ops.items():
        results[name] = await timed(args.runs, op, after)
        p50, p99 = results[name]
        print(f"  {name:<22} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ({args.runs} runs)")
    await plans(store, engine, shop_id, now)
    page_ok = results["page"][1] < PAGE_P99_MS
    claim_ok = results["claim (10 jobs)"][1] < CLAIM_P99_MS
    print(f"[{engine}] page p99 < {PAGE_P99_MS:.0f} ms: {'PASS' if page_ok else 'FAIL'}")
    print(f"[{engine}] claim p99 < {CLAIM_P99_MS:.0f} ms: {'PASS' if claim_ok else 'FAIL'}")
    return page_ok and claim_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--receipts", type=int, default=100_000)
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument("--runs", type=int, default=200, help="timed runs of each query")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.receipts < args.shops or args.shops < 1 or args.runs < 1:
        parser.error("--receipts >= --shops >= 1 and --runs >= 1")
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        for engine in engines:
            ok = asyncio.run(bench_engine(engine, args, Path(tmp))) and ok
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_ok = rss_mb < RSS_MB
    print(f"peak RSS {rss_mb:.0f} MB < {RSS_MB:.0f} MB: {'PASS' if rss_ok else 'FAIL'}")
    overall = ok and rss_ok
    print("PASS" if overall else "FAIL")
    return 0 if overall else 1


if __name__ == "__main__":
    sys.exit(main())
