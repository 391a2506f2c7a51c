"""A receipt's goods lines as its invoice carries them: the lines the cashier sold, or one
line named by the shop's default goods name; and LiqPay's `goods` list, which adds up to
the invoice's amount exactly."""

from __future__ import annotations

from collections.abc import Sequence

from services.catalogue.units import LIQPAY_UNITS, Unit
from services.goods.names import default_line, goods_name_for
from services.liqpay.client import InvoiceGoods
from storage.models.lines import QUANTITY_SCALE, SaleLine, basket_total
from storage.models.settings import ShopSettings

MAX_LINES = 200
_MAX_NAME = 128


class LinesDoNotAddUp(ValueError):
    """The request's amount is not the sum of its lines (or a line is not a line)."""


def receipt_lines(
    shop: ShopSettings, amount: int, description: str | None, lines: Sequence[SaleLine]
) -> tuple[SaleLine, ...]:
    """What the receipt sells: `lines` when given (they must add up to `amount`), else one
    line of `amount` named by the shop's default goods name."""
    if not lines:
        return (default_line(goods_name_for(shop, description), amount),)
    if len(lines) > MAX_LINES:
        raise LinesDoNotAddUp("too many lines")
    for line in lines:
        if not (0 < len(line.name) <= _MAX_NAME and 0 < len(line.code) <= 256):
            raise LinesDoNotAddUp("a line's name or code is empty or too long")
        if line.quantity <= 0 or line.price < 0:
            raise LinesDoNotAddUp("a line's quantity or price is out of range")
    if basket_total(lines) != amount:
        raise LinesDoNotAddUp("the amount is not the sum of the lines")
    return tuple(lines)


def _unit_name(unit: str) -> str:
    try:
        return LIQPAY_UNITS[Unit(unit)]
    except ValueError:
        return LIQPAY_UNITS[Unit.PIECE]


def _quantity_text(quantity: int) -> str:
    whole, part = divmod(quantity, QUANTITY_SCALE)
    return str(whole) if part == 0 else f"{whole},{part:03d}".rstrip("0")


def liqpay_goods(lines: Sequence[SaleLine]) -> list[InvoiceGoods]:
    """LiqPay's lines: the unit price × the count of each is the line's sum. A line whose
    price × quantity is not a whole number of kopecks (0,333 kg at 10,01) goes as one unit at
    the line's (rounded) sum, its name carrying the quantity, so the list adds up to the
    receipt's amount to the kopeck."""
    goods = []
    for line in lines:
        unit = _unit_name(line.unit)
        if (line.price * line.quantity) % QUANTITY_SCALE == 0:
            goods.append(InvoiceGoods(line.price, line.quantity, unit, line.name))
        else:
            suffix = f", {_quantity_text(line.quantity)} {unit}"
            name = line.name[: _MAX_NAME - len(suffix)] + suffix
            goods.append(InvoiceGoods(line.total, QUANTITY_SCALE, unit, name))
    return goods
