"""The daily reconciliation's reads and its kept results, on SQLite."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from storage.models.receipts import Receipt
from storage.models.reconcile import ReconcileRecord
from storage.rows import receipt_from
from storage.sqlite.codec import CODEC, dt, ts
from storage.sqlite.engine import SqliteEngine


class SqliteReconcile:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def day_receipts(
        self, shop_id: int, start: datetime, end: datetime, *, limit: int = 10_000
    ) -> list[Receipt]:
        rows = await self._db.all(
            "SELECT * FROM receipts WHERE shop_id = ? AND ((paid_at >= ? AND paid_at < ?) "
            "OR (fiscal_date >= ? AND fiscal_date < ?)) ORDER BY id LIMIT ?",
            (shop_id, ts(start), ts(end), ts(start), ts(end), limit),
        )
        return [receipt_from(r, CODEC) for r in rows]

    async def refunded_sales(self, shop_id: int, *, limit: int = 10_000) -> list[Receipt]:
        rows = await self._db.all(
            "SELECT * FROM receipts WHERE shop_id = ? AND refunded_amount > 0 "
            "AND fiscal_state = 'registered' ORDER BY id DESC LIMIT ?",
            (shop_id, limit),
        )
        return [receipt_from(r, CODEC) for r in rows]

    async def shops_with_keys(self) -> list[int]:
        rows = await self._db.all(
            "SELECT shop_id FROM shop_settings WHERE public_key IS NOT NULL "
            "AND private_key_enc IS NOT NULL ORDER BY shop_id",
            (),
        )
        return [int(r[0]) for r in rows]

    async def save(self, shop_id: int, day: date, result: dict[str, Any], now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO reconciliations (shop_id, day, result, checked_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (shop_id, day) DO UPDATE SET result = excluded.result, "
            "checked_at = excluded.checked_at",
            (shop_id, day.isoformat(), json.dumps(result), ts(now)),
        )

    async def get(self, shop_id: int, day: date) -> ReconcileRecord | None:
        row = await self._db.one(
            "SELECT result, checked_at FROM reconciliations WHERE shop_id = ? AND day = ?",
            (shop_id, day.isoformat()),
        )
        if row is None:
            return None
        return ReconcileRecord(shop_id, day, json.loads(row[0]), dt(row[1]))
