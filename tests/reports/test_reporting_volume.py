"""100,000 receipts in one period: the report and the CSV export stream them from a real
SQLite store in batches, with memory that does not grow with the period.

Seeding 100,000 receipts through the store's API takes most of a minute on a loaded
machine, so these rows are written with one bulk INSERT into the same schema; everything
read afterwards goes through the public API (services.reports.service over store.reports)."""

from __future__ import annotations

import csv
import io
import sqlite3
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.i18n import setup_i18n
from bot.reports.texts import export_labels
from services.core.periods import Period, PeriodKind
from services.reports.service import ExportFormat, ReportingService
from storage.models.shops import Role
from storage.sqlite.store import SqliteStore

COUNT = 100_000
TRACED_COUNT = 20_000  # tracemalloc slows every allocation: the memory check uses fewer
PERIOD = Period(PeriodKind.RANGE, date(2026, 11, 1), date(2026, 11, 30))
START = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)  # Kyiv midnight, 1 November


async def seeded(path: Path, count: int) -> SqliteStore:
    store = await SqliteStore.open(path)
    await store.shops.create_shop(1, "Olena", "Кав'ярня", START)
    await store.close()
    step = (PERIOD.end - PERIOD.start).total_seconds() / count
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO receipts (shop_id, number, cashier_id, amount, currency, description, "
            "channel, contact, order_id, idempotency_key, status, expires_at, created_at, "
            "paid_at) VALUES (1, ?, 1, ?, 'UAH', ?, 'link', NULL, ?, ?, ?, ?, ?, ?)",
            (
                (
                    n, 100 + n % 1000, f"Кава № {n}", f"o{n}", f"k{n}",
                    "paid" if n % 2 else "expired",
                    START.timestamp() + (n - 1) * step + 86400,
                    START.timestamp() + (n - 1) * step,
                    START.timestamp() + (n - 1) * step + 1 if n % 2 else None,
                )
                for n in range(1, count + 1)
            ),
        )  # fmt: skip
    return await SqliteStore.open(path)


@pytest.fixture
async def big_store(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, ReportingService]]:
    store = await seeded(tmp_path / "big.sqlite3", COUNT)
    yield store, ReportingService(store.reports, store.settings, tmpdir=tmp_path)
    await store.close()


def expected_paid(count: int) -> list[int]:
    return [n for n in range(1, count + 1) if n % 2]


async def test_a_period_of_100000_receipts(
    big_store: tuple[SqliteStore, ReportingService],
) -> None:
    store, reporting = big_store
    owner = await store.shops.get_member(1)
    assert owner is not None and owner.role is Role.OWNER
    setup_i18n()

    reports = await reporting.report(owner, PERIOD)
    paid = expected_paid(COUNT)
    totals = reports[0].totals
    assert totals.paid.count == len(paid)
    assert totals.paid.kopecks == sum(100 + n % 1000 for n in paid)
    assert totals.expired.count == COUNT - len(paid)
    assert sum(b.count for b in reports[0].paid_by_day.values()) == len(paid)
    assert len(reports[0].paid_by_day) == 30

    written = await reporting.export(owner, PERIOD, ExportFormat.CSV, export_labels("uk"))
    assert written is not None and written.count == COUNT
    try:
        text = written.path.read_bytes().decode("utf-8-sig")
    finally:
        written.discard()
    assert not written.path.exists()
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == COUNT + 1
    assert [int(r[0]) for r in rows[1:]] == list(range(1, COUNT + 1))
    assert rows[-1][6] == f"Кава № {COUNT}"


async def test_memory_does_not_grow_with_the_period(tmp_path: Path) -> None:
    """Held whole, 20,000 rows would take well over 8 MiB (a row object and its values
    are ~0.5-1 KiB); streamed, one batch of 500 is held at a time."""
    store = await seeded(tmp_path / "traced.sqlite3", TRACED_COUNT)
    try:
        reporting = ReportingService(store.reports, store.settings, batch_size=500, tmpdir=tmp_path)
        owner = await store.shops.get_member(1)
        assert owner is not None
        labels = export_labels("en")
        tracemalloc.start()
        try:
            reports = await reporting.report(owner, PERIOD)
            _, report_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            written = await reporting.export(owner, PERIOD, ExportFormat.CSV, labels)
            _, export_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        await store.close()
    assert written is not None and written.count == TRACED_COUNT
    written.discard()
    assert reports[0].totals.paid.count == len(expected_paid(TRACED_COUNT))
    assert report_peak < 3 * 2**20, report_peak
    assert export_peak < 3 * 2**20, export_peak
