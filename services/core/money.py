"""Amounts are integer kopecks everywhere; these are the only conversions."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CURRENCIES = ("UAH", "USD", "EUR")

# "250", "250.50", "250,50", "1 250,50" (plain, no-break or narrow no-break spaces as groups).
# ASCII digits only: \d (like int() and str.isdigit()) takes "١٢٣", "１２３" or "𝟗𝟗" too.
_AMOUNT_RE = re.compile(r"^([0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:[.,]([0-9]{1,2}))?$")
_TOO_MANY_DECIMALS_RE = re.compile(r"^[0-9 \u00a0\u202f]+[.,][0-9]{3,}$")


class AmountError(ValueError):
    """Why an amount was refused; `reason` is a stable code the bot turns into a message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_amount(text: str, max_kopecks: int) -> int:
    """Parse what a cashier typed into kopecks, or raise AmountError(reason)."""
    cleaned = text.strip()
    if cleaned.startswith("-"):
        raise AmountError("negative")
    if _TOO_MANY_DECIMALS_RE.match(cleaned):
        raise AmountError("decimals")
    match = _AMOUNT_RE.match(cleaned)
    if not match:
        raise AmountError("format")
    whole = re.sub(r"[ \u00a0\u202f]", "", match.group(1))
    fraction = (match.group(2) or "").ljust(2, "0")
    kopecks = int(whole) * 100 + int(fraction or "0")
    if kopecks == 0:
        raise AmountError("zero")
    if kopecks > max_kopecks:
        raise AmountError("too_big")
    return kopecks


def to_wire(kopecks: int) -> str:
    """Exact decimal text for LiqPay: 25050 -> "250.5", 25000 -> "250", 1 -> "0.01"."""
    whole, cents = divmod(kopecks, 100)
    if cents == 0:
        return str(whole)
    return f"{whole}.{cents:02d}".rstrip("0")


def from_wire(value: object) -> int:
    """LiqPay's amount (JSON number, Decimal or string) to kopecks, rounding half up."""
    if isinstance(value, bool) or value is None:
        raise ValueError("not an amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError("not an amount") from exc
    if not amount.is_finite():
        raise ValueError("not an amount")
    try:
        return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation as exc:  # more digits than Decimal's precision holds
        raise ValueError("not an amount") from exc


def format_amount(kopecks: int, currency: str = "UAH") -> str:
    """Human text: 125050 -> "1 250,50 UAH", -444 -> "-4,44 UAH"."""
    sign = "-" if kopecks < 0 else ""
    whole, cents = divmod(abs(kopecks), 100)
    grouped = f"{whole:,}".replace(",", "\u00a0")
    return f"{sign}{grouped},{cents:02d}\u00a0{currency}"
