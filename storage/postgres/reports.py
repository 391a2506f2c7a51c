"""A shop's receipts over a period, streamed in batches for reports and exports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from storage.models.receipts import Channel, ReceiptStatus
from storage.models.reports import ExportRow, LineExportRow, ReportGroup, ReportRow, TopItem
from storage.postgres.engine import CODEC, PostgresEngine
from storage.rows import export_row_from, line_export_row_from, report_row_from, top_item_from

# The fiscal receipt's number, whether it was registered, and the refunded sum: each is
# used by both queries.
FISCAL_NUMBER_SQL = "r.fiscal_code"
FISCAL_REGISTERED_SQL = "(r.fiscal_state IS NOT DISTINCT FROM 'registered')"
# a receipt refunded before refunds were tracked (migration 7) counts as refunded in full
REFUNDED_SQL = (
    "CASE WHEN r.status = 'refunded' AND r.refunded_amount = 0 THEN r.amount"
    " ELSE r.refunded_amount END"
)

# One statement each (prepared once per connection): absent filters are NULL parameters.
# Keyset pagination: each batch starts after the last id (number) of the one before.
_REPORT = f"""
    SELECT r.id, r.status, r.amount, r.currency, r.channel, r.cashier_id, r.created_at,
           r.paid_at, {REFUNDED_SQL} AS refunded, {FISCAL_REGISTERED_SQL} AS fiscal_registered
    FROM receipts r
    WHERE r.shop_id = $1 AND r.id > $2
      AND ((r.created_at >= $3 AND r.created_at < $4) OR (r.paid_at >= $3 AND r.paid_at < $4))
      AND ($5::bigint IS NULL OR r.cashier_id = $5)
    ORDER BY r.id
    LIMIT $6
"""  # noqa: S608 (constants only)
_EXPORT = f"""
    SELECT r.number, r.created_at, r.paid_at,
           COALESCE(NULLIF(m.name, ''), r.cashier_id::text) AS cashier, r.amount, r.currency,
           r.description, r.channel, r.contact, r.status, r.payment_id,
           {FISCAL_NUMBER_SQL} AS fiscal_number, {REFUNDED_SQL} AS refunded
    FROM receipts r
    LEFT JOIN members m ON m.shop_id = r.shop_id AND m.user_id = r.cashier_id
    WHERE r.shop_id = $1 AND r.number > $2 AND r.created_at >= $3 AND r.created_at < $4
      AND ($5::bigint IS NULL OR r.cashier_id = $5)
      AND ($6::text[] IS NULL OR r.status = ANY($6::text[]))
    ORDER BY r.number
    LIMIT $7
"""  # noqa: S608 (constants only)

# Goods lines (receipt_lines): a line's sum is price × quantity / 1000 rounded half up, as
# storage.models.lines.line_sum; a top item is a catalogue item (an amount-only line is not),
# counting what refunds did not give back.
_TOP_ITEMS = """
    SELECT l.code, l.name, l.unit, SUM(l.quantity - l.returned) AS quantity,
           SUM((l.price * (l.quantity - l.returned) + 500) / 1000) AS total
    FROM receipts r JOIN receipt_lines l ON l.receipt_id = r.id
    WHERE r.shop_id = $1 AND r.status = 'paid' AND r.paid_at >= $2 AND r.paid_at < $3
      AND l.quantity > l.returned AND l.item_id IS NOT NULL
      AND ($4::bigint IS NULL OR r.cashier_id = $4)
    GROUP BY l.code, l.name, l.unit
    ORDER BY total DESC, quantity DESC, l.name
    LIMIT $5
"""
# A receipt without stored lines (made before them) is one row: its purpose, once, its amount.
_LINES_EXPORT = """
    SELECT r.number, r.created_at, COALESCE(l.position, 1) AS position,
           COALESCE(l.code, '') AS code, COALESCE(l.name, r.description) AS name,
           COALESCE(l.unit, '') AS unit, COALESCE(l.quantity, 1000) AS quantity,
           COALESCE(l.price, r.amount) AS price,
           COALESCE((l.price * l.quantity + 500) / 1000, r.amount) AS total
    FROM receipts r LEFT JOIN receipt_lines l ON l.receipt_id = r.id
    WHERE r.shop_id = $1 AND r.created_at >= $2 AND r.created_at < $3
      AND (r.number > $4 OR (r.number = $4 AND COALESCE(l.position, 1) > $5))
      AND ($6::bigint IS NULL OR r.cashier_id = $6)
      AND ($7::text[] IS NULL OR r.status = ANY($7::text[]))
    ORDER BY r.number, COALESCE(l.position, 1)
    LIMIT $8
