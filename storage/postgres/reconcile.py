"""The daily reconciliation's reads and its kept results, on PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from storage.models.receipts import Receipt
from storage.models.reconcile import ReconcileRecord
from storage.postgres.engine import CODEC, PostgresEngine
from storage.rows import receipt_from


class PostgresReconcile:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def day_receipts(
        self, shop_id: int, start: datetime, end: datetime, *, limit: int = 10_000
    ) -> list[Receipt]:
        rows = await self._db.all(
            "SELECT * FROM receipts WHERE shop_id = $1 AND ((paid_at >= $2 AND paid_at < $3) "
            "OR (fiscal_date >= $2 AND fiscal_date < $3)) ORDER BY id LIMIT $4",
            shop_id, start, end, limit,
        )  # fmt: skip
        return [receipt_from(r, CODEC) for r in rows]

    async def refunded_sales(self, shop_id: int, *, limit: int = 10_000) -> list[Receipt]:
        rows = await self._db.all(
            "SELECT * FROM receipts WHERE shop_id = $1 AND refunded_amount > 0 "
            "AND fiscal_state = 'registered' ORDER BY id DESC LIMIT $2",
            shop_id, limit,
        )  # fmt: skip
        return [receipt_from(r, CODEC) for r in rows]

    async def shops_with_keys(self) -> list[int]:
        rows = await self._db.all(
            "SELECT shop_id FROM shop_settings WHERE public_key IS NOT NULL "
            "AND private_key_enc IS NOT NULL ORDER BY shop_id"
        )
        return [int(r[0]) for r in rows]

    async def save(self, shop_id: int, day: date, result: dict[str, Any], now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO reconciliations (shop_id, day, result, checked_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (shop_id, day) DO UPDATE SET "
            "result = excluded.result, checked_at = excluded.checked_at",
            shop_id, day.isoformat(), json.dumps(result), now,
        )  # fmt: skip

    async def get(self, shop_id: int, day: date) -> ReconcileRecord | None:
        row = await self._db.one(
            "SELECT result, checked_at FROM reconciliations WHERE shop_id = $1 AND day = $2",
            shop_id, day.isoformat(),
        )  # fmt: skip
        if row is None:
            return None
        return ReconcileRecord(shop_id, day, json.loads(row["result"]), row["checked_at"])
