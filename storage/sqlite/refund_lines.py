"""The lines a refund gives back: reserved with the refund, given back when it fails."""

from __future__ import annotations

from collections.abc import Sequence

from storage.models.lines import ReturnedLine
from storage.sqlite.tx import Tx


async def reserve_lines(
    tx: Tx, refund_id: int, receipt_id: int, lines: Sequence[ReturnedLine]
) -> bool:
    """Raise each line's returned quantity (compare-and-set on what the owner saw) and keep
    what the refund returns; False when a line changed or would exceed what was sold (the
    caller rolls back)."""
    for line in lines:
        changed = await tx.execute(
            "UPDATE receipt_lines SET returned = returned + ? WHERE receipt_id = ? "
            "AND position = ? AND returned = ? AND returned + ? <= quantity",
            (line.quantity, receipt_id, line.position, line.returned_before, line.quantity),
        )
        if not changed:
            return False
        await tx.execute(
            "INSERT INTO refund_lines (refund_id, position, quantity, amount) VALUES (?, ?, ?, ?)",
            (refund_id, line.position, line.quantity, line.amount),
        )
    return True


async def give_back(tx: Tx, refund_id: int, receipt_id: int) -> None:
    """A failed refund's quantities are not returned after all."""
    await tx.execute(
        "UPDATE receipt_lines SET returned = returned - (SELECT f.quantity FROM refund_lines f "
        "WHERE f.refund_id = ? AND f.position = receipt_lines.position) "
        "WHERE receipt_id = ? AND position IN "
        "(SELECT position FROM refund_lines WHERE refund_id = ?)",
        (refund_id, receipt_id, refund_id),
    )
