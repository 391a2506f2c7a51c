"""Receipts read in lists, pages and totals (no writes): beside PostgresReceipts, which writes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.models.fiscal import FiscalState, FiscalTotals
from storage.models.receipt_search import ReceiptSearch, like_pattern
from storage.models.receipts import CurrencyTotal, Receipt, ReceiptEvent, ReceiptStatus
from storage.postgres.engine import CODEC, PostgresEngine
from storage.rows import event_from, receipt_from


class PostgresReceiptQueries:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def list_by_status(
        self,
        shop_id: int,
        statuses: Sequence[ReceiptStatus],
        *,
        cashier_id: int | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[list[Receipt], int]:
        if not statuses:
            return [], 0
        where = "shop_id = $1 AND status = ANY($2::text[])"
        params: list[Any] = [shop_id, [s.value for s in statuses]]
        if cashier_id is not None:
            params.append(cashier_id)
            where += " AND cashier_id = $3"
        n = len(params)
        # Both at once, on two of the pool's connections: one round trip's wait, not two.
        total, rows = await asyncio.gather(
            self._db.value(f"SELECT COUNT(*) FROM receipts WHERE {where}", *params),  # noqa: S608
            self._db.all(
                f"SELECT * FROM receipts WHERE {where} "  # noqa: S608
                f"ORDER BY id DESC LIMIT ${n + 1} OFFSET ${n + 2}",
                *params,
                limit,
                offset,
            ),
        )
        return [receipt_from(r, CODEC) for r in rows], int(total)

    async def recent_with_amount(
        self,
        shop_id: int,
        amount: int,
        currency: str,
        *,
        statuses: Sequence[ReceiptStatus],
        created_since: datetime,
        expires_after: datetime,
        limit: int = 50,
    ) -> list[Receipt]:
        if not statuses:
            return []
        rows = await self._db.all(
            "SELECT * FROM receipts WHERE shop_id = $1 AND status = ANY($2::text[]) "
            "AND amount = $3 AND currency = $4 AND created_at >= $5 AND expires_at > $6 "
            "ORDER BY id DESC LIMIT $7",
            shop_id, [s.value for s in statuses], amount, currency, created_since,
            expires_after, limit,
        )  # fmt: skip
        return [receipt_from(r, CODEC) for r in rows]

    async def totals(
        self,
        shop_id: int,
        statuses: Sequence[ReceiptStatus],
        *,
        cashier_id: int | None = None,
        paid_from: datetime | None = None,
        paid_until: datetime | None = None,
        expires_after: datetime | None = None,
    ) -> list[CurrencyTotal]:
        if not statuses:
            return []
        where = "shop_id = $1 AND status = ANY($2::text[])"
        params: list[Any] = [shop_id, [s.value for s in statuses]]
        for column, value in (
            ("cashier_id =", cashier_id),
            ("paid_at >=", paid_from),
            ("paid_at <", paid_until),
            ("expires_at >", expires_after),
        ):
            if value is not None:
                params.append(value)
                where += f" AND {column} ${len(params)}"
        rows = await self._db.all(
            f"SELECT currency, COUNT(*), SUM(amount) FROM receipts WHERE {where} "  # noqa: S608
            "GROUP BY currency ORDER BY currency",
            *params,
        )
        return [CurrencyTotal(r[0], int(r[1]), int(r[2])) for r in rows]

    async def events(self, receipt_id: int) -> list[ReceiptEvent]:
        rows = await self._db.all(
            "SELECT * FROM receipt_events WHERE receipt_id = $1 ORDER BY id", receipt_id
        )
        return [event_from(r, CODEC) for r in rows]

    async def list_by_fiscal_state(
        self,
        shop_id: int,
        states: Sequence[FiscalState],
        *,
        statuses: Sequence[ReceiptStatus],
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[list[Receipt], int]:
        if not states or not statuses:
            return [], 0
        where = "shop_id = $1 AND fiscal_state = ANY($2::text[]) AND status = ANY($3::text[])"
        params = (shop_id, [s.value for s in states], [s.value for s in statuses])
        total = await self._db.value(f"SELECT COUNT(*) FROM receipts WHERE {where}", *params)  # noqa: S608
        rows = await self._db.all(
            f"SELECT * FROM receipts WHERE {where} ORDER BY id DESC LIMIT $4 OFFSET $5",  # noqa: S608
            *params,
            limit,
            offset,
        )
        return [receipt_from(r, CODEC) for r in rows], int(total)

    async def fiscal_totals(self, shop_id: int, since: datetime, until: datetime) -> FiscalTotals:
        row = await self._db.one(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM receipts WHERE shop_id = $1 "
            "AND fiscal_state = 'registered' AND fiscal_date >= $2 AND fiscal_date < $3",
            shop_id,
            since,
            until,
        )
        return FiscalTotals(int(row[0]), int(row[1])) if row else FiscalTotals(0, 0)

    async def search(self, query: ReceiptSearch) -> list[Receipt]:
        where: list[str] = ["shop_id = $1"]
        params: list[Any] = [query.shop_id]

        def mark(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        for condition, value in (
            ("id < {}", query.before_id),
            ("cashier_id = {}", query.cashier_id),
            ("created_at >= {}", query.created_from),
            ("created_at < {}", query.created_until),
        ):
            if value is not None:
                where.append(condition.format(mark(value)))
        for column, values in (
            ("status", query.statuses),
            ("fiscal_state", query.fiscal_states),
            ("channel", query.channels),
        ):
            if values:
                where.append(f"{column} = ANY({mark([v.value for v in values])}::text[])")
        if query.refunding:
            where.append(
                "id IN (SELECT receipt_id FROM refunds "
                "WHERE state IN ('reserved', 'sent', 'unknown'))"
            )
        terms: list[str] = []
        if query.text:
            pattern = mark(like_pattern(query.text))
            goods = f"SELECT 1 FROM receipt_lines l WHERE l.receipt_id = receipts.id AND l.name ILIKE {pattern}"  # noqa: S608, E501
            terms.append(
                f"contact ILIKE {pattern} OR description ILIKE {pattern} OR EXISTS ({goods})"
            )
        for column, value in (("number", query.number), ("amount", query.amount)):
            if value is not None:
                terms.append(f"{column} = {mark(value)}")
        if terms:
            where.append("(" + " OR ".join(terms) + ")")
        limit = mark(query.limit)
        rows = await self._db.all(
            f"SELECT * FROM receipts WHERE {' AND '.join(where)} "  # noqa: S608
            f"ORDER BY id DESC LIMIT {limit}",
            *params,
        )
        return [receipt_from(r, CODEC) for r in rows]
