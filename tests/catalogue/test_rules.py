"""The item rules: each field refused with its reason, and what is accepted as it is kept."""

from __future__ import annotations

import pytest

from services.catalogue.rules import ItemError, ItemText, Problem, check_item
from services.catalogue.units import LIQPAY_UNITS, Unit, unit_from_text


def refused(text: ItemText, allowed: set[int] | None = None) -> Problem:
    with pytest.raises(ItemError) as caught:
        check_item(text, allowed)
    return caught.value.problem


def test_a_name_is_trimmed_and_cleared_of_invisible_controls() -> None:
    item = check_item(ItemText(name="  Кава\u202e  \u200bзернова ", price="25,50"), None)
    assert (item.name, item.price, item.unit) == ("Кава зернова", 2550, "piece")
    assert item.code.startswith("G")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (ItemText(name=" \u200b "), Problem.NAME_EMPTY),
        (ItemText(name="x" * 129), Problem.NAME_TOO_LONG),
        (ItemText(name="Tea", price="0"), Problem.PRICE_ZERO),
        (ItemText(name="Tea", price="abc"), Problem.PRICE_FORMAT),
        (ItemText(name="Tea", unit="barrel"), Problem.UNIT_UNKNOWN),
        (ItemText(name="Tea", tax="1 2 3"), Problem.TAX_TOO_MANY),
        (ItemText(name="Tea", tax="A"), Problem.TAX_FORMAT),
        (ItemText(name="Tea", barcode="1234567"), Problem.BARCODE_FORMAT),
        (ItemText(name="Tea", barcode="１２３４５６７８"), Problem.BARCODE_FORMAT),
        (ItemText(name="Tea", uktzed="22030000"), Problem.UKTZED_FORMAT),
        (ItemText(name="Tea", code="c" * 257), Problem.CODE_FORMAT),
    ],
)
def test_each_bad_field_is_refused_with_its_reason(text: ItemText, problem: Problem) -> None:
    assert refused(text) is problem


def test_tax_codes_come_from_the_registers_list_when_known() -> None:
    assert refused(ItemText(name="Tea", tax="3"), {1, 2}) is Problem.TAX_UNKNOWN
    assert check_item(ItemText(name="Tea", tax="1,2"), {1, 2}).tax_codes == (1, 2)
    assert check_item(ItemText(name="Tea", tax="7"), None).tax_codes == (7,)


def test_no_price_is_a_price_set_at_sale_and_a_128_character_name_is_kept() -> None:
    item = check_item(ItemText(name="Б" * 128, barcode="4820000000001", uktzed="2203 000000"), None)
    assert (item.price, len(item.name), item.uktzed) == (None, 128, "2203000000")


def test_units_are_read_in_both_languages_and_each_has_a_liqpay_name() -> None:
    assert unit_from_text("шт.") is Unit.PIECE
    assert unit_from_text("КГ") is Unit.KG
    assert unit_from_text("service") is Unit.SERVICE
    assert unit_from_text("") is Unit.PIECE
    assert unit_from_text("бочка") is None
    assert set(LIQPAY_UNITS) == set(Unit)
