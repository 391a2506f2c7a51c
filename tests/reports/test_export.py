"""The accountant's export: CSV and XLSX read back equal the rows, and 100,000 rows stream
through in little memory."""

from __future__ import annotations

import csv
import dataclasses
import io
import tracemalloc
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from services.core.periods import KYIV
from services.reports.export import (
    COLUMN_COUNT,
    ExportHeaders,
    ExportLabels,
    ExportRow,
    csv_cells,
    decimal_comma,
    kyiv_text,
    plain_text,
    sheet_name,
    write_csv,
    write_xlsx,
)
from storage.models.receipts import Channel, ReceiptStatus

S = ReceiptStatus
HEADERS = ExportHeaders(
    number="Номер",
    created="Створено",
    paid="Оплачено",
    cashier="Касир",
    amount="Сума",
    currency="Валюта",
    description="За що",
    channel="Канал",
    contact="Контакт",
    status="Статус",
    payment_id="ID платежу LiqPay",
    fiscal_number="Фіскальний номер",
    refunded="Повернено",
)
CHANNELS = {
    Channel.EMAIL: "Ел. пошта",
    Channel.PRIVAT24: "Приват24",
    Channel.SMS: "SMS",
    Channel.LINK: "Посилання / QR",
}
STATUSES = {
    S.DRAFT: "Чернетка",
    S.AWAITING: "Очікує",
    S.PAID: "Оплачено",
    S.FAILED: "Не вдалося",
    S.EXPIRED: "Прострочено",
    S.CANCELLED: "Скасовано",
    S.REFUNDED: "Повернено",
}
LABELS = ExportLabels(HEADERS, CHANNELS.__getitem__, STATUSES.__getitem__, sheet="Чеки")

# 29.03.2026 09:30 UTC is 12:30 in Kyiv (summer time since 01:00 UTC that day)
SPRING = datetime(2026, 3, 29, 9, 30, tzinfo=UTC)
ROWS = [
    ExportRow(
        number=1,
        created_at=datetime(2026, 11, 27, 12, 5, tzinfo=UTC),  # 14:05 in Kyiv
        paid_at=datetime(2026, 11, 27, 22, 1, tzinfo=UTC),  # 00:01 on the 28th in Kyiv
        cashier="Олена Петрівна",
        amount=123456,
        currency="UAH",
        description='Ґудзики; нитки, «голки» та "наперсток"',
        channel=Channel.EMAIL,
        contact="buyer@example.com",
        status=S.PAID,
        payment_id="2000000001",
        fiscal_number="4000123456",
        refunded=0,
    ),
    ExportRow(
        number=2,
        created_at=SPRING,
        paid_at=SPRING + timedelta(minutes=1),
        cashier="Іван",
        amount=5,
        currency="EUR",
        description="Рядок 1\nрядок 2",
        channel=Channel.SMS,
        contact="380501234567",
        status=S.REFUNDED,
        payment_id="2000000002",
        fiscal_number=None,
        refunded=5,
    ),
    ExportRow(
        number=3,
        created_at=datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 03:30 summer time
        paid_at=None,
        cashier='=HYPERLINK("http://evil")',
        amount=100_000_000,
        currency="UAH",
        description="-20% знижка",
        channel=Channel.LINK,
        contact=None,
        status=S.AWAITING,
        payment_id=None,
        fiscal_number=None,
        refunded=0,
    ),
    ExportRow(
        number=4,
        created_at=datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 03:30 winter time
        paid_at=datetime(2026, 10, 25, 2, 0, tzinfo=UTC),
        cashier="O'Brien",
        amount=25050,
        currency="UAH",
        description="",
        channel=Channel.PRIVAT24,
        contact="380671112233",
        status=S.PAID,
        payment_id="2000000004",
        fiscal_number="TEST-1",
        refunded=10050,
    ),
]
EXPECTED_CSV = [
    [
        "1",
        "27.11.2026 14:05",
        "28.11.2026 00:01",
        "Олена Петрівна",
        "1234,56",
        "UAH",
        'Ґудзики; нитки, «голки» та "наперсток"',
        "Ел. пошта",
        "buyer@example.com",
        "Оплачено",
        "2000000001",
        "4000123456",
        "0,00",
    ],
    [
        "2",
        "29.03.2026 12:30",
        "29.03.2026 12:31",
        "Іван",
        "0,05",
        "EUR",
        "Рядок 1\nрядок 2",
        "SMS",
        "380501234567",
        "Повернено",
        "2000000002",
        "",
        "0,05",
    ],
    [
        "3",
        "25.10.2026 03:30",
        "",
        '\'=HYPERLINK("http://evil")',
        "1000000,00",
        "UAH",
        "'-20% знижка",
        "Посилання / QR",
        "",
        "Очікує",
        "",
        "",
        "0,00",
    ],
    [
        "4",
        "25.10.2026 03:30",
        "25.10.2026 04:00",
        "O'Brien",
        "250,50",
        "UAH",
        "",
        "Приват24",
        "380671112233",
        "Оплачено",
        "2000000004",
        "TEST-1",
        "100,50",
    ],
]


