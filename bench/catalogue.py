"""Benchmark: catalogue search in a shop of 10,000 items, on SQLite and PostgreSQL.

    .venv/bin/python bench/catalogue.py [--items 10000] [--runs 300]
                                        [--engine sqlite|postgresql|both]

Seeds `items` items in one shop (and as many in a second shop, so one shop's search has
another's rows beside it) through `catalogue.apply_import`, then times, `runs` times each:
a search by 2 letters and by 3 letters (the first page, as /catalogue asks for it), a
search by barcode, and beside each the same SQL run bare through the engine (no mapping to
models) as the baseline. Prints p50/p99 and the plans, and PASS/FAIL against: every
search p99 < 20 ms. PostgreSQL is a throwaway server from tests/servers, stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.catalogue.service import PAGE  # noqa: E402
from storage.models.catalogue import ItemFields, search_key  # noqa: E402
from storage.open import open_store  # noqa: E402
from storage.protocols.store import Store  # noqa: E402

SEARCH_P99_MS = 20.0
WORDS = (
    "кава чай цукор молоко хліб булка сир масло вода сік пиво вино шоколад печиво цукерки "
    "яблука банани апельсини картопля морква цибуля букет троянди тюльпани олія борошно "
    "рис гречка макарони ковбаса шинка йогурт кефір сметана яйця мед джем горіхи"
).split()
SQLITE_SEARCH = (
    "SELECT * FROM catalogue_items WHERE shop_id = ? AND archived = 0 "
    "AND (instr(search_key, ?) > 0 OR barcode = ? OR code = ?) "
    "ORDER BY instr(search_key, ?) <> 1, search_key, id LIMIT ? OFFSET 0"
)
PG_SEARCH = (
    "SELECT * FROM catalogue_items WHERE shop_id = $1 AND NOT archived "
    "AND (strpos(search_key, $2) > 0 OR barcode = $3 OR code = $3) "
    'ORDER BY strpos(search_key, $2) <> 1, search_key COLLATE "C", id LIMIT $4 OFFSET 0'
)


def items(count: int, seed: int) -> list[ItemFields]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        name = " ".join(rng.sample(WORDS, 2)).capitalize() + f" {n}"
        out.append(
            ItemFields(
                code=f"C{n:06d}",
                name=name,
                price=rng.randint(100, 100_000),
                unit="piece",
                barcode=f"482{seed}{n:09d}",
            )
        )
    return out


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def timed(runs: int, op: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    samples = []
    for n in range(runs + 1):
        started = time.perf_counter()
        await op()
        if n:  # the first run only warms up
            samples.append(time.perf_counter() - started)
    return pct(samples, 0.5), pct(samples, 0.99)


def bare(store: Store, engine: str, shop_id: int, text: str) -> Callable[[], Awaitable[Any]]:
    key = search_key(text)

    async def run() -> Any:
        if engine == "sqlite":
            return await store.engine.all(  # type: ignore[attr-defined]
                SQLITE_SEARCH, (shop_id, key, text, text, key, PAGE + 1)
            )
        return await store.engine.all(PG_SEARCH, shop_id, key, text, PAGE + 1)  # type: ignore[attr-defined]

    return run


async def plan(store: Store, engine: str, shop_id: int) -> None:
    if engine == "sqlite":
        rows = await store.engine.all(  # type: ignore[attr-defined]
            "EXPLAIN QUERY PLAN " + SQLITE_SEARCH, (shop_id, "ка", "ка", "ка", "ка", PAGE + 1)
        )
        lines = [str(r[3]) for r in rows]
    else:
        rows = await store.engine.all("EXPLAIN " + PG_SEARCH, shop_id, "ка", "ка", PAGE + 1)  # type: ignore[attr-defined]
        lines = [str(r[0]) for r in rows]
    print("  plan:")
    for line in lines:
        print(f"    {line}")


async def measure(store: Store, engine: str, args: argparse.Namespace) -> bool:
    now = datetime.now(UTC)
    started = time.perf_counter()
    shops = []
    for s in range(2):
        member = await store.shops.create_shop(20_000 + s, "Owner", f"Shop {s}", now)
        shops.append(member.shop_id)
        await store.catalogue.apply_import(member.shop_id, f"seed-{s}", items(args.items, s), now)
    print(f"[{engine}] seeded 2 × {args.items} items in {time.perf_counter() - started:.1f} s")
    if engine == "postgresql":
        await store.engine.execute("VACUUM ANALYZE")  # type: ignore[attr-defined]
    shop_id = shops[0]
    barcode = f"4820{args.items // 2:09d}"
    ok = True
    for label, text in (("2 letters", "ка"), ("3 letters", "цук"), ("barcode", barcode)):
        page = await store.catalogue.search(shop_id, text, limit=PAGE)
        assert page.items, f"nothing found for {text!r}"

        async def search(text: str = text) -> None:
            await store.catalogue.search(shop_id, text, limit=PAGE)

        p50, p99 = await timed(args.runs, search)
        b50, b99 = await timed(args.runs, bare(store, engine, shop_id, text))
        passed = p99 < SEARCH_P99_MS
        ok = ok and passed
        print(
            f"  search {label:<9} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms   "
            f"bare SQL p50 {b50:6.2f} ms  p99 {b99:6.2f} ms   "
            f"p99 < {SEARCH_P99_MS:.0f} ms: {'PASS' if passed else 'FAIL'}"
        )
    await plan(store, engine, shop_id)
    return ok


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=300, help="timed runs of each search")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.items < 100 or args.runs < 1:
        parser.error("--items >= 100 and --runs >= 1")
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-catalogue-") as tmp:
        for engine in engines:
            ok = asyncio.run(bench_engine(engine, args, Path(tmp))) and ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
