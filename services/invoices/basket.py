"""The basket of /new: the rules of a sale built from the shop's catalogue, with no aiogram.

A basket is a tuple of `SaleLine`s. Between the dialog's steps it is kept in the dialog's
data as plain ints and strings (`to_data` / `from_data`). Quantities are thousandths
(`0,25` kg is 250), prices and sums kopecks: nothing here is a float. Refusals are
`BasketError`s whose `reason` the bot says in the reader's language; a refused change
leaves the basket as it was (the functions return a new tuple, never change one)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from services.catalogue.units import Unit
from services.core.money import AmountError, parse_amount
from storage.models.catalogue import CatalogueItem, tax_codes_from, tax_codes_text
from storage.models.lines import QUANTITY_SCALE, SaleLine, basket_total, line_sum

MAX_LINES = 30  # a basket's lines: the summary and the buttons must fit one message
MAX_QUANTITY = 100_000 * QUANTITY_SCALE  # 100,000 units of anything is a typo
# Units sold by measure take a decimal quantity (up to 3 digits: grams of a kilogram);
# the others (pieces, packs, services, grams, millilitres) are counted whole.
DECIMAL_UNITS = frozenset({Unit.KG, Unit.L, Unit.M})
BARCODE_LENGTHS = frozenset({8, 12, 13, 14})  # EAN-8, UPC-A, EAN-13, GTIN-14

_QUANTITY_RE = re.compile(r"^([0-9]+)(?:[.,]([0-9]+))?$")
_DIGITS_RE = re.compile(r"^[0-9]+$")


class BasketError(ValueError):
    """Why a change to the basket was refused: `reason` is a stable code.

    quantity: `q_format`, `q_zero`, `q_negative`, `q_precise` (more decimals than the unit
    takes), `q_whole` (a fraction of a piece), `q_too_big`; price: `p_format`, `p_zero`,
    `p_decimals`, `p_too_big`, `p_negative`; item: `unknown`, `archived`, `no_price`
    (a price is needed); basket: `too_big` (over the maximum invoice amount), `too_many`
    (lines), `no_line` (a position that is not there), `empty`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_token() -> str:
    """A basket's token: its buttons carry it, and it changes with every change of the
    basket, so a button of an earlier basket (a removed line's, another dialog's) is told
    apart from the basket now shown. 32 random bits: 8 hex characters of button data."""
    return secrets.token_hex(4)


def is_decimal_unit(unit: str) -> bool:
    return unit in DECIMAL_UNITS


def looks_like_barcode(text: str) -> bool:
    """8, 12, 13 or 14 digits: what a scanner sends. Only a barcode found in the catalogue
    is taken as one; any other number is an amount."""
    cleaned = text.strip()
    return bool(_DIGITS_RE.match(cleaned)) and len(cleaned) in BARCODE_LENGTHS


