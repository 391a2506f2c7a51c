"""Amounts: what a cashier types, what goes to LiqPay, what comes back, what a person reads."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.core.money import AmountError, format_amount, from_wire, parse_amount, to_wire

MAX = 100_000 * 100  # 100 000 UAH in kopecks, the default MAX_INVOICE_AMOUNT
KOPECKS = st.integers(min_value=1, max_value=10**9)


# parse_amount: accepted


@pytest.mark.parametrize(
    ("text", "kopecks"),
    [
        ("250", 25000),
        ("250.50", 25050),
        ("250,50", 25050),
        ("250.5", 25050),
        ("250,5", 25050),
        ("1 250,50", 125050),
        ("1\u00a0250,50", 125050),  # no-break space
        ("1\u202f250,50", 125050),  # narrow no-break space
        ("12 345 678", 1234567800),
        ("0.01", 1),
        ("0,10", 10),
        ("  99  ", 9900),
        ("007", 700),
    ],
)
def test_parse_amount_accepts(text: str, kopecks: int) -> None:
    assert parse_amount(text, 10**12) == kopecks


def test_parse_amount_accepts_exactly_the_maximum() -> None:
    assert parse_amount("100000", MAX) == MAX


# parse_amount: refused, with the reason the bot turns into a message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "format"),
        ("", "format"),
        ("   ", "format"),
        ("1,2,3", "format"),
        ("1e5", "format"),
        ("+5", "format"),
        ("12 50", "format"),  # a group of two digits is not a thousands group
        ("250 UAH", "format"),
        ("-5", "negative"),
        ("-0,50", "negative"),
        ("0", "zero"),
        ("0,00", "zero"),
        ("0.0", "zero"),
        ("1.234", "decimals"),
        ("1,999", "decimals"),
        ("100000.01", "too_big"),
        ("100 001", "too_big"),
    ],
)
def test_parse_amount_refuses(text: str, reason: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text, MAX)
    assert caught.value.reason == reason


def test_amount_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_amount("abc", MAX)


@pytest.mark.parametrize(
    ("text", "kopecks"),
    [("١٢", 1200), ("١٢,٥٠", 1250), ("۱۲", 1200), ("१२", 1200), ("𝟏𝟐", 1200)],
)
def test_parse_amount_non_ascii_digits_are_refused_or_read_correctly(
    text: str, kopecks: int
) -> None:
    # The code reads Unicode decimal digits (Arabic-Indic, Persian, Devanagari...) by their
    # value. Either outcome is fine; a wrong number or an exception other than AmountError
    # is not.
    try:
        result = parse_amount(text, MAX)
    except AmountError:
        return
    assert result == kopecks


@pytest.mark.parametrize("text", ["²", "½", "Ⅻ", "٫5", "1٬000"])
def test_parse_amount_refuses_digit_lookalikes(text: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text, MAX)


@settings(deadline=None)  # no timing assertions
@given(st.text(max_size=40))
@example("1" * 30)
@example("1 000" * 5)
def test_parse_amount_never_crashes(text: str) -> None:
    try:
        result = parse_amount(text, MAX)
    except AmountError as exc:
        assert exc.reason in {"format", "negative", "zero", "decimals", "too_big"}
    else:
        assert 1 <= result <= MAX


# to_wire / from_wire


@pytest.mark.parametrize(
    ("kopecks", "wire"),
    [(25050, "250.5"), (25000, "250"), (1, "0.01"), (10, "0.1"), (25055, "250.55"), (100, "1")],
)
def test_to_wire_examples(kopecks: int, wire: str) -> None:
    assert to_wire(kopecks) == wire


@settings(deadline=None)
@given(KOPECKS)
def test_wire_round_trip(kopecks: int) -> None:
    assert from_wire(to_wire(kopecks)) == kopecks


@settings(deadline=None)
@given(KOPECKS)
def test_to_wire_has_at_most_two_decimals_and_no_trailing_zeros(kopecks: int) -> None:
    wire = to_wire(kopecks)
    assert Decimal(wire) * 100 == kopecks
    if "." in wire:
        whole, fraction = wire.split(".")
        assert 1 <= len(fraction) <= 2
        assert not fraction.endswith("0")
        assert whole.isdigit()
    else:
        assert wire.isdigit()
        assert not (wire.startswith("0") and wire != "0")


@settings(deadline=None)
@given(KOPECKS)
def test_wire_survives_json_float(kopecks: int) -> None:
    # LiqPay sends amounts back as JSON floats.
    assert from_wire(float(to_wire(kopecks))) == kopecks


@settings(deadline=None)
@given(KOPECKS)
def test_parse_amount_round_trips_comma_text(kopecks: int) -> None:
    text = f"{kopecks // 100},{kopecks % 100:02d}"
    assert parse_amount(text, 10**9) == kopecks


@settings(deadline=None)
@given(KOPECKS)
def test_parse_amount_reads_format_amount_output(kopecks: int) -> None:
    shown = format_amount(kopecks, "UAH")
    number, currency = shown.rsplit("\u00a0", 1)
    assert currency == "UAH"
    assert parse_amount(number, 10**9) == kopecks


@pytest.mark.parametrize(
    ("value", "kopecks"),
    [
        ("250.499999", 25050),
        ("250.495", 25050),  # half up, not half even
        ("250.485", 25049),
        ("250.494999", 25049),
        (Decimal("250.5"), 25050),
        (250.5, 25050),
        (1.0, 100),
        (3, 300),
        ("0.01", 1),
        ("0.005", 1),
    ],
)
def test_from_wire_rounds_half_up(value: object, kopecks: int) -> None:
    assert from_wire(value) == kopecks


@pytest.mark.parametrize(
    "value", [True, False, None, "NaN", float("nan"), "sNaN", "Infinity", float("inf"), "abc", ""]
)
def test_from_wire_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        from_wire(value)


# format_amount


@pytest.mark.parametrize(
    ("kopecks", "currency", "text"),
    [
        (125050, "UAH", "1\u00a0250,50\u00a0UAH"),
        (1, "UAH", "0,01\u00a0UAH"),
        (25000, "EUR", "250,00\u00a0EUR"),
        (100_000_000, "USD", "1\u00a0000\u00a0000,00\u00a0USD"),
        (-444, "UAH", "-4,44\u00a0UAH"),  # LiqPay may report anything; never "-5,56"
        (-125050, "UAH", "-1\u00a0250,50\u00a0UAH"),
    ],
)
def test_format_amount(kopecks: int, currency: str, text: str) -> None:
    assert format_amount(kopecks, currency) == text


def test_format_amount_defaults_to_uah() -> None:
    assert format_amount(99) == "0,99\u00a0UAH"
