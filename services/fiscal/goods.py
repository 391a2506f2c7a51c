"""What a fiscal receipt sells: the receipt's stored goods lines, or, for a receipt made
before lines were stored, one line of its amount named by the shop's default goods name
(never the order id, never "payment for receipt N", never empty)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from services.fiscal.registrar import SaleGood
from services.goods.names import FALLBACK_GOODS_NAME, goods_code
from storage.models.lines import QUANTITY_SCALE, SaleLine, basket_total, line_sum


def sale_goods(
    lines: Sequence[SaleLine], amount: int, tax_code: int | None, default_name: str | None
) -> tuple[SaleGood, ...]:
    """The fiscal goods lines (lines that do not add up to `amount` are not trusted: one
    default-name line of the amount is sold instead). A line without tax codes that is not
    a catalogue item (the default goods name) is taxed at the shop's fiscal rate
    `tax_code`, as every sale was before goods lines; a catalogue item without codes is not
    taxed."""
    shop_taxes = () if tax_code is None else (tax_code,)
    if basket_total(lines) != amount:  # never stored so: the amount is what was paid
        lines = ()
    if not lines:
        name = default_name or FALLBACK_GOODS_NAME
        return (SaleGood(goods_code(name), name, amount, QUANTITY_SCALE, shop_taxes),)
    return tuple(
        SaleGood(
            code=line.code,
            name=line.name,
            price=line.price,
            quantity=line.quantity,
            tax_codes=line.tax_codes or (shop_taxes if line.item_id is None else ()),
            barcode=line.barcode,
            uktzed=line.uktzed,
        )
        for line in lines
    )


def _quantity_text(quantity: int) -> str:
    whole, part = divmod(quantity, QUANTITY_SCALE)
    return str(whole) if part == 0 else f"{whole},{part:03d}".rstrip("0")


def return_goods(
    sold: Sequence[SaleGood],
    amount: int,
    picks: Sequence[tuple[int, int, int]] = (),
    refunded_before: int = 0,
) -> tuple[SaleGood, ...]:
    """What a return receipt gives back, adding up to `amount`: the picked lines
    (position, quantity, amount) of the sale, each at the sale's price when that makes its
    amount (else one unit at its amount, the name carrying the quantity). Without picks (an
    amount refunded: a one-line receipt, or LiqPay's cabinet, which does not say what came
    back) the sale's lines in their order cover the money refunded so far: this refund's
    amount after the `refunded_before` ones, so no line is given back beyond its sum."""
    if not picks:
        return _by_amount(sold, amount, refunded_before)
    goods = []
    for position, quantity, part in picks:
        good = sold[position - 1]
        if line_sum(good.price, quantity) == part:
            goods.append(replace(good, quantity=quantity))
        else:
            suffix = f" × {_quantity_text(quantity)}"
            name = good.name[: 128 - len(suffix)] + suffix
            goods.append(replace(good, name=name, price=part, quantity=QUANTITY_SCALE))
    return tuple(goods)


def _by_amount(sold: Sequence[SaleGood], amount: int, refunded_before: int) -> tuple[SaleGood, ...]:
    """The kopecks [refunded_before, refunded_before + amount) of the sale, line by line: a
    line covered whole goes back at its quantity, a part of one as one unit of that part."""
    goods: list[SaleGood] = []
    start, end, offset = refunded_before, refunded_before + amount, 0
    for good in sold:
        line = line_sum(good.price, good.quantity)
        low, high = max(start, offset), min(end, offset + line)
        offset += line
        if high <= low:
            continue
        if high - low == line:
            goods.append(good)
        else:
            goods.append(replace(good, price=high - low, quantity=QUANTITY_SCALE))
    if sum(line_sum(g.price, g.quantity) for g in goods) != amount:  # beyond the sale's sum
        return (replace(sold[0], price=amount, quantity=QUANTITY_SCALE),)
    return tuple(goods)
