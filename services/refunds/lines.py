"""Returns by goods: what a refund gives back of a receipt's lines, and what it is worth.

Returning `q` of a line that had `r` returned already is worth
line_sum(price, r + q) − line_sum(price, r): the parts of a line returned in several refunds
add up to exactly the line's sum, whatever the rounding of each."""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.catalogue.units import Unit
from services.refunds.problems import RefundProblem, RefundRefused
from storage.models.lines import QUANTITY_SCALE, ReceiptLine, ReturnedLine, line_sum

_QUANTITY_RE = re.compile(r"^(\d{1,7})(?:[.,](\d{1,3}))?$")
_WHOLE_UNITS = {Unit.PIECE.value, Unit.PACK.value, Unit.SERVICE.value}


def left_of(line: ReceiptLine) -> int:
    """What of the line is not returned yet, in thousandths."""
    return line.line.quantity - line.returned


def worth(line: ReceiptLine, quantity: int) -> int:
    """What returning `quantity` of the line now is worth, in kopecks."""
    price = line.line.price
    before = line_sum(price, line.returned) if line.returned else 0
    return line_sum(price, line.returned + quantity) - before


def pick(line: ReceiptLine, quantity: int) -> ReturnedLine:
    """Return `quantity` of the line; RefundRefused(QUANTITY_TOO_BIG) beyond what is left,
    QUANTITY_FORMAT for nothing or a part of a piece."""
    if quantity <= 0:
        raise RefundRefused(RefundProblem.QUANTITY_FORMAT)
    if quantity > left_of(line):
        raise RefundRefused(RefundProblem.QUANTITY_TOO_BIG)
    whole = line.line.unit in _WHOLE_UNITS
    if whole and quantity % QUANTITY_SCALE and quantity != left_of(line):
        raise RefundRefused(RefundProblem.QUANTITY_FORMAT)
    amount = worth(line, quantity)
    if amount <= 0:  # less than a kopeck's worth: nothing LiqPay could give back
        raise RefundRefused(RefundProblem.QUANTITY_FORMAT)
    return ReturnedLine(line.position, quantity, amount, line.returned)


def parse_quantity(text: str, line: ReceiptLine) -> int:
    """A quantity the owner typed (`2`, `0,25`, `0.125`) in thousandths: whole for pieces,
    at most three decimals; RefundRefused(QUANTITY_FORMAT) otherwise."""
    match = _QUANTITY_RE.match(text.strip().replace(" ", ""))
    if match is None:
        raise RefundRefused(RefundProblem.QUANTITY_FORMAT)
    whole, part = match.group(1), match.group(2) or ""
    quantity = int(whole) * QUANTITY_SCALE + int(part.ljust(3, "0") or 0)
    if quantity <= 0:
        raise RefundRefused(RefundProblem.QUANTITY_FORMAT)
    return quantity


def everything_left(lines: Sequence[ReceiptLine], refundable: int) -> tuple[ReturnedLine, ...]:
    """A full refund as goods: every line's rest, when that is exactly what is left to
    refund; () otherwise (an amount was refunded before: the refund is an amount)."""
    picks = tuple(
        ReturnedLine(line.position, left_of(line), worth(line, left_of(line)), line.returned)
        for line in lines
        if left_of(line) > 0
    )
    if not picks or sum(p.amount for p in picks) != refundable:
        return ()
    return picks


def returnable(lines: Sequence[ReceiptLine]) -> bool:
    """Whether the owner chooses goods to return (several lines, or more than one unit of
    one); a receipt of one unit (or without lines) is refunded by amount."""
    if len(lines) > 1:
        return True
    return bool(lines) and lines[0].line.quantity != QUANTITY_SCALE
