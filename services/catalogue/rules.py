"""What makes an item: each field checked as a person typed it (or a file carried it),
refused with a reason code the bot says in the reader's language."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from services.catalogue.units import Unit, unit_from_text
from services.core.money import AmountError, parse_amount
from services.core.names import clean_name
from storage.models.catalogue import MAX_TAX_CODES, ItemFields

MAX_NAME = 128
MAX_CODE = 256
MAX_PRICE = 10_000_000_00  # kopecks: ten million hryvnias
_BARCODE_RE = re.compile(r"^[0-9]{8,14}$")
_UKTZED_RE = re.compile(r"^[0-9]{10}$")
_TAX_SPLIT_RE = re.compile(r"[\s,;+/]+")


class Problem(StrEnum):
    NAME_EMPTY = "name_empty"
    NAME_TOO_LONG = "name_too_long"
    PRICE_ZERO = "price_zero"
    PRICE_FORMAT = "price_format"
    PRICE_TOO_BIG = "price_too_big"
    UNIT_UNKNOWN = "unit_unknown"
    TAX_FORMAT = "tax_format"
    TAX_TOO_MANY = "tax_too_many"
    TAX_UNKNOWN = "tax_unknown"
    BARCODE_FORMAT = "barcode_format"
    UKTZED_FORMAT = "uktzed_format"
    CODE_FORMAT = "code_format"
    CODE_TAKEN = "code_taken"
    CODE_TWICE = "code_twice"  # the same code on two lines of one file
    NO_NAME_COLUMN = "no_name_column"
    NOT_CSV = "not_csv"
    TOO_MANY_ROWS = "too_many_rows"
    EMPTY_FILE = "empty_file"


class ItemError(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def check_name(text: str) -> str:
    name = clean_name(text)
    if not name:
        raise ItemError(Problem.NAME_EMPTY)
    if len(name) > MAX_NAME:
        raise ItemError(Problem.NAME_TOO_LONG)
    return name


def check_price(text: str) -> int | None:
    """Kopecks; None for nothing typed (the price is set at sale)."""
    if not text.strip():
        return None
    try:
        return parse_amount(text, MAX_PRICE)
    except AmountError as exc:
        if exc.reason == "zero":
            raise ItemError(Problem.PRICE_ZERO) from None
        if exc.reason == "too_big":
            raise ItemError(Problem.PRICE_TOO_BIG) from None
        raise ItemError(Problem.PRICE_FORMAT) from None


def check_unit(text: str) -> Unit:
    unit = unit_from_text(text)
    if unit is None:
        raise ItemError(Problem.UNIT_UNKNOWN)
    return unit


def check_tax_codes(text: str, allowed: Collection[int] | None) -> tuple[int, ...]:
    """Up to two codes; from `allowed` (the register's list) when it is known."""
    parts = [p for p in _TAX_SPLIT_RE.split(text.strip()) if p]
    if not all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts):
        raise ItemError(Problem.TAX_FORMAT)
    codes = tuple(dict.fromkeys(int(p) for p in parts))
    if len(codes) > MAX_TAX_CODES:
        raise ItemError(Problem.TAX_TOO_MANY)
    if allowed is not None and any(code not in allowed for code in codes):
        raise ItemError(Problem.TAX_UNKNOWN)
    return codes


def check_barcode(text: str) -> str | None:
    barcode = text.strip()
    if not barcode:
        return None
    if not _BARCODE_RE.match(barcode):
        raise ItemError(Problem.BARCODE_FORMAT)
    return barcode


def check_uktzed(text: str) -> str | None:
    uktzed = text.strip().replace(" ", "")
    if not uktzed:
        return None
    if not _UKTZED_RE.match(uktzed):
        raise ItemError(Problem.UKTZED_FORMAT)
    return uktzed


def check_code(text: str) -> str | None:
    """None for nothing given (one is generated)."""
    code = clean_name(text)
    if not code:
        return None
    if len(code) > MAX_CODE:
        raise ItemError(Problem.CODE_FORMAT)
    return code


def new_code() -> str:
    """A code for an item given none: short, and unlikely to meet one a person typed."""
    return f"G{secrets.randbelow(10**9):09d}"


@dataclass(frozen=True)
class ItemText:
    """An item's fields as typed or read from a file, before the rules."""

    name: str
    price: str = ""
    unit: str = ""
    tax: str = ""
    barcode: str = ""
    uktzed: str = ""
    code: str = ""


def check_item(
    text: ItemText, allowed_taxes: Collection[int] | None, code: str | None = None
) -> ItemFields:
    """The item these fields make; the first field refused raises ItemError. `code`: the
    one to use when the text gives none."""
    name = check_name(text.name)
    price = check_price(text.price)
    unit = check_unit(text.unit)
    taxes = check_tax_codes(text.tax, allowed_taxes)
    barcode = check_barcode(text.barcode)
    uktzed = check_uktzed(text.uktzed)
    given = check_code(text.code)
    return ItemFields(
        code=given or code or new_code(),
        name=name,
        price=price,
        unit=unit.value,
        tax_codes=taxes,
        barcode=barcode,
        uktzed=uktzed,
    )


def price_text(price: int | None) -> str:
    """A price as a file or a form field carries it: "25,50"; "" when set at sale."""
    if price is None:
        return ""
    whole, cents = divmod(price, 100)
    return f"{whole},{cents:02d}"


def tax_text(codes: tuple[int, ...]) -> str:
    return " ".join(str(c) for c in codes)