"""

_RECENT_ITEMS = """
    SELECT l.item_id FROM receipt_lines l
    WHERE l.item_id IS NOT NULL AND l.receipt_id IN (
        SELECT id FROM receipts WHERE shop_id = $1 AND cashier_id = $2 ORDER BY id DESC LIMIT $3
    )
    GROUP BY l.item_id ORDER BY MAX(l.receipt_id) DESC, MIN(l.position) LIMIT $4
"""
RECENT_RECEIPTS = 200
# When a report counts a receipt: when the money came in, else when it was made. The index
# receipts_report_groups (migration 16) is on this expression (without the `r.`): a period's
# receipts are one range of it.
COUNTED_SQL = (
    "(CASE WHEN (r.status NOT IN ('draft', 'awaiting', 'failed', 'expired', 'cancelled') "
    f"OR ({REFUNDED_SQL}) > 0) AND r.paid_at IS NOT NULL THEN r.paid_at ELSE r.created_at END)"
)
_GROUPS = f"""
    WITH base AS (
        SELECT r.status, r.amount, r.currency, r.channel, r.cashier_id,
               {REFUNDED_SQL} AS refunded, {FISCAL_REGISTERED_SQL} AS fiscal_registered,
               {COUNTED_SQL} AS counted_at
        FROM receipts r
        WHERE r.shop_id = $1 AND {COUNTED_SQL} >= $2 AND {COUNTED_SQL} < $3
          AND ($4::bigint IS NULL OR r.cashier_id = $4)
    )
    SELECT status, currency, channel, cashier_id, fiscal_registered,
           CASE WHEN status = 'refunded' OR (refunded > 0 AND refunded = amount) THEN 'full'
                WHEN refunded > 0 THEN 'partial' ELSE 'none' END AS refund_kind,
           floor(extract(epoch FROM counted_at) / 3600)::bigint AS hour,
           COUNT(*) AS n, SUM(amount) AS amount, SUM(refunded) AS refunded
    FROM base WHERE counted_at >= $2 AND counted_at < $3
    GROUP BY 1, 2, 3, 4, 5, 6, 7
"""  # noqa: S608 (constants only)


def _check_batch(batch_size: int) -> None:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")


class PostgresReports:
    def __init__(self, engine: PostgresEngine) -> None:
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
        after = 0
        while True:
            rows = await self._db.all(_REPORT, shop_id, after, start, end, cashier_id, batch_size)
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
        wanted = None if statuses is None else [s.value for s in statuses]
        after = 0
        while True:
            rows = await self._db.all(
                _EXPORT, shop_id, after, start, end, cashier_id, wanted, batch_size
            )
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
        rows = await self._db.all(_TOP_ITEMS, shop_id, start, end, cashier_id, limit)
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
        wanted = None if statuses is None else [s.value for s in statuses]
        number, position = 0, 0
        while True:
            rows = await self._db.all(
                _LINES_EXPORT,
                shop_id,
                start,
                end,
                number,
                position,
                cashier_id,
                wanted,
                batch_size,
            )
            for row in rows:
                yield line_export_row_from(row, CODEC)
            if len(rows) < batch_size:
                return
            number, position = rows[-1]["number"], rows[-1]["position"]

    async def recent_items(self, shop_id: int, cashier_id: int, limit: int) -> list[int]:
        rows = await self._db.all(_RECENT_ITEMS, shop_id, cashier_id, RECENT_RECEIPTS, limit)
        return [int(row["item_id"]) for row in rows]

    async def report_groups(
        self, shop_id: int, start: datetime, end: datetime, *, cashier_id: int | None = None
    ) -> list[ReportGroup]:
        rows = await self._db.all(_GROUPS, shop_id, start, end, cashier_id)
        return [
            ReportGroup(
                ReceiptStatus(r["status"]),
                r["currency"],
                Channel(r["channel"]),
                int(r["cashier_id"]),
                bool(r["fiscal_registered"]),
                r["refund_kind"],
                int(r["hour"]),
                int(r["n"]),
                int(r["amount"]),
                int(r["refunded"]),
            )
            for r in rows
        ]
