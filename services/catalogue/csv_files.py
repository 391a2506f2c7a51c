"""The catalogue as a CSV file: read one (UTF-8 with or without BOM, else Windows-1251, as
Ukrainian Excel saves it; `;` or `,`; a header row in Ukrainian or English) into rows, and
write one (UTF-8 with BOM, `;`, the English header) that reads back the same."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from services.catalogue.rules import ItemText, Problem, price_text, tax_text
from services.catalogue.units import Unit
from storage.models.catalogue import CatalogueItem

MAX_ROWS = 10_000
HEADER = ("code", "name", "price", "unit", "tax", "barcode", "uktzed")

# A header cell (case-folded, spaces and dots removed) -> the field it fills.
_HEADER_NAMES: dict[str, str] = {
    "code": "code",
    "код": "code",
    "артикул": "code",
    "name": "name",
    "назва": "name",
    "найменування": "name",
    "price": "price",
    "ціна": "price",
    "unit": "unit",
    "одиниця": "unit",
    "одвиміру": "unit",
    "tax": "tax",
    "taxes": "tax",
    "податок": "tax",
    "податки": "tax",
    "barcode": "barcode",
    "штрихкод": "barcode",
    "штрих-код": "barcode",
    "uktzed": "uktzed",
    "уктзед": "uktzed",
}


@dataclass(frozen=True)
class CsvRow:
    line: int  # the file's line number, the header being line 1
    text: ItemText


class CsvError(ValueError):
    """The file as a whole can't be read."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def _header_field(cell: str) -> str | None:
    key = cell.strip().casefold().replace(" ", "").replace(".", "").replace("_", "")
    return _HEADER_NAMES.get(key)


def read_rows(data: bytes) -> list[CsvRow]:
    """The file's item rows (blank lines left out); CsvError when it has no header with a
    name column, or more than MAX_ROWS rows."""
    text = decode(data)
    if "\x00" in text:
        raise CsvError(Problem.NOT_CSV)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise CsvError(Problem.EMPTY_FILE)
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise CsvError(Problem.NOT_CSV) from None
    fields = [_header_field(cell) for cell in header]
    if "name" not in fields:
        raise CsvError(Problem.NO_NAME_COLUMN)
    rows: list[CsvRow] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise CsvError(Problem.TOO_MANY_ROWS)
            values = {field: cell for field, cell in zip(fields, cells, strict=False) if field}
            rows.append(CsvRow(reader.line_num, ItemText(**values)))
    except csv.Error:
        raise CsvError(Problem.NOT_CSV) from None
    return rows


def write_csv(items: Iterable[CatalogueItem]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for item in items:
        writer.writerow(
            (
                item.code,
                item.name,
                price_text(item.price),
                Unit(item.unit).value,
                tax_text(item.tax_codes),
                item.barcode or "",
                item.uktzed or "",
            )
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
