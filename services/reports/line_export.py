"""The accountant's export by goods: a row per receipt line (receipt, item, quantity, unit,
price, sum), CSV or XLSX, written as the store yields the rows (see export.py, whose
conventions this follows: UTF-8 with a BOM and `;`, Kyiv time, words from the caller)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterable, Callable
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import IO

from xlsxwriter import Workbook

from services.invoices.basket import format_quantity
from services.reports.export import (
    BytesSink,
    decimal_comma,
    finish_sheet,
    kyiv_naive,
    kyiv_text,
    plain_text,
    sheet_name,
)
from storage.models.lines import QUANTITY_SCALE
from storage.models.reports import LineExportRow

ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class LineExportHeaders:
    number: str
    created: str
    code: str
    name: str
    quantity: str
    unit: str
    price: str
    total: str

    def row(self) -> list[str]:
        return [str(value) for value in astuple(self)]


COLUMN_COUNT = len(fields(LineExportHeaders))
_WIDTHS = (8, 17, 14, 40, 10, 8, 13, 13)


@dataclass(frozen=True)
class LineExportLabels:
    headers: LineExportHeaders
    unit: Callable[[str], str]  # "kg" -> "кг"; "" (a receipt without lines) -> ""
    sheet: str


def line_cells(row: LineExportRow, labels: LineExportLabels) -> list[str]:
    return [
        str(row.number),
        kyiv_text(row.created_at),
        plain_text(row.code),
        plain_text(row.name),
        format_quantity(row.quantity),
        labels.unit(row.unit),
        decimal_comma(row.price),
        decimal_comma(row.total),
    ]


async def write_lines_csv(
    rows: AsyncIterable[LineExportRow], sink: BytesSink, labels: LineExportLabels
) -> int:
    """The CSV to a binary sink; returns the number of lines written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(labels.headers.row())
    sink.write(codecs.BOM_UTF8 + buffer.getvalue().encode())
    buffer.seek(0)
    buffer.truncate()
    count = 0
    async for row in rows:
        writer.writerow(line_cells(row, labels))
        count += 1
        if count % ROWS_PER_CHUNK == 0:
            sink.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
    sink.write(buffer.getvalue().encode())
    return count


async def write_lines_xlsx(
    rows: AsyncIterable[LineExportRow],
    target: str | Path | IO[bytes],
    labels: LineExportLabels,
    *,
    tmpdir: str | Path | None = None,
) -> int:
    """The .xlsx (constant memory, rows in order); returns the number of lines written."""
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "tmpdir": str(tmpdir) if tmpdir is not None else None,
    }
    workbook = Workbook(str(target) if isinstance(target, Path) else target, options)
    sheet = workbook.add_worksheet(sheet_name(labels.sheet))
    header = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True})
    when = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    amount = workbook.add_format({"num_format": "0.###"})
    for column, (width, title) in enumerate(zip(_WIDTHS, labels.headers.row(), strict=True)):
        sheet.set_column(column, column, max(width, min(len(title) + 2, 40)))
    sheet.freeze_panes(1, 0)
    sheet.ignore_errors({"number_stored_as_text": "C:C"})  # codes as text
    sheet.write_row(0, 0, labels.headers.row(), header)

    def write_batch(first_line: int, chunk: list[LineExportRow]) -> None:
        for offset, row in enumerate(chunk):
            line = first_line + offset
            sheet.write_number(line, 0, row.number)
            sheet.write_datetime(line, 1, kyiv_naive(row.created_at), when)
            sheet.write_string(line, 2, row.code)
            sheet.write_string(line, 3, row.name)
            # Excel's numbers: the file's display only, the sums are the store's kopecks
            sheet.write_number(line, 4, row.quantity / QUANTITY_SCALE, amount)
            sheet.write_string(line, 5, labels.unit(row.unit))
            sheet.write_number(line, 6, row.price / 100, money)
            sheet.write_number(line, 7, row.total / 100, money)

    return await finish_sheet(workbook, sheet, rows, write_batch, COLUMN_COUNT)
