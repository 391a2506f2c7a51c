"""Receipts read in lists, pages and totals (no writes): beside SqliteReceipts, which writes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.models.fiscal import FiscalState, FiscalTotals
from storage.models.receipt_search import ReceiptSearch, like_pattern
from storage.models.receipts import CurrencyTotal, Receipt, ReceiptEvent, ReceiptStatus
from storage.rows import event_from, receipt_from
from storage.sqlite.codec import CODEC, ts, ts_or_none
from storage.sqlite.engine import SqliteEngine


def marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


class SqliteReceiptQueries:
    def __init__(self, engine: SqliteEngine) -> None:
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
        where = f"shop_id = ? AND status IN ({marks(statuses)})"
        params: list[Any] = [shop_id, *(s.value for s in statuses)]
        if cashier_id is not None:
            where += " AND cashier_id = ?"
            params.append(cashier_id)
        # Both at once: one trip to the reader's thread and back, not two in turn.
        total, rows = await asyncio.gather(
            self._db.one(f"SELECT COUNT(*) FROM receipts WHERE {where}", params),  # noqa: S608
            self._db.all(
                f"SELECT * FROM receipts WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
                (*params, limit, offset),
            ),
        )
        return [receipt_from(r, CODEC) for r in rows], int(total[0]) if total else 0

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
        sql = (
            f"SELECT * FROM receipts WHERE shop_id = ? AND status IN ({marks(statuses)}) "  # noqa: S608
            "AND amount = ? AND currency = ? AND created_at >= ? AND expires_at > ? "
            "ORDER BY id DESC LIMIT ?"
        )
        params = (
            shop_id, *(s.value for s in statuses), amount, currency, ts(created_since),
            ts(expires_after), limit,
        )  # fmt: skip
        return [receipt_from(r, CODEC) for r in await self._db.all(sql, params)]

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
        where = f"shop_id = ? AND status IN ({marks(statuses)})"
        params: list[Any] = [shop_id, *(s.value for s in statuses)]
        for condition, value in (
            ("cashier_id = ?", cashier_id),
            ("paid_at >= ?", ts_or_none(paid_from)),
            ("paid_at < ?", ts_or_none(paid_until)),
            ("expires_at > ?", ts_or_none(expires_after)),
        ):
            if value is not None:
                where += f" AND {condition}"
                params.append(value)
        rows = await self._db.all(
            f"SELECT currency, COUNT(*), SUM(amount) FROM receipts WHERE {where} "  # noqa: S608
            "GROUP BY currency ORDER BY currency",
            params,
        )
        return [CurrencyTotal(r[0], int(r[1]), int(r[2])) for r in rows]

    async def events(self, receipt_id: int) -> list[ReceiptEvent]:
        rows = await self._db.all(
            "SELECT * FROM receipt_events WHERE receipt_id = ? ORDER BY id", (receipt_id,)
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
        where = (
            f"shop_id = ? AND fiscal_state IN ({marks(states)}) AND status IN ({marks(statuses)})"
        )
        params: list[Any] = [shop_id, *(s.value for s in states), *(s.value for s in statuses)]
        total = await self._db.one(f"SELECT COUNT(*) FROM receipts WHERE {where}", params)  # noqa: S608
        rows = await self._db.all(
            f"SELECT * FROM receipts WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
            (*params, limit, offset),
        )
        return [receipt_from(r, CODEC) for r in rows], int(total[0]) if total else 0

    async def fiscal_totals(self, shop_id: int, since: datetime, until: datetime) -> FiscalTotals:
        row = await self._db.one(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM receipts WHERE shop_id = ? "
            "AND fiscal_state = 'registered' AND fiscal_date >= ? AND fiscal_date < ?",
            (shop_id, ts(since), ts(until)),
        )
        return FiscalTotals(int(row[0]), int(row[1])) if row else FiscalTotals(0, 0)

    async def search(self, query: ReceiptSearch) -> list[Receipt]:
        where: list[str] = ["shop_id = ?"]
        params: list[Any] = [query.shop_id]
        for condition, value in (
            ("id < ?", query.before_id),
            ("cashier_id = ?", query.cashier_id),
            ("created_at >= ?", ts_or_none(query.created_from)),
            ("created_at < ?", ts_or_none(query.created_until)),
        ):
            if value is not None:
                where.append(condition)
                params.append(value)
        for column, values in (
            ("status", query.statuses),
            ("fiscal_state", query.fiscal_states),
            ("channel", query.channels),
        ):
            if values:
                where.append(f"{column} IN ({marks(values)})")
                params.extend(v.value for v in values)
        if query.refunding:
            where.append(
                "id IN (SELECT receipt_id FROM refunds "
                "WHERE state IN ('reserved', 'sent', 'unknown'))"
            )
        terms: list[str] = []
        if query.text:
            terms.append(
                "contact LIKE ? ESCAPE '\\' OR casefold(description) LIKE ? ESCAPE '\\' OR "
                "EXISTS (SELECT 1 FROM receipt_lines l WHERE l.receipt_id = receipts.id "
                "AND casefold(l.name) LIKE ? ESCAPE '\\')"
            )
            params.extend([like_pattern(query.text.casefold())] * 3)
        for column, value in (("number", query.number), ("amount", query.amount)):
            if value is not None:
                terms.append(f"{column} = ?")
                params.append(value)
        if terms:
            where.append("(" + " OR ".join(terms) + ")")
        rows = await self._db.all(
            f"SELECT * FROM receipts WHERE {' AND '.join(where)} "  # noqa: S608
            "ORDER BY id DESC LIMIT ?",
            (*params, query.limit),
        )
        return [receipt_from(r, CODEC) for r in rows]
