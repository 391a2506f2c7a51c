"""The accountant's export: receipts as CSV or XLSX, written row by row as the store yields
them, so 100,000 receipts never sit in memory at once.

Every word in the file (headers, channel and status names, the sheet's name) comes from the
caller's `ExportLabels`, so it is in the reader's language. Times are Kyiv wall-clock time.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol, TypeVar

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from services.core.periods import KYIV
from storage.models.receipts import Channel, ReceiptStatus
from storage.models.reports import ExportRow

__all__ = ["ExportRow"]  # re-exported: the store yields them in the order to write


@dataclass(frozen=True)
class ExportHeaders:
    """The column headers, in the file's column order."""

    number: str
    created: str
    paid: str
    cashier: str
    amount: str
    currency: str
    description: str
    channel: str
    contact: str
    status: str
    payment_id: str
    fiscal_number: str
    refunded: str

    def row(self) -> list[str]:
        return [str(value) for value in astuple(self)]


COLUMN_COUNT = len(fields(ExportHeaders))


@dataclass(frozen=True)
class ExportLabels:
    headers: ExportHeaders
    channel: Callable[[Channel], str]  # e.g. Channel.LINK -> "Посилання / QR"
    status: Callable[[ReceiptStatus], str]  # e.g. ReceiptStatus.PAID -> "Оплачено"
    sheet: str  # the XLSX sheet's name, e.g. "Чеки"


class BytesSink(Protocol):
    def write(self, data: bytes, /) -> object: ...


def kyiv_text(moment: datetime | None) -> str:
    """01.11.2026 14:05 in Kyiv time; "" for no time."""
    return "" if moment is None else moment.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")


def kyiv_naive(moment: datetime) -> datetime:
    """Kyiv wall-clock time without a zone: what Excel stores."""
    return moment.astimezone(KYIV).replace(tzinfo=None)


def decimal_comma(kopecks: int) -> str:
    """123456 -> "1234,56": no grouping, so Excel in a Ukrainian locale reads a number."""
    sign = "-" if kopecks < 0 else ""
    whole, cents = divmod(abs(kopecks), 100)
    return f"{sign}{whole},{cents:02d}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain_text(text: str | None) -> str:
    """Free text (a description, a name) that Excel must not run as a formula: one starting
    like a formula gets a leading apostrophe (OWASP's advice against CSV injection)."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_cells(row: ExportRow, labels: ExportLabels) -> list[str]:
    return [
        str(row.number),
        kyiv_text(row.created_at),
        kyiv_text(row.paid_at),
        plain_text(row.cashier),
        decimal_comma(row.amount),
        row.currency,
        plain_text(row.description),
        labels.channel(row.channel),
        plain_text(row.contact),
        labels.status(row.status),
        plain_text(row.payment_id),
        plain_text(row.fiscal_number),
        decimal_comma(row.refunded),
    ]


async def csv_chunks(
    rows: AsyncIterable[ExportRow], labels: ExportLabels, *, rows_per_chunk: int = 500
) -> AsyncIterator[bytes]:
    """The CSV file in pieces: UTF-8 with a BOM (without it Excel reads Cyrillic as
    cp1251 mojibake), `;` between fields because Excel in a Ukrainian locale, where the
    decimal separator is a comma, splits CSV fields on the list separator `;` (a `,` file
    would open as one column), CRLF line ends as Excel writes them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(labels.headers.row())
    yield codecs.BOM_UTF8 + buffer.getvalue().encode()
    pending = 0
    buffer.seek(0)
    buffer.truncate()
    async for row in rows:
        writer.writerow(csv_cells(row, labels))
        pending += 1
        if pending == rows_per_chunk:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode()


async def write_csv(rows: AsyncIterable[ExportRow], sink: BytesSink, labels: ExportLabels) -> int:
    """Write the CSV to a binary file-like sink; returns the number of receipts written."""
    count = 0

    async def counted() -> AsyncIterator[ExportRow]:
        nonlocal count
        async for row in rows:
            count += 1
            yield row

    async for chunk in csv_chunks(counted(), labels):
        sink.write(chunk)
    return count


