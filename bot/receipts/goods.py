"""A receipt's goods in a short form, for the summary, the card, the paid notice and
/pending: the first lines "name × qty unit = sum", then "+N more". A receipt without stored
lines shows none of this (it reads as before)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.catalogue.views import unit_name
from bot.i18n import t, tn
from bot.ui.format import escape
from services.core.money import format_amount
from services.invoices.basket import format_quantity
from services.receipts.state import ReceiptService
from storage.models.lines import ReceiptLine, SaleLine
from storage.models.receipts import Receipt

SHOWN = 3  # lines shown before "+N more"


def goods_line(line: SaleLine, currency: str, locale: str | None = None) -> str:
    """ "Кава зернова × 0,25 кг = 112,50 UAH" """
    return t(
        "{name} × {quantity} {unit} = {total}",
        locale,
        name=escape(line.name),
        quantity=format_quantity(line.quantity),
        unit=unit_name(line.unit, locale),
        total=format_amount(line.total, currency),
    )


def more_lines(n: int, locale: str | None = None) -> str:
    return tn("+{n} more line", "+{n} more lines", n, locale)


def goods_short(
    lines: Sequence[SaleLine], currency: str, locale: str | None = None, shown: int = SHOWN
) -> list[str]:
    """The text lines to add; [] for a receipt without stored lines."""
    if not lines:
        return []
    out = [f"• {goods_line(line, currency, locale)}" for line in lines[:shown]]
    if len(lines) > shown:
        out.append(more_lines(len(lines) - shown, locale))
    return out


def shown(stored: Sequence[ReceiptLine]) -> list[SaleLine]:
    """The lines a receipt shows: none for a receipt without stored lines or with only the
    one line an amount-only invoice gets (the shop's default goods name): it reads as
    before."""
    lines = [row.line for row in stored]
    if len(lines) == 1 and lines[0].item_id is None:
        return []
    return lines


async def goods_of(receipts: ReceiptService, receipt: Receipt) -> list[SaleLine]:
    if receipts.lines is None:
        return []
    return shown(await receipts.lines.of_receipt(receipt.id))


async def goods_of_many(
    receipts: ReceiptService, found: Sequence[Receipt]
) -> dict[int, list[SaleLine]]:
    """Lines of a list's receipts in one read."""
    if receipts.lines is None or not found:
        return {}
    stored = await receipts.lines.of_receipts([r.id for r in found])
    return {receipt_id: shown(rows) for receipt_id, rows in stored.items()}
