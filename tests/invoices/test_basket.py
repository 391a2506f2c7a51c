"""The basket's rules: quantities in thousandths without float, prices, lines, the limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.invoices import basket as rules
from services.invoices.basket import BasketError
from storage.models.catalogue import CatalogueItem
from storage.models.lines import SaleLine, basket_total

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def item(
    item_id: int = 1, price: int | None = 4500, unit: str = "piece", **kw: object
) -> CatalogueItem:
    fields: dict[str, object] = {
        "id": item_id,
        "shop_id": 1,
        "code": f"K{item_id}",
        "name": f"Item {item_id}",
        "price": price,
        "unit": unit,
        "tax_codes": (1,),
        "barcode": None,
        "uktzed": None,
        "archived": False,
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(kw)
    return CatalogueItem(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("2", "piece", 2000),
        ("0,25", "kg", 250),
        ("0.25", "kg", 250),
        ("1,5", "l", 1500),
        ("1,500", "kg", 1500),
        ("0,001", "kg", 1),
        (" 3 ", "service", 3000),
        ("2,0", "piece", 2000),
    ],
)
def test_quantity_is_read_in_thousandths(text: str, unit: str, expected: int) -> None:
    assert rules.parse_quantity(text, unit) == expected


@pytest.mark.parametrize(
    ("text", "unit", "reason"),
    [
        ("0", "piece", "q_zero"),
        ("0,000", "kg", "q_zero"),
        ("-1", "kg", "q_negative"),
        ("0,0001", "kg", "q_precise"),
        ("0,5", "piece", "q_whole"),
        ("1,5", "pack", "q_whole"),
        ("abc", "kg", "q_format"),
        ("1e3", "kg", "q_format"),
        ("", "kg", "q_format"),
        ("100001", "piece", "q_too_big"),
        ("99999999999", "piece", "q_too_big"),
    ],
)
def test_bad_quantities_are_refused(text: str, unit: str, reason: str) -> None:
    with pytest.raises(BasketError) as caught:
        rules.parse_quantity(text, unit)
    assert caught.value.reason == reason


def test_price_at_sale_refuses_zero_and_garbage() -> None:
    assert rules.parse_price("45,50", 10_000_00) == 4550
    for text, reason in [
        ("0", "p_zero"),
        ("-3", "p_negative"),
        ("x", "p_format"),
        ("1,234", "p_decimals"),
        ("20000", "p_too_big"),
    ]:
        with pytest.raises(BasketError) as caught:
            rules.parse_price(text, 10_000_00)
        assert caught.value.reason == reason


def test_quantity_is_written_back_as_typed() -> None:
    assert rules.format_quantity(2000) == "2"
    assert rules.format_quantity(250) == "0,25"
    assert rules.format_quantity(1500) == "1,5"
    assert rules.format_quantity(1) == "0,001"


def test_barcodes_are_8_12_13_or_14_digits() -> None:
    assert rules.looks_like_barcode("48200000")
    assert rules.looks_like_barcode("4820000000001")
    assert not rules.looks_like_barcode("250")
    assert not rules.looks_like_barcode("123456789")  # 9 digits: an amount
    assert not rules.looks_like_barcode("48200000000x1")


def test_sale_line_needs_a_live_item_and_a_price() -> None:
    line = rules.sale_line(item(price=4500), 2000)
    assert (line.code, line.price, line.quantity, line.item_id, line.tax_codes) == (
        "K1",
        4500,
        2000,
        1,
        (1,),
    )
    assert rules.sale_line(item(price=None), 1000, 15000).price == 15000
    for bad, reason in [(item(archived=True), "archived"), (item(price=None), "no_price")]:
        with pytest.raises(BasketError) as caught:
            rules.sale_line(bad, 1000)
        assert caught.value.reason == reason
    with pytest.raises(BasketError):
        rules.sale_line(item(price=None), 1000, 0)


def test_lines_add_edit_remove_and_the_limit_keeps_the_basket() -> None:
    coffee = rules.sale_line(item(1, 4500), 2000)
    beans = rules.sale_line(item(2, 45000, "kg"), 250)
    lines = rules.add_line((), coffee, 1_000_00)
    lines = rules.add_line(lines, beans, 1_000_00)
    assert basket_total(lines) == 9000 + 11250
    again = rules.add_line(lines, rules.sale_line(item(1, 4500), 1000), 1_000_00)
    assert len(again) == 2 and again[0].quantity == 3000  # the same item adds up
    with pytest.raises(BasketError) as caught:
        rules.add_line(lines, rules.sale_line(item(3, 90000), 1000), 1_000_00)
    assert caught.value.reason == "too_big"
    assert basket_total(lines) == 20250  # as it was
    with pytest.raises(BasketError):
        rules.set_quantity(lines, 1, 3000, 1_000_00)  # 3 kg: 1 350,00
    assert rules.set_quantity(lines, 0, 1000, 1_000_00)[0].quantity == 1000
    assert rules.remove_line(lines, 0) == (beans,)
    with pytest.raises(BasketError):
        rules.remove_line(lines, 2)
    with pytest.raises(BasketError) as caught:
        rules.checkout_total((), 1_000_00)
    assert caught.value.reason == "empty"
    assert rules.checkout_total(lines, 1_000_00) == 20250


def test_too_many_lines_are_refused() -> None:
    lines: tuple[SaleLine, ...] = ()
    for n in range(1, rules.MAX_LINES + 1):
        lines = rules.add_line(lines, rules.sale_line(item(n, 100), 1000), 10**9)
    with pytest.raises(BasketError) as caught:
        rules.add_line(lines, rules.sale_line(item(999, 100), 1000), 10**9)
    assert caught.value.reason == "too_many"


@given(
    st.lists(
        st.tuples(
            st.integers(1, 10**7),
            st.integers(1, 10**6),
            st.sampled_from(["piece", "kg"]),
            st.text(min_size=1, max_size=20),
        ),
        max_size=10,
    )
)
def test_the_dialogs_data_keeps_every_line(rows: list[tuple[int, int, str, str]]) -> None:
    lines = tuple(
        SaleLine(
            code=f"C{n}",
            name=name,
            unit=unit,
            quantity=q,
            price=p,
            tax_codes=(1, 2),
            barcode="48200000" if n % 2 else None,
            item_id=n or None,
        )
        for n, (p, q, unit, name) in enumerate(rows)
    )
    data = rules.to_data(lines)
    import json

    assert rules.from_data(json.loads(json.dumps(data))) == lines
