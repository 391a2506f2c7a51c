"""What /report and /export say about goods: the period's top items and the words of the
export by goods, in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence

from bot.catalogue.views import unit_name
from bot.i18n import t, tn
from bot.ui.format import escape
from services.core.money import format_amount
from services.core.periods import Period
from services.invoices.basket import format_quantity
from services.reports.line_export import LineExportHeaders, LineExportLabels
from storage.models.reports import TopItem


def top_items_text(items: Sequence[TopItem], currency: str, locale: str | None = None) -> str:
    """ "🏆 Top items" and a line per item: "1. Кава × 12 шт. · 540,00 UAH"; "" for none."""
    if not items:
        return ""
    rows = [t("🏆 <b>Top items</b>", locale)]
    for place, item in enumerate(items, 1):
        rows.append(
            t(
                "{place}. {name} × {quantity} {unit} · {total}",
                locale,
                place=place,
                name=escape(item.name),
                quantity=format_quantity(item.quantity),
                unit=unit_name(item.unit, locale),
                total=format_amount(item.total, currency),
            )
        )
    return "\n".join(rows)


def line_export_labels(locale: str) -> LineExportLabels:
    headers = LineExportHeaders(
        number=t("Receipt No", locale),
        created=t("Created", locale),
        code=t("Goods code", locale),
        name=t("Goods", locale),
        quantity=t("Quantity", locale),
        unit=t("Unit", locale),
        price=t("Price", locale),
        total=t("Sum", locale),
    )

    def unit(value: str) -> str:
        return unit_name(value, locale) if value else ""

    return LineExportLabels(headers=headers, unit=unit, sheet=t("Goods", locale))


def line_export_caption(count: int, period: Period, locale: str | None = None) -> str:
    return t(
        "🧾 {count} for {period}, a row each. Times are Kyiv time.",
        locale,
        count=tn("{n} goods line", "{n} goods lines", count, locale),
        period=period.range_text(),
    )