async def stream(rows: Iterable[ExportRow]) -> AsyncIterator[ExportRow]:
    for row in rows:
        yield row


def generated(count: int) -> Iterable[ExportRow]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    channels = list(Channel)
    for i in range(1, count + 1):
        created = start + timedelta(minutes=5 * i)
        paid = i % 3 != 0
        yield ExportRow(
            number=i,
            created_at=created,
            paid_at=created + timedelta(minutes=2) if paid else None,
            cashier=f"Касир {i % 7}",
            amount=(i * 7919) % 10_000_000 + 1,
            currency="UAH",
            description=f"Замовлення № {i}: товари для дому",
            channel=channels[i % 4],
            contact=f"3805{i:08d}",
            status=S.PAID if paid else S.AWAITING,
            payment_id=str(2_000_000_000 + i) if paid else None,
            fiscal_number=f"FN{i}" if paid and i % 2 else None,
            refunded=0 if i % 10 else 100,
        )


def read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


# CSV


async def test_csv_round_trip() -> None:
    sink = io.BytesIO()
    assert await write_csv(stream(ROWS), sink, LABELS) == 4
    data = sink.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    assert data.count(b"\xef\xbb\xbf") == 1
    assert "Ґудзики".encode() in data  # UTF-8, not cp1251
    assert b"\r\n" in data
    table = read_csv(data)
    assert table[0] == HEADERS.row()
    assert table[1:] == EXPECTED_CSV
    assert all(len(line) == COLUMN_COUNT for line in table)


async def test_csv_with_no_rows_is_the_header() -> None:
    sink = io.BytesIO()
    assert await write_csv(stream([]), sink, LABELS) == 0
    assert read_csv(sink.getvalue()) == [HEADERS.row()]


async def test_csv_to_a_real_file(tmp_path: Path) -> None:
    path = tmp_path / "receipts.csv"
    with path.open("wb") as sink:
        await write_csv(stream(ROWS), sink, LABELS)
    with path.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f, delimiter=";"))
    assert table[1:] == EXPECTED_CSV


async def test_csv_rows_match_many_generated_rows() -> None:
    rows = list(generated(3000))
    sink = io.BytesIO()
    await write_csv(stream(rows), sink, LABELS)
    table = read_csv(sink.getvalue())
    assert len(table) == 3001
    assert table[1:] == [csv_cells(r, LABELS) for r in rows]


@pytest.mark.parametrize("bad", [1.5, "100", True])
def test_export_amounts_must_be_integer_kopecks(bad: object) -> None:
    with pytest.raises(TypeError, match="integer kopecks"):
        dataclasses.replace(ROWS[0], amount=bad)
    with pytest.raises(TypeError, match="integer kopecks"):
        dataclasses.replace(ROWS[0], refunded=bad)


def test_cell_helpers() -> None:
    assert decimal_comma(0) == "0,00"
    assert decimal_comma(5) == "0,05"
    assert decimal_comma(123456) == "1234,56"
    assert decimal_comma(-150) == "-1,50"
    assert kyiv_text(None) == ""
    assert kyiv_text(datetime(2026, 7, 1, 21, 0, tzinfo=UTC)) == "02.07.2026 00:00"
    assert plain_text("=1+1") == "'=1+1"
    assert plain_text("+380") == "'+380"
    assert plain_text("@SUM(A1)") == "'@SUM(A1)"
    assert plain_text("ok = fine") == "ok = fine"
    assert plain_text(None) == ""
    assert sheet_name("Чеки [листопад]: 1/2") == "Чеки  листопад   1 2"
    assert len(sheet_name("Ч" * 40)) == 31
    assert sheet_name("???") == "1"


# XLSX


