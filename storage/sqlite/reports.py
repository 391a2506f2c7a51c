"""A shop's receipts over a period, streamed in batches for reports and exports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from storage.models.receipts import ReceiptStatus
from storage.models.reports import ExportRow, LineExportRow, ReportGroup, ReportRow, TopItem
from storage.rows import export_row_from, line_export_row_from, report_row_from, top_item_from
from storage.sqlite.codec import CODEC, ts
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.report_groups import REFUNDED_SQL, report_groups

# The fiscal receipt's number, whether it was registered, and the refunded sum: each is
# used by both queries.
FISCAL_NUMBER_SQL = "r.fiscal_code"
FISCAL_REGISTERED_SQL = "(r.fiscal_state = 'registered')"
# REFUNDED_SQL: a receipt refunded before refunds were tracked (migration 7) counts as
# refunded in full (storage/sqlite/report_groups.py)

# The f-strings below interpolate the constants above only (hence noqa S608).
_REPORT = (
    "SELECT r.id, r.status, r.amount, r.currency, r.channel, r.cashier_id, r.created_at, "  # noqa: S608
    f"r.paid_at, {REFUNDED_SQL} AS refunded, {FISCAL_REGISTERED_SQL} AS fiscal_registered "
    "FROM receipts r WHERE r.shop_id = ? AND r.id > ? "
    "AND ((r.created_at >= ? AND r.created_at < ?) OR (r.paid_at >= ? AND r.paid_at < ?))"
)
_EXPORT = (
    "SELECT r.number, r.created_at, r.paid_at, "  # noqa: S608
    "COALESCE(NULLIF(m.name, ''), CAST(r.cashier_id AS TEXT)) AS cashier, r.amount, "
    "r.currency, r.description, r.channel, r.contact, r.status, r.payment_id, "
    f"{FISCAL_NUMBER_SQL} AS fiscal_number, {REFUNDED_SQL} AS refunded "
    "FROM receipts r LEFT JOIN members m ON m.shop_id = r.shop_id AND m.user_id = r.cashier_id "
    "WHERE r.shop_id = ? AND r.number > ? AND r.created_at >= ? AND r.created_at < ?"
)

# Goods lines (receipt_lines): a line's sum is price × quantity / 1000 rounded half up, as
# storage.models.lines.line_sum; a top item is a catalogue item (an amount-only line is not),
# counting what refunds did not give back.
_TOP_ITEMS = (
    "SELECT l.code, l.name, l.unit, SUM(l.quantity - l.returned) AS quantity, "
    "SUM((l.price * (l.quantity - l.returned) + 500) / 1000) AS total "
    "FROM receipts r JOIN receipt_lines l ON l.receipt_id = r.id "
    "WHERE r.shop_id = ? AND r.status = 'paid' AND r.paid_at >= ? AND r.paid_at < ? "
    "AND l.quantity > l.returned AND l.item_id IS NOT NULL"
)
_TOP_ITEMS_TAIL = (
    " GROUP BY l.code, l.name, l.unit ORDER BY total DESC, quantity DESC, l.name LIMIT ?"
)
# A receipt without stored lines (made before them) is one row: its purpose, once, its amount.
_LINES_EXPORT = (
    "SELECT r.number, r.created_at, COALESCE(l.position, 1) AS position, "
    "COALESCE(l.code, '') AS code, COALESCE(l.name, r.description) AS name, "
    "COALESCE(l.unit, '') AS unit, COALESCE(l.quantity, 1000) AS quantity, "
    "COALESCE(l.price, r.amount) AS price, "
    "COALESCE((l.price * l.quantity + 500) / 1000, r.amount) AS total "
    "FROM receipts r LEFT JOIN receipt_lines l ON l.receipt_id = r.id "
    "WHERE r.shop_id = ? AND r.created_at >= ? AND r.created_at < ? "
    "AND (r.number > ? OR (r.number = ? AND COALESCE(l.position, 1) > ?))"
)

_RECENT_ITEMS = (
    "SELECT l.item_id FROM receipt_lines l WHERE l.item_id IS NOT NULL AND l.receipt_id IN "
    "(SELECT id FROM receipts WHERE shop_id = ? AND cashier_id = ? ORDER BY id DESC LIMIT ?) "
    "GROUP BY l.item_id ORDER BY MAX(l.receipt_id) DESC, MIN(l.position) LIMIT ?"
)
RECENT_RECEIPTS = 200


def _check_batch(batch_size: int) -> None:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")


class SqliteReports:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def report_rows(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        *,
        cashier_id: int | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[ReportRow]:
        _check_batch(batch_size)
        sql = _REPORT
        tail: list[Any] = []
        if cashier_id is not None:
            sql += " AND r.cashier_id = ?"
            tail.append(cashier_id)
        sql += " ORDER BY r.id LIMIT ?"
        tail.append(batch_size)
        after = 0
        while True:
            rows = await self._db.all(sql, (shop_id, after, *_range(start, end) * 2, *tail))
            for row in rows:
                yield report_row_from(row, CODEC)
            if len(rows) < batch_size:
                return
            after = rows[-1]["id"]

    async def export_rows(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        *,
        cashier_id: int | None = None,
        statuses: Sequence[ReceiptStatus] | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[ExportRow]:
        _check_batch(batch_size)
        if statuses is not None and not statuses:
            return
        sql = _EXPORT
        tail: list[Any] = []
        if cashier_id is not None:
            sql += " AND r.cashier_id = ?"
            tail.append(cashier_id)
        if statuses is not None:
            sql += f" AND r.status IN ({', '.join('?' for _ in statuses)})"
            tail += [s.value for s in statuses]
        sql += " ORDER BY r.number LIMIT ?"
        tail.append(batch_size)
        after = 0
        while True:
            rows = await self._db.all(sql, (shop_id, after, *_range(start, end), *tail))
            for row in rows:
                yield export_row_from(row, CODEC)
            if len(rows) < batch_size:
                return
            after = rows[-1]["number"]

    async def top_items(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        *,
        cashier_id: int | None = None,
        limit: int = 10,
    ) -> list[TopItem]:
        sql, args = _TOP_ITEMS, [shop_id, *_range(start, end)]
        if cashier_id is not None:
            sql += " AND r.cashier_id = ?"
            args.append(cashier_id)
        rows = await self._db.all(sql + _TOP_ITEMS_TAIL, (*args, limit))
        return [top_item_from(row) for row in rows]

    async def export_line_rows(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        *,
        cashier_id: int | None = None,
        statuses: Sequence[ReceiptStatus] | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[LineExportRow]:
        _check_batch(batch_size)
        if statuses is not None and not statuses:
            return
        sql = _LINES_EXPORT
        tail: list[Any] = []
        if cashier_id is not None:
            sql += " AND r.cashier_id = ?"
            tail.append(cashier_id)
        if statuses is not None:
            sql += f" AND r.status IN ({', '.join('?' for _ in statuses)})"
            tail += [s.value for s in statuses]
        sql += " ORDER BY r.number, position LIMIT ?"
        tail.append(batch_size)
        number, position = 0, 0
        while True:
            rows = await self._db.all(
                sql, (shop_id, *_range(start, end), number, number, position, *tail)
            )
            for row in rows:
                yield line_export_row_from(row, CODEC)
            if len(rows) < batch_size:
                return
            number, position = rows[-1]["number"], rows[-1]["position"]

    async def recent_items(self, shop_id: int, cashier_id: int, limit: int) -> list[int]:
        rows = await self._db.all(_RECENT_ITEMS, (shop_id, cashier_id, RECENT_RECEIPTS, limit))
        return [int(row["item_id"]) for row in rows]

    async def report_groups(
        self, shop_id: int, start: datetime, end: datetime, *, cashier_id: int | None = None
    ) -> list[ReportGroup]:
        return await report_groups(self._db, shop_id, start, end, cashier_id)


def _range(start: datetime, end: datetime) -> tuple[float, float]:
    return ts(start), ts(end)
