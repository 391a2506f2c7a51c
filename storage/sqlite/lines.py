"""The receipts' goods lines (written by SqliteReceipts.create_draft, with the draft)."""

from __future__ import annotations

from collections.abc import Sequence

from storage.models.lines import ReceiptLine, ReturnedLine, SaleLine
from storage.rows import LINE_COLUMNS, line_values, receipt_line_from
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.tx import Stmt

MAX_LINES = 500  # a receipt's lines fit in one guarded INSERT (11 values each)
_CHUNK = 500


def lines_insert(lines: Sequence[SaleLine], receipt_key: str) -> list[Stmt]:
    """One INSERT of the draft's lines, run only if the statement just before inserted the
    draft (changes() > 0), the receipt found by its idempotency key."""
    if not lines:
        return []
    if len(lines) > MAX_LINES:
        raise ValueError("too many lines for one receipt")
    params: list[object] = [receipt_key]
    for position, line in enumerate(lines, start=1):
        params += line_values(None, position, line)[1:]
    values = ", ".join("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" for _ in lines)
    sql = (
        f"INSERT INTO receipt_lines ({LINE_COLUMNS}) "  # noqa: S608
        "SELECT (SELECT id FROM receipts WHERE idempotency_key = ?), v.column1, v.column2, "
        "v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, "
        f"v.column10 FROM (VALUES {values}) v WHERE changes() > 0"
    )
    return [Stmt(sql, params)]


class SqliteReceiptLines:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def of_receipt(self, receipt_id: int) -> list[ReceiptLine]:
        rows = await self._db.all(
            "SELECT * FROM receipt_lines WHERE receipt_id = ? ORDER BY position", (receipt_id,)
        )
        return [receipt_line_from(row) for row in rows]

    async def of_receipts(self, receipt_ids: Sequence[int]) -> dict[int, list[ReceiptLine]]:
        found: dict[int, list[ReceiptLine]] = {}
        ids = list(dict.fromkeys(receipt_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            rows = await self._db.all(
                f"SELECT * FROM receipt_lines WHERE receipt_id IN ({marks}) "  # noqa: S608
                "ORDER BY receipt_id, position",
                chunk,
            )
            for row in rows:
                line = receipt_line_from(row)
                found.setdefault(line.receipt_id, []).append(line)
        return found

    async def returned_by(self, refund_id: int) -> list[ReturnedLine]:
        rows = await self._db.all(
            "SELECT position, quantity, amount FROM refund_lines WHERE refund_id = ? "
            "ORDER BY position",
            (refund_id,),
        )
        return [ReturnedLine(r["position"], r["quantity"], r["amount"]) for r in rows]