def read_xlsx(source: Path | io.BytesIO) -> list[list[object]]:
    book = openpyxl.load_workbook(source, read_only=True)
    try:
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def expected_xlsx(row: ExportRow) -> list[object]:
    def kyiv(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(KYIV).replace(tzinfo=None)

    return [
        row.number,
        kyiv(row.created_at),
        kyiv(row.paid_at),
        row.cashier,
        row.amount / 100,
        row.currency,
        row.description or None,
        CHANNELS[row.channel],
        row.contact,
        STATUSES[row.status],
        row.payment_id,
        row.fiscal_number,
        row.refunded / 100,
    ]


async def test_xlsx_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "receipts.xlsx"
    assert await write_xlsx(stream(ROWS), path, LABELS) == 4
    table = read_xlsx(path)
    assert table[0] == HEADERS.row()
    assert table[1:] == [expected_xlsx(r) for r in ROWS]
    # the spot checks the accountant would do
    assert table[1][1] == datetime(2026, 11, 27, 14, 5)
    assert table[1][2] == datetime(2026, 11, 28, 0, 1)
    assert table[1][4] == 1234.56
    assert table[2][1] == datetime(2026, 3, 29, 12, 30)
    assert table[3][3] == '=HYPERLINK("http://evil")'  # a string, never a formula
    assert table[3][4] == 1_000_000.0


async def test_xlsx_formats_header_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "receipts.xlsx"
    await write_xlsx(stream(ROWS), path, LABELS)
    book = openpyxl.load_workbook(path)  # full mode: styles and sheet settings
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "Чеки"
    assert sheet.freeze_panes == "A2"
    assert all(sheet.cell(1, c).font.b for c in range(1, COLUMN_COUNT + 1))
    assert sheet.cell(2, 5).number_format == "#,##0.00"
    assert sheet.cell(2, 13).number_format == "#,##0.00"
    assert sheet.cell(2, 2).number_format == "dd.mm.yyyy hh:mm"
    assert sheet.cell(2, 2).is_date
    assert sheet.cell(2, 4).data_type == "s"
    assert sheet.cell(4, 4).data_type == "s"  # the formula-looking name stays text
    assert sheet.auto_filter.ref == "A1:M5"
    widths = [sheet.column_dimensions[chr(ord("A") + i)].width for i in range(COLUMN_COUNT)]
    assert all(w >= 8 for w in widths)
    assert widths[6] >= 40  # what for
    book.close()


async def test_xlsx_to_a_file_object_and_empty(tmp_path: Path) -> None:
    out = io.BytesIO()
    assert await write_xlsx(stream([]), out, LABELS, tmpdir=tmp_path) == 0
    out.seek(0)
    assert read_xlsx(out) == [HEADERS.row()]


async def test_xlsx_many_generated_rows(tmp_path: Path) -> None:
    rows = list(generated(2000))
    path = tmp_path / "many.xlsx"
    await write_xlsx(stream(rows), path, LABELS)
    table = read_xlsx(path)
    assert table[1:] == [expected_xlsx(r) for r in rows]


async def test_xlsx_writes_nothing_when_rows_fail(tmp_path: Path) -> None:
    async def broken() -> AsyncIterator[ExportRow]:
        yield ROWS[0]
        raise RuntimeError("the store went away")

    path = tmp_path / "half.xlsx"
    with pytest.raises(RuntimeError):
        await write_xlsx(broken(), path, LABELS)
    assert not path.exists()


# 100,000 rows
#
# tracemalloc makes every allocation several times dearer, so the rows come from a pool
# made beforehand (what is measured is the writers' memory, not the generator's), and the
# XLSX test writes 20,000 rows: xlsxwriter manages ~8,000 rows/s here untraced, so 100,000
# traced rows would take over half a minute. Holding 20,000 rows' cells in memory (its
# default mode) would take tens of MB; the limit below is 3 MB.

CSV_ROWS = 100_000
XLSX_ROWS = 20_000
POOL = list(generated(1000))


async def pooled(count: int) -> AsyncIterator[ExportRow]:
    for i in range(count):
        yield POOL[i % len(POOL)]


class CountingSink:
    """Counts bytes without keeping them, so the sink adds no memory of its own."""

    def __init__(self) -> None:
        self.size = 0
        self.starts = b""

    def write(self, data: bytes) -> int:
        if not self.starts:
            self.starts = data[:3]
        self.size += len(data)
        return len(data)


async def test_100k_rows_csv_in_little_memory() -> None:
    sink = CountingSink()
    tracemalloc.start()
    try:
        count = await write_csv(pooled(CSV_ROWS), sink, LABELS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == CSV_ROWS
    assert sink.starts == b"\xef\xbb\xbf"
    assert sink.size > CSV_ROWS * 150  # the whole file went through: ~18 MB
    assert peak < 2 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


async def test_many_rows_xlsx_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    tracemalloc.start()
    try:
        count = await write_xlsx(pooled(XLSX_ROWS), path, LABELS, tmpdir=tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == XLSX_ROWS
    assert peak < 3 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert path.stat().st_size > 500_000
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        assert book.worksheets[0].max_row == XLSX_ROWS + 1
    finally:
        book.close()
