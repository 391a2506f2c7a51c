from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from storage.models.lines import ReceiptLine, ReturnedLine


class ReceiptLinesRepository(Protocol):
    """The receipts' goods lines (written with the receipt's draft, in its transaction, by
    ReceiptRepository). A receipt made before lines existed has none stored."""

    async def of_receipt(self, receipt_id: int) -> list[ReceiptLine]:
        """The receipt's lines in position order; [] for a receipt without stored lines."""
        ...

    async def of_receipts(self, receipt_ids: Sequence[int]) -> dict[int, list[ReceiptLine]]:
        """Lines of several receipts at once (cards, /pending, export); a receipt without
        stored lines is absent from the answer."""
        ...

    async def returned_by(self, refund_id: int) -> list[ReturnedLine]:
        """What a refund gives back (its lines, in position order; returned_before 0); []
        for a refund of an amount only."""
        ...