def parse_quantity(text: str, unit: str) -> int:
    """What the cashier typed as a quantity, in thousandths: `2` → 2000, `0,25` → 250
    (for a unit sold by measure). Raises BasketError with a `q_*` reason."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if cleaned.startswith("-"):
        raise BasketError("q_negative")
    match = _QUANTITY_RE.match(cleaned)
    if not match:
        raise BasketError("q_format")
    whole, fraction = match.group(1), (match.group(2) or "").rstrip("0")
    if fraction and not is_decimal_unit(unit):
        raise BasketError("q_whole")
    if len(fraction) > 3:
        raise BasketError("q_precise")
    if len(whole) > 9:
        raise BasketError("q_too_big")
    quantity = int(whole) * QUANTITY_SCALE + int(fraction.ljust(3, "0") or "0")
    if quantity == 0:
        raise BasketError("q_zero")
    if quantity > MAX_QUANTITY:
        raise BasketError("q_too_big")
    return quantity


def parse_price(text: str, max_kopecks: int) -> int:
    """A price per unit typed at sale, in kopecks (0 is refused)."""
    try:
        return parse_amount(text, max_kopecks)
    except AmountError as exc:
        reasons = {
            "zero": "p_zero",
            "negative": "p_negative",
            "decimals": "p_decimals",
            "too_big": "p_too_big",
        }
        raise BasketError(reasons.get(exc.reason, "p_format")) from None


def format_quantity(quantity: int) -> str:
    """Thousandths as a person writes them: 2000 → "2", 250 → "0,25", 1500 → "1,5"."""
    whole, rest = divmod(quantity, QUANTITY_SCALE)
    if not rest:
        return str(whole)
    return f"{whole},{rest:03d}".rstrip("0")


def sale_line(item: CatalogueItem, quantity: int, price: int | None = None) -> SaleLine:
    """The line an item makes; `price` is the one typed at sale when the item has none.
    Raises BasketError: archived, or no price."""
    if item.archived:
        raise BasketError("archived")
    unit_price = item.price if item.price is not None else price
    if unit_price is None:
        raise BasketError("no_price")
    if unit_price <= 0:
        raise BasketError("p_zero")
    return SaleLine(
        code=item.code,
        name=item.name,
        unit=item.unit,
        quantity=quantity,
        price=unit_price,
        tax_codes=item.tax_codes,
        barcode=item.barcode,
        uktzed=item.uktzed,
        item_id=item.id,
    )


def _checked(lines: tuple[SaleLine, ...], max_total: int) -> tuple[SaleLine, ...]:
    if len(lines) > MAX_LINES:
        raise BasketError("too_many")
    if basket_total(lines) > max_total:
        raise BasketError("too_big")
    return lines


def add_line(lines: tuple[SaleLine, ...], line: SaleLine, max_total: int) -> tuple[SaleLine, ...]:
    """The basket with `line` added; the same item at the same price adds to its line."""
    for position, existing in enumerate(lines):
        if (
            existing.item_id is not None
            and existing.item_id == line.item_id
            and existing.price == line.price
        ):
            quantity = existing.quantity + line.quantity
            if quantity > MAX_QUANTITY:
                raise BasketError("q_too_big")
            return _checked(
                (*lines[:position], replace(existing, quantity=quantity), *lines[position + 1 :]),
                max_total,
            )
    return _checked((*lines, line), max_total)


def set_quantity(
    lines: tuple[SaleLine, ...], position: int, quantity: int, max_total: int
) -> tuple[SaleLine, ...]:
    """`position` is 0-based."""
    if not 0 <= position < len(lines):
        raise BasketError("no_line")
    changed = replace(lines[position], quantity=quantity)
    return _checked((*lines[:position], changed, *lines[position + 1 :]), max_total)


def remove_line(lines: tuple[SaleLine, ...], position: int) -> tuple[SaleLine, ...]:
    if not 0 <= position < len(lines):
        raise BasketError("no_line")
    return lines[:position] + lines[position + 1 :]


def checkout_total(lines: tuple[SaleLine, ...], max_total: int) -> int:
    """The invoice's amount: the lines' sum. Raises BasketError: empty, too big."""
    if not lines:
        raise BasketError("empty")
    return basket_total(_checked(lines, max_total))


def line_total(line: SaleLine) -> int:
    return line_sum(line.price, line.quantity)


# --- the dialog's data: plain ints and strings -----------------------------------------


def to_data(lines: Sequence[SaleLine]) -> list[dict[str, Any]]:
    return [
        {
            "i": line.item_id or 0,
            "c": line.code,
            "n": line.name,
            "u": line.unit,
            "q": line.quantity,
            "p": line.price,
            "t": tax_codes_text(line.tax_codes),
            "b": line.barcode or "",
            "z": line.uktzed or "",
        }
        for line in lines
    ]


def from_data(data: object) -> tuple[SaleLine, ...]:
    """The basket kept in the dialog's data; () when there is none."""
    if not isinstance(data, list):
        return ()
    return tuple(
        SaleLine(
            code=str(row["c"]),
            name=str(row["n"]),
            unit=str(row["u"]),
            quantity=int(row["q"]),
            price=int(row["p"]),
            tax_codes=tax_codes_from(str(row.get("t", ""))),
            barcode=str(row.get("b") or "") or None,
            uktzed=str(row.get("z") or "") or None,
            item_id=int(row.get("i") or 0) or None,
        )
        for row in data
        if isinstance(row, dict)
    )
