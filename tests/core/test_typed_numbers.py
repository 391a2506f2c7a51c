"""Numbers people type are read from ASCII digits only. Python's int() and str.isdigit()
take the digits of every script ("١٢٣", "１２３", "৪০০", "𝟗𝟗") and superscripts: such
text is refused with the step's usual message, never read as another number or crashed on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from services.core.contacts import ContactError, normalize_phone
from services.core.money import AmountError, parse_amount
from services.core.periods import PeriodError, PeriodErrorReason, parse_range
from services.fiscal.setup import parse_close_time
from services.refunds.service import RefundService
from services.shops.service import parse_lifetime
from tests.bot_fixtures import OWNER, BotWorld, make_shop_by_bot, world
from tests.builders import receipt_stub

__all__ = ["world"]

MAX = 100_000 * 100
OTHER_DIGITS = [
    "١٢٣",  # Arabic-Indic
    "۱۲۳",  # Extended Arabic-Indic (Persian)
    "１２３",  # full-width
    "৪০০",  # Bengali
    "𝟗𝟗",  # mathematical bold
    "१२",  # Devanagari
    "1２3",  # one full-width digit among ASCII ones
]


@pytest.mark.parametrize(
    "text",
    [*OTHER_DIGITS, "١٢,٥٠", "12,٥٠", "1 ２50,50", "250.５", "１.２３４", "٠"],
)
def test_amounts_in_other_digits_are_refused_as_unreadable(text: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text, MAX)
    assert caught.value.reason == "format"


@pytest.mark.parametrize("text", [*OTHER_DIGITS, "²", "９０m", "2ｈ", "³d"])
def test_a_lifetime_in_other_digits_is_not_a_lifetime(text: str) -> None:
    assert parse_lifetime(text) is None


def test_a_lifetime_in_ascii_digits_still_reads() -> None:
    assert parse_lifetime("90") == 90 * 60
    assert parse_lifetime("2 год") == 2 * 3600


@pytest.mark.parametrize("text", ["０１.１１.２０２６", "01.11.٢٠٢٦", "1.11.2026–３0.11.2026"])
def test_report_dates_in_other_digits_are_malformed(text: str) -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    with pytest.raises(PeriodError) as caught:
        parse_range(text, now)
    assert caught.value.reason is PeriodErrorReason.MALFORMED


@pytest.mark.parametrize("text", ["２３:４５", "٢٣:٤٥", "23:４5"])
def test_a_shift_close_time_in_other_digits_is_not_a_time(text: str) -> None:
    assert parse_close_time(text) is None


@pytest.mark.parametrize(
    "text", ["０５０１２３４５６７", "٠٥٠١٢٣٤٥٦٧", "+３８０ 50 123 45 67", "050 123 45 6７"]
)
def test_phone_numbers_in_other_digits_are_refused(text: str) -> None:
    with pytest.raises(ContactError) as caught:
        normalize_phone(text)
    assert caught.value.reason == "phone"


async def test_the_cashier_gets_the_usual_amount_message(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await world.say(OWNER, "/new")
    usual = (await world.say(OWNER, "abc"))[-1]
    assert "250" in usual
    for text in ("١٢٣", "１２３", "৪০০", "𝟗𝟗"):
        assert await world.say(OWNER, text) == [usual], text
    asked = await world.say(OWNER, "123")
    assert "123,00" in asked[-1]  # the dialog went on with ASCII digits


@pytest.mark.parametrize("text", ["１００", "١٠٠", "𝟏𝟎𝟎"])
def test_a_refund_amount_in_other_digits_is_refused_as_unreadable(text: str) -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    paid = replace(receipt_stub(created=now, expires=now), amount=50_000)
    with pytest.raises(AmountError) as caught:
        RefundService.parse(text, paid)
    assert caught.value.reason == "format"
    assert RefundService.parse("100", paid) == 10_000
