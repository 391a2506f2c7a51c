"""The shop's catalogue: goods and services with the name a receipt prints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_TAX_CODES = 2  # Checkbox takes up to two tax codes per goods line


def search_key(text: str) -> str:
    """What a name is searched by, the same on every engine (SQLite's lower() is ASCII only)."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class ItemFields:
    """An item as the owner (or an import) describes it; the rules are in services/catalogue."""

    code: str  # unique in the shop
    name: str  # what the receipt prints
    price: int | None  # kopecks; None: the price is set at sale
    unit: str  # services.catalogue.units.Unit
    tax_codes: tuple[int, ...] = ()  # the register's tax rate codes; () not taxed
    barcode: str | None = None
    uktzed: str | None = None  # 10 digits, required for excise goods


@dataclass(frozen=True)
class CatalogueItem:
    id: int
    shop_id: int
    code: str
    name: str
    price: int | None
    unit: str
    tax_codes: tuple[int, ...]
    barcode: str | None
    uktzed: str | None
    archived: bool  # an archived item is not offered any more; old receipts keep it
    created_at: datetime
    updated_at: datetime

    @property
    def fields(self) -> ItemFields:
        return ItemFields(
            code=self.code,
            name=self.name,
            price=self.price,
            unit=self.unit,
            tax_codes=self.tax_codes,
            barcode=self.barcode,
            uktzed=self.uktzed,
        )


@dataclass(frozen=True)
class SearchPage:
    items: list[CatalogueItem]
    more: bool  # another page follows


def tax_codes_text(codes: tuple[int, ...]) -> str:
    return ",".join(str(c) for c in codes)


def tax_codes_from(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)
