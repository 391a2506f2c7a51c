"""The receipts list's query string, checked field by field: a clear refusal (400) in the
reader's language for anything that is not what the page sends."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import TypeVar

from bot.i18n import t
from bot.miniapp.context import ApiError, Caller
from services.core.money import AmountError, parse_amount
from services.core.periods import kyiv_midnight
from storage.models.fiscal import FiscalState
from storage.models.receipt_search import ReceiptSearch
from storage.models.receipts import Channel, ReceiptStatus

PAGE = 20
MAX_PAGE = 100
MAX_TEXT = 100
MAX_AMOUNT = 10**12  # kopecks: above any invoice
E = TypeVar("E", bound=StrEnum)


def _refuse(locale: str, name: str) -> ApiError:
    return ApiError(400, t("This filter is not valid: {name}.", locale, name=name))


def _int(value: str, locale: str, name: str, low: int, high: int) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 15:
        raise _refuse(locale, name)
    number = int(value)
    if not low <= number <= high:
        raise _refuse(locale, name)
    return number


def _enums(value: str, kind: type[E], locale: str, name: str) -> tuple[E, ...]:
    found = []
    for part in value.split(","):
        try:
            found.append(kind(part))
        except ValueError:
            raise _refuse(locale, name) from None
    return tuple(dict.fromkeys(found))


def _flag(value: str, locale: str) -> bool:
    if value not in ("", "0", "1"):
        raise _refuse(locale, "refunding")
    return value == "1"


def printable(text: str) -> str:
    """The text without control characters (PostgreSQL text can't hold NUL), trimmed."""
    return "".join(ch for ch in text if ch >= " " and ch != "\x7f").strip()


def _day(value: str, locale: str, name: str) -> date:
    """A date of YYYY-MM-DD between the years 2000 and 2100 (no Kyiv midnight overflows)."""
    try:
        day = date.fromisoformat(value) if len(value) == 10 else date.fromisoformat("x")
    except ValueError:
        raise _refuse(locale, name) from None
    if not 2000 <= day.year <= 2100:
        raise _refuse(locale, name)
    return day


def _terms(text: str) -> tuple[str | None, int | None, int | None]:
    """What a search box's text may be: part of a contact or description, a receipt's
    number (`17`, `№17`), an amount (`1250`, `1 250,50`)."""
    number = amount = None
    digits = text.lstrip("№#").strip()
    if digits.isascii() and digits.isdigit() and len(digits) <= 12:
        number = int(digits)
    try:
        amount = parse_amount(text, MAX_AMOUNT)
    except AmountError:
        amount = None
    return text, number, amount


def receipt_search(query: Mapping[str, str], caller: Caller) -> ReceiptSearch:
    """The member's page: an owner's of the whole shop (a cashier filter allowed), a
    cashier's of their own receipts only, whatever was asked."""
    locale, member = caller.locale, caller.member
    known = {"q", "before", "limit", "status", "fiscal", "channel", "cashier", "from", "to",
             "refunding"}  # fmt: skip
    for name in query:
        if name not in known:
            raise _refuse(locale, name)
    values = {name: printable(query[name]) for name in query if printable(query[name])}
    text = number = amount = None
    if "q" in values:
        if len(values["q"]) > MAX_TEXT:
            raise ApiError(400, t("The search text is too long.", locale))
        text, number, amount = _terms(values["q"])
    cashier = None
    if "cashier" in values:
        cashier = _int(values["cashier"], locale, "cashier", 1, 2**62)
    if not member.is_owner:
        if cashier is not None and cashier != member.user_id:
            raise ApiError(403, t("A cashier sees only their own receipts.", locale))
        cashier = member.user_id
    first = _day(values["from"], locale, "from") if "from" in values else None
    last = _day(values["to"], locale, "to") if "to" in values else None
    if first and last and last < first:
        raise ApiError(400, t("The first date is after the last one.", locale))
    return ReceiptSearch(
        member.shop_id,
        limit=_int(values["limit"], locale, "limit", 1, MAX_PAGE) if "limit" in values else PAGE,
        before_id=_int(values["before"], locale, "before", 1, 2**62)
        if "before" in values
        else None,
        cashier_id=cashier,
        statuses=_enums(values["status"], ReceiptStatus, locale, "status")
        if "status" in values
        else (),
        fiscal_states=_enums(values["fiscal"], FiscalState, locale, "fiscal")
        if "fiscal" in values
        else (),
        channels=_enums(values["channel"], Channel, locale, "channel")
        if "channel" in values
        else (),
        created_from=kyiv_midnight(first) if first else None,
        created_until=kyiv_midnight(last + timedelta(days=1)) if last else None,
        refunding=_flag(values.get("refunding", ""), locale),
        text=text,
        number=number,
        amount=amount,
    )
