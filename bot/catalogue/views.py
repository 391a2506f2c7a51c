"""What /catalogue says: the screen, an item's card, units' printed names, import previews
and why a field or a file was refused — in the reader's language."""

from __future__ import annotations

from bot.i18n import t, tn
from bot.ui.format import escape
from services.catalogue.imports import ImportPreview
from services.catalogue.rules import Problem
from services.catalogue.units import Unit
from services.core.money import format_amount
from storage.models.catalogue import CatalogueItem

MAX_ERRORS_SHOWN = 20


def unit_name(unit: str, locale: str | None = None) -> str:
    """The printed short name of a unit."""
    names = {
        Unit.PIECE: t("pcs", locale),
        Unit.KG: t("kg", locale),
        Unit.G: t("g", locale),
        Unit.L: t("l", locale),
        Unit.ML: t("ml", locale),
        Unit.M: t("m", locale),
        Unit.PACK: t("pack", locale),
        Unit.SERVICE: t("service", locale),
    }
    return names.get(Unit(unit), unit) if unit in Unit._value2member_map_ else unit


def price_text(price: int | None, locale: str | None = None) -> str:
    return t("price set at sale", locale) if price is None else format_amount(price)


def items_count(n: int, locale: str | None = None) -> str:
    return tn("{n} item", "{n} items", n, locale)


def menu_text(count: int, locale: str | None = None) -> str:
    return t(
        "📦 Catalogue: {count}. Search by a few letters of a name or by a barcode.",
        locale,
        count=items_count(count, locale),
    )


def item_line(item: CatalogueItem, locale: str | None = None) -> str:
    """A search result's button: "Кава зернова · 450,00 UAH/kg"."""
    mark = "🗄 " if item.archived else ""
    return f"{mark}{item.name} · {price_text(item.price, locale)}/{unit_name(item.unit, locale)}"


def item_card(item: CatalogueItem, locale: str | None = None) -> str:
    none = t("none", locale)
    lines = [
        f"<b>{escape(item.name)}</b>",
        t("Code: {code}", locale, code=escape(item.code)),
        t("Price: {price}", locale, price=price_text(item.price, locale)),
        t("Unit: {unit}", locale, unit=unit_name(item.unit, locale)),
        t("Tax: {tax}", locale, tax=", ".join(map(str, item.tax_codes)) or none),
        t("Barcode: {barcode}", locale, barcode=item.barcode or none),
        t("UKTZED: {uktzed}", locale, uktzed=item.uktzed or none),
    ]
    if item.archived:
        lines.append(t("🗄 Archived: not offered for new sales.", locale))
    return "\n".join(lines)


def field_prompt(field: str, locale: str | None = None) -> str:
    units = ", ".join(unit_name(u.value, locale) for u in Unit)
    prompts = {
        "name": t("Send the name as the receipt prints it (1–128 characters).", locale),
        "price": t("Send the price, like 25,50. Send - if the price is set at sale.", locale),
        "unit": t("Send the unit: {units}.", locale, units=units),
        "tax": t(
            "Send the tax rate code(s) from the register's list, up to two, "
            "like 1 or 1 2. Send - for none.",
            locale,
        ),
        "barcode": t("Send the barcode (8–14 digits). Send - for none.", locale),
        "uktzed": t("Send the UKTZED code (10 digits). Send - for none.", locale),
    }
    return prompts[field]


def problem_text(problem: Problem, locale: str | None = None) -> str:
    texts = {
        Problem.NAME_EMPTY: t("The name is empty.", locale),
        Problem.NAME_TOO_LONG: t("The name is longer than 128 characters.", locale),
        Problem.PRICE_ZERO: t(
            "The price can't be 0: give a price, or none if it is set at sale.", locale
        ),
        Problem.PRICE_FORMAT: t("I could not read the price. Write it like 25,50.", locale),
        Problem.PRICE_TOO_BIG: t("The price is too big.", locale),
        Problem.UNIT_UNKNOWN: t("Unknown unit.", locale),
        Problem.TAX_FORMAT: t("A tax rate code is a number, like 1.", locale),
        Problem.TAX_TOO_MANY: t("At most two tax rate codes.", locale),
        Problem.TAX_UNKNOWN: t("The register has no such tax rate code.", locale),
        Problem.BARCODE_FORMAT: t("A barcode is 8 to 14 digits.", locale),
        Problem.UKTZED_FORMAT: t("A UKTZED code is exactly 10 digits.", locale),
        Problem.CODE_FORMAT: t("The code is longer than 256 characters.", locale),
        Problem.CODE_TAKEN: t("Another item already has this code.", locale),
        Problem.CODE_TWICE: t("This code is on an earlier line too.", locale),
        Problem.NO_NAME_COLUMN: t("The file has no name column in its first row.", locale),
        Problem.NOT_CSV: t("This is not a CSV file I can read.", locale),
        Problem.TOO_MANY_ROWS: t("The file has more than 10000 rows.", locale),
        Problem.EMPTY_FILE: t("The file is empty.", locale),
    }
    return texts[problem]


def file_refused_text(problem: Problem, locale: str | None = None) -> str:
    return t("Nothing was imported. {reason}", locale, reason=problem_text(problem, locale))


def preview_text(result: ImportPreview, locale: str | None = None) -> str:
    summary = t(
        "Import: {new} new, {changed} changed, {errors}.",
        locale,
        new=len(result.new),
        changed=len(result.changed),
        errors=tn("{n} error", "{n} errors", len(result.errors), locale),
    )
    lines = [summary]
    if result.unchanged:
        lines.append(
            tn(
                "{n} item is the same already.",
                "{n} items are the same already.",
                result.unchanged,
                locale,
            )
        )
    for error in result.errors[:MAX_ERRORS_SHOWN]:
        lines.append(
            t(
                "Line {line}: {reason}",
                locale,
                line=error.line,
                reason=problem_text(error.problem, locale),
            )
        )
    if len(result.errors) > MAX_ERRORS_SHOWN:
        lines.append(
            tn("…and {n} more.", "…and {n} more.", len(result.errors) - MAX_ERRORS_SHOWN, locale)
        )
    if result.errors:
        lines.append(
            t(
                "Nothing will be written until every line is right: fix the file "
                "and send it again.",
                locale,
            )
        )
    elif not result.items:
        lines.append(t("Nothing to change.", locale))
    return "\n".join(lines)


def applied_text(result_count: int, locale: str | None = None) -> str:
    return tn("✅ Imported: {n} item.", "✅ Imported: {n} items.", result_count, locale)
