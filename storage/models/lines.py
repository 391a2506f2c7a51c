"""What a receipt sells: its goods lines, as the basket made them and the fiscal receipt
prints them. Quantities are in thousandths (1 piece = 1000, 0,25 kg = 250), as Checkbox
counts them; prices are kopecks per whole unit (per 1000 of quantity)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

QUANTITY_SCALE = 1000  # a quantity of 1 (piece, kg, l, …)


def line_sum(price: int, quantity: int) -> int:
    """price × quantity in kopecks, rounded half up to the kopeck (Checkbox rounds a goods
    line's sum commercially: 0.5 kopeck and more goes up). Integers only, no float."""
    if price < 0 or quantity <= 0:
        raise ValueError("a line has a positive quantity and a non-negative price")
    whole, rest = divmod(price * quantity, QUANTITY_SCALE)
    return whole + (1 if 2 * rest >= QUANTITY_SCALE else 0)


@dataclass(frozen=True)
class SaleLine:
    """One goods line of a receipt: what the customer reads on the invoice, what the fiscal
    receipt prints, and what a return gives back."""

    code: str  # the goods code on the fiscal receipt (the catalogue item's; never an order id)
    name: str  # 1–128 characters
    unit: str  # services.catalogue.units.Unit
    quantity: int  # thousandths
    price: int  # kopecks per unit
    tax_codes: tuple[int, ...] = ()
    barcode: str | None = None
    uktzed: str | None = None
    item_id: int | None = None  # the catalogue item; None: the shop's default goods name

    @property
    def total(self) -> int:
        return line_sum(self.price, self.quantity)


def name_code(name: str) -> str:
    """The goods code of a line without a catalogue item (the shop's default goods name): the
    same for the same name on every receipt, derived from the name, never from the order."""
    return "N" + hashlib.sha256(name.encode()).hexdigest()[:12].upper()


def basket_total(lines: Iterable[SaleLine]) -> int:
    """The receipt's amount: the sum of its lines' sums."""
    return sum(line.total for line in lines)


@dataclass(frozen=True)
class ReceiptLine:
    """A stored line of one receipt, with how much of it refunds gave back so far."""

    receipt_id: int
    position: int  # 1-based, in the basket's order
    line: SaleLine
    returned: int = 0  # thousandths returned by refunds so far (never more than quantity)


@dataclass(frozen=True)
class ReturnedLine:
    """What one refund gives back of one line: a quantity and the kopecks it is worth."""

    position: int
    quantity: int  # thousandths, at most what is not returned yet
    amount: int  # kopecks
    returned_before: int = 0  # the line's returned quantity the owner saw (a compare-and-set)
