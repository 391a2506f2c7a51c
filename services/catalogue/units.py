"""The units an item is sold in: one list, each with LiqPay's unit name (what an invoice's
`goods` line carries). The printed short names are texts, in bot/catalogue/views.py."""

from __future__ import annotations

from enum import StrEnum


class Unit(StrEnum):
    PIECE = "piece"
    KG = "kg"
    G = "g"
    L = "l"
    ML = "ml"
    M = "m"
    PACK = "pack"
    SERVICE = "service"


DEFAULT_UNIT = Unit.PIECE

LIQPAY_UNITS: dict[Unit, str] = {
    Unit.PIECE: "шт.",
    Unit.KG: "кг",
    Unit.G: "г",
    Unit.L: "л",
    Unit.ML: "мл",
    Unit.M: "м",
    Unit.PACK: "уп.",
    Unit.SERVICE: "послуга",
}

# What a CSV may say in its unit column beside the values: the Ukrainian short names
# (with or without the dot) and a few English ones.
_ALIASES: dict[str, Unit] = {
    "pcs": Unit.PIECE,
    "pc": Unit.PIECE,
    "шт": Unit.PIECE,
    "штука": Unit.PIECE,
    "кг": Unit.KG,
    "г": Unit.G,
    "гр": Unit.G,
    "л": Unit.L,
    "мл": Unit.ML,
    "м": Unit.M,
    "уп": Unit.PACK,
    "упаковка": Unit.PACK,
    "послуга": Unit.SERVICE,
    "посл": Unit.SERVICE,
}


def unit_from_text(text: str) -> Unit | None:
    """The unit a person or a file names; DEFAULT_UNIT for nothing; None when unknown."""
    cleaned = text.strip().casefold().rstrip(".")
    if not cleaned:
        return DEFAULT_UNIT
    if cleaned in Unit._value2member_map_:
        return Unit(cleaned)
    return _ALIASES.get(cleaned)
