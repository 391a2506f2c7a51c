"""The receipts' goods lines (written by PostgresReceipts.create_draft, with the draft)."""

from __future__ import annotations

from collections.abc import Sequence

from storage.models.lines import ReceiptLine, ReturnedLine, SaleLine
from storage.postgres.engine import PostgresEngine, Tx
from storage.rows import LINE_COLUMNS, line_values, receipt_line_from

_INSERT = (
    f"INSERT INTO receipt_lines ({LINE_COLUMNS}) "  # noqa: S608
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
)


async def insert_lines(tx: Tx, receipt_id: int, lines: Sequence[SaleLine]) -> None:
    """The draft's lines, inside its transaction."""
    if lines:
        await tx.executemany(
            _INSERT, [line_values(receipt_id, n, line) for n, line in enumerate(lines, start=1)]
        )


class PostgresReceiptLines:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def of_receipt(self, receipt_id: int) -> list[ReceiptLine]:
        rows = await self._db.all(
            "SELECT * FROM receipt_lines WHERE receipt_id = $1 ORDER BY position", receipt_id
        )
        return [receipt_line_from(row) for row in rows]

    async def of_receipts(self, receipt_ids: Sequence[int]) -> dict[int, list[ReceiptLine]]:
        rows = await self._db.all(
            "SELECT * FROM receipt_lines WHERE receipt_id = ANY($1::bigint[]) "
            "ORDER BY receipt_id, position",
            list(dict.fromkeys(receipt_ids)),
        )
        found: dict[int, list[ReceiptLine]] = {}
        for row in rows:
            line = receipt_line_from(row)
            found.setdefault(line.receipt_id, []).append(line)
        return found

    async def returned_by(self, refund_id: int) -> list[ReturnedLine]:
        rows = await self._db.all(
            "SELECT position, quantity, amount FROM refund_lines WHERE refund_id = $1 "
            "ORDER BY position",
            refund_id,
        )
        return [ReturnedLine(r["position"], r["quantity"], r["amount"]) for r in rows]