_XLSX_BATCH = 500
Row = TypeVar("Row")
_WIDTHS = (8, 17, 17, 20, 13, 8, 40, 14, 24, 16, 14, 20, 13)  # characters, column by column
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    """Excel refuses sheet names over 31 characters or with []:*?/\\ in them."""
    cleaned = _SHEET_FORBIDDEN.sub(" ", name).strip().strip("'")[:31].strip()
    return cleaned or "1"


async def write_xlsx(
    rows: AsyncIterable[ExportRow],
    target: str | Path | IO[bytes],
    labels: ExportLabels,
    *,
    tmpdir: str | Path | None = None,
) -> int:
    """Write an .xlsx to a path or a binary file; returns the number of receipts written.

    xlsxwriter's constant_memory mode flushes each row to a temporary file (in `tmpdir`) as
    soon as the next one starts, so memory stays flat; rows must come in order, as they do.
    Amounts are numbers with two decimals, times Excel datetimes in Kyiv time, the header
    row bold and frozen, with a filter. Packing the file at the end runs in a thread; if the
    rows fail midway nothing is written to `target`."""
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
    for column, (width, title) in enumerate(zip(_WIDTHS, labels.headers.row(), strict=True)):
        sheet.set_column(column, column, max(width, min(len(title) + 2, 40)))
    sheet.freeze_panes(1, 0)
    sheet.ignore_errors({"number_stored_as_text": "I:L"})  # phones and ids as text
    sheet.write_row(0, 0, labels.headers.row(), header)

    def write_batch(first_line: int, chunk: list[ExportRow]) -> None:
        for offset, row in enumerate(chunk):
            _write_row(sheet, first_line + offset, row, labels, when, money)

    return await finish_sheet(workbook, sheet, rows, write_batch, COLUMN_COUNT)


async def finish_sheet(
    workbook: Workbook,
    sheet: Worksheet,
    rows: AsyncIterable[Row],
    write_batch: Callable[[int, list[Row]], None],
    columns: int,
) -> int:
    """Write the rows below the header row, filter the columns and close the file; the
    number of rows. xlsxwriter spends ~0.1 ms of CPU a row: batches go to a thread so the
    bot keeps answering meanwhile; one batch at a time keeps the rows in order."""
    count = 0
    batch: list[Row] = []
    async for row in rows:
        batch.append(row)
        if len(batch) == _XLSX_BATCH:
            await asyncio.to_thread(write_batch, count + 1, batch)
            count += len(batch)
            batch = []
    if batch:
        await asyncio.to_thread(write_batch, count + 1, batch)
        count += len(batch)
    sheet.autofilter(0, 0, max(count, 1), columns - 1)
    await asyncio.to_thread(workbook.close)
    return count


def _write_row(
    sheet: Worksheet,
    line: int,
    row: ExportRow,
    labels: ExportLabels,
    when: Format,
    money: Format,
) -> None:
    sheet.write_number(line, 0, row.number)
    sheet.write_datetime(line, 1, kyiv_naive(row.created_at), when)
    if row.paid_at is not None:
        sheet.write_datetime(line, 2, kyiv_naive(row.paid_at), when)
    sheet.write_string(line, 3, row.cashier)
    sheet.write_number(line, 4, row.amount / 100, money)
    sheet.write_string(line, 5, row.currency)
    if row.description:
        sheet.write_string(line, 6, row.description)
    sheet.write_string(line, 7, labels.channel(row.channel))
    if row.contact:
        sheet.write_string(line, 8, row.contact)
    sheet.write_string(line, 9, labels.status(row.status))
    if row.payment_id:
        sheet.write_string(line, 10, row.payment_id)
    if row.fiscal_number:
        sheet.write_string(line, 11, row.fiscal_number)
    sheet.write_number(line, 12, row.refunded / 100, money)
