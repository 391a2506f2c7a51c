"""The shop's default goods name: what an "amount only" receipt prints as its one goods line.

The owner picks a group name (a few of the DK 016-like groups a small FOP may name goods by),
types one of their own, or lets the payment's purpose name the goods when the cashier typed
one. Until the owner chooses, FALLBACK_GOODS_NAME is printed. The fiscal receipt's text is
always Ukrainian, whoever reads the bot in English; never an order id, never empty."""

from __future__ import annotations

from services.catalogue.rules import MAX_NAME, check_name
from services.catalogue.units import Unit
from services.core.names import clean_name
from storage.models.lines import QUANTITY_SCALE, SaleLine, name_code
from storage.models.settings import ShopSettings

FALLBACK_GOODS_NAME = "Товари та послуги"

# The group names an owner picks from, as the receipt prints them, each with its unit.
GOODS_GROUPS: dict[str, Unit] = {
    "Продукти харчування": Unit.PIECE,
    "Напої": Unit.PIECE,
    "Квіти та рослини": Unit.PIECE,
    "Одяг та взуття": Unit.PIECE,
    "Косметика": Unit.PIECE,
    "Товари для дому": Unit.PIECE,
    "Послуги": Unit.SERVICE,
    "Ремонт та обслуговування": Unit.SERVICE,
}


def check_goods_name(text: str) -> str:
    """A name the owner typed, as the receipt will print it (invisible controls removed);
    ItemError NAME_EMPTY or NAME_TOO_LONG (1–128 characters)."""
    return check_name(text)


def goods_code(name: str) -> str:
    """The goods code of a default-name line: the same for the same name on every receipt
    (Checkbox sums a code's sales), derived from the name, never from the order."""
    return name_code(name)


def goods_name_for(shop: ShopSettings, description: str | None) -> str:
    """The name an "amount only" receipt prints: the payment's purpose when the shop says
    so and the cashier typed one, else the chosen name, else the fallback."""
    if shop.goods_name_from_purpose and description:
        purpose = clean_name(description)[:MAX_NAME].strip()
        if purpose:
            return purpose
    return shop.default_goods_name or FALLBACK_GOODS_NAME


def default_line(name: str, amount: int) -> SaleLine:
    """One line of `amount` kopecks named `name`: quantity 1, no catalogue item, the shop's
    fiscal tax rate (the fiscal sale applies it to a line without its own)."""
    unit = GOODS_GROUPS.get(name, Unit.PIECE)
    return SaleLine(
        code=goods_code(name),
        name=name,
        unit=unit.value,
        quantity=QUANTITY_SCALE,
        price=amount,
    )
