"""CSV import and export: encodings (UTF-8 with or without BOM, Windows-1251), `;` and `,`,
headers in either language, every broken row named with its line, and an export that
imports back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.catalogue.csv_files import CsvError, read_rows, write_csv
from services.catalogue.imports import RowError, preview
from services.catalogue.rules import Problem
from storage.models.catalogue import CatalogueItem

T0 = datetime(2026, 1, 1, tzinfo=UTC)
UK_FILE = (
    "Код;Назва;Ціна;Одиниця;Податок;Штрихкод;УКТЗЕД\r\n"
    "K1;Кава зернова;450,00;кг;1;4820000000001;\r\n"
    ";Букет;;шт;;;\r\n"
    "K3;Цукор;0;кг;;;\r\n"
    "\r\n"
    "K4;Вино;320;шт;1;;2204\r\n"
)


def existing(code: str, name: str, price: int | None, **more: object) -> CatalogueItem:
    values: dict[str, object] = {
        "id": 1, "shop_id": 1, "code": code, "name": name, "price": price, "unit": "piece",
        "tax_codes": (), "barcode": None, "uktzed": None, "archived": False,
        "created_at": T0, "updated_at": T0,
    }  # fmt: skip
    values.update(more)
    return CatalogueItem(**values)  # type: ignore[arg-type]


def test_a_windows_1251_file_with_ukrainian_headers_and_broken_rows() -> None:
    rows = read_rows(UK_FILE.encode("cp1251"))
    assert [r.line for r in rows] == [2, 3, 4, 6]
    result = preview(rows, [], None)
    assert [i.name for i in result.new] == ["Кава зернова", "Букет"]
    assert result.new[0].price == 45000 and result.new[0].unit == "kg"
    assert result.new[1].price is None and result.new[1].code.startswith("G")
    assert result.errors == [
        RowError(4, Problem.PRICE_ZERO),
        RowError(6, Problem.UKTZED_FORMAT),
    ]
    assert not result.applicable  # a broken row: nothing is written


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_commas_and_english_headers_with_or_without_bom(bom: bytes) -> None:
    data = bom + b'name,price,code\n"Tea, green","12.50",T1\nCoffee,40,C1\n'
    result = preview(read_rows(data), [existing("C1", "Coffee", 3000)], None)
    assert [(i.code, i.name, i.price) for i in result.new] == [("T1", "Tea, green", 1250)]
    assert [(i.code, i.price) for i in result.changed] == [("C1", 4000)]
    assert (result.unchanged, result.errors, result.applicable) == (0, [], True)


def test_a_code_twice_in_one_file_is_refused_on_its_second_line() -> None:
    data = b"code;name\nA;One\nA;Two\n"
    assert preview(read_rows(data), [], None).errors == [RowError(3, Problem.CODE_TWICE)]


def test_a_row_without_a_code_finds_its_item_by_barcode() -> None:
    data = b"name;barcode;price\nTea;4820000000001;5\n"
    result = preview(read_rows(data), [existing("OLD", "Tea", 400, barcode="4820000000001")], None)
    assert [(i.code, i.price) for i in result.changed] == [("OLD", 500)]


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"", Problem.EMPTY_FILE), (b"code;price\n1;2\n", Problem.NO_NAME_COLUMN)],
)
def test_a_file_that_is_no_catalogue_is_refused_whole(data: bytes, problem: Problem) -> None:
    with pytest.raises(CsvError) as caught:
        read_rows(data)
    assert caught.value.problem is problem


def test_an_export_imports_back_unchanged() -> None:
    items = [
        existing("A;1", 'Кава "Арабіка"', 4550, unit="kg", tax_codes=(1, 2), barcode="48200000"),
        existing("B", "Букет", None, unit="service", uktzed="2203000000"),
    ]
    data = write_csv(items)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.splitlines()[0] == b"\xef\xbb\xbfcode;name;price;unit;tax;barcode;uktzed"
    result = preview(read_rows(data), items, None)
    assert (result.new, result.changed, result.unchanged, result.errors) == ([], [], 2, [])
