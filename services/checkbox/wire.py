"""Checkbox's JSON, both ways: sell bodies out, receipts, shifts and tax rates in, and which
refusal an error answer is (../shared/reference/checkbox.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.fiscal.registrar import (
    CashierProfile,
    FiscalResult,
    FiscalStatus,
    FiscalUnavailable,
    ListedReceipt,
    RefusalReason,
    RegisterGood,
    Sale,
    SaleReturn,
    ShiftInfo,
    ShiftStatus,
    TaxRate,
)

MAX_GOOD_CODE = 256

_RECEIPT_STATUS = {
    "CREATED": FiscalStatus.PENDING,
    "CANCELLATION": FiscalStatus.PENDING,
    "DONE": FiscalStatus.DONE,
    "ERROR": FiscalStatus.ERROR,
    "CANCELLED": FiscalStatus.CANCELLED,
}
_SHIFT_STATUS = {
    "CREATED": ShiftStatus.OPENING,
    "OPENING": ShiftStatus.OPENING,
    "OPENED": ShiftStatus.OPENED,
    "CLOSING": ShiftStatus.CLOSING,
    "CLOSED": ShiftStatus.CLOSED,
}

# Checkbox's business-rule refusals (HTTP 400) carry Ukrainian text, not codes.
_MESSAGE_REASONS = (
    ("зміну не відкрито", RefusalReason.SHIFT_NOT_OPENED),
    ("shift is not opened", RefusalReason.SHIFT_NOT_OPENED),
    ("вже працює з даною касою", RefusalReason.SHIFT_ALREADY_OPENED),
    ("зайнята іншим касиром", RefusalReason.REGISTER_BUSY),
)


# The signing key's expiry is not documented as an error of its own: recognised only when
# the words name both the key (or its certificate) and its expiry; anything else keeps the
# generic refusal.
_KEY_WORDS = ("сертифікат", "certificate", "ключ", "кеп")
_EXPIRY_WORDS = ("закінчи", "сплив", "минув", "прострочен", "expired")


def names_expired_key(message: str) -> bool:
    lowered = message.lower()
    return any(w in lowered for w in _KEY_WORDS) and any(w in lowered for w in _EXPIRY_WORDS)


def sell_body(sale: Sale) -> dict[str, Any]:
    return _receipt_body(sale, sale.receipt_id, is_return=False)


def return_body(sale_return: SaleReturn) -> dict[str, Any]:
    body = _receipt_body(sale_return.sale, sale_return.receipt_id, is_return=True)
    body["related_receipt_id"] = sale_return.related_receipt_id
    return body


def _receipt_body(sale: Sale, receipt_id: str, *, is_return: bool) -> dict[str, Any]:
    lines: list[dict[str, Any]] = []
    for item in sale.goods:
        good: dict[str, Any] = {
            "code": item.code[:MAX_GOOD_CODE],
            "name": item.name,
            "price": item.price,
        }
        if item.tax_codes:
            good["tax"] = list(item.tax_codes)
        if item.barcode:
            good["barcode"] = item.barcode
        if item.uktzed:
            good["uktzed"] = item.uktzed
        line: dict[str, Any] = {"good": good, "quantity": item.quantity}
        if is_return:
            line["is_return"] = True
        lines.append(line)
    payment: dict[str, Any] = {"type": "CASHLESS", "value": sale.price, "label": sale.payment_label}
    optional = {
        "card_mask": sale.card_mask,
        "bank_name": sale.bank,
        "payment_system": sale.payment_system,
        "rrn": sale.rrn,
        "auth_code": sale.auth_code,
        "transaction_id": sale.payment_id,
    }
    payment.update({k: v for k, v in optional.items() if v})
    return {"id": receipt_id, "goods": lines, "payments": [payment]}


def refusal_reason(status: int, message: str, *, signing_in: bool) -> RefusalReason:
    if status in (401, 403):
        return RefusalReason.BAD_CREDENTIALS if signing_in else RefusalReason.INVALID_TOKEN
    if status == 404:
        return RefusalReason.NOT_FOUND
    if status == 422:
        return RefusalReason.VALIDATION
    if names_expired_key(message):
        return RefusalReason.KEY_EXPIRED
    lowered = message.lower()
    for fragment, reason in _MESSAGE_REASONS:
        if fragment in lowered:
            return reason
    return RefusalReason.OTHER


def error_message(answer: Any) -> str:
    if not isinstance(answer, dict):
        return ""
    message = answer.get("message")
    text = str(message) if message else ""
    detail = answer.get("detail")
    if isinstance(detail, list):
        parts = [str(d.get("msg")) for d in detail if isinstance(d, dict) and d.get("msg")]
        if parts:
            text = "; ".join([text, *parts]) if text else "; ".join(parts)
    elif isinstance(detail, str) and not text:
        text = detail
    return text


def parse_receipt(answer: Any, receipt_url: str) -> FiscalResult:
    obj = _object(answer, "receipt")
    receipt_id = _text(obj.get("id"))
    status = _RECEIPT_STATUS.get(str(obj.get("status")))
    if receipt_id is None or status is None:
        raise FiscalUnavailable("receipt answer without id or known status")
    transaction = obj.get("transaction")
    error = None
    if status is FiscalStatus.ERROR:
        if isinstance(transaction, dict):
            error = _text(transaction.get("response_error_message"))
        error = error or _text(obj.get("message"))  # None: the caller names the status
    return FiscalResult(
        receipt_id=receipt_id,
        status=status,
        fiscal_code=_text(obj.get("fiscal_code")),
        fiscal_date=parse_moment(obj.get("fiscal_date")),
        tax_url=_text(obj.get("tax_url")),
        receipt_url=receipt_url,
        error_message=error,
        is_return=obj.get("type") == "RETURN",
        created_offline=obj.get("is_created_offline") is True,
        sent_to_tax=obj.get("is_sent_dps") is not False,
    )


def parse_receipt_page(answer: Any) -> tuple[list[ListedReceipt], int]:
    """A page of GET /api/v1/receipts/search: the receipts, and how many the page held."""
    results = _object(answer, "receipts").get("results")
    if not isinstance(results, list):
        raise FiscalUnavailable("receipts answer without results")
    listed = []
    for item in results:
        obj = _object(item, "receipt")
        receipt_id = _text(obj.get("id"))
        status = _RECEIPT_STATUS.get(str(obj.get("status")))
        total = obj.get("total_sum")
        if receipt_id is None or status is None or type(total) is not int:
            raise FiscalUnavailable("listed receipt without id, known status or total")
        listed.append(
            ListedReceipt(
                receipt_id=receipt_id,
                status=status,
                total=total,
                is_return=obj.get("type") == "RETURN",
                fiscal_code=_text(obj.get("fiscal_code")),
                created_at=parse_moment(obj.get("created_at")),
                related_receipt_id=_text(obj.get("related_receipt_id")),
            )
        )
    return listed, len(results)


def parse_shift_page(answer: Any) -> tuple[list[ShiftInfo], int]:
    """A page of GET /api/v1/cash-registers/shifts: the shifts, and how many it held."""
    results = _object(answer, "shifts").get("results")
    if not isinstance(results, list):
        raise FiscalUnavailable("shifts answer without results")
    return [parse_shift(item) for item in results], len(results)


def parse_cashier(answer: Any) -> CashierProfile:
    """GET /api/v1/cashier/me; a missing or unreadable certificate_end is None."""
    return CashierProfile(certificate_end=parse_moment(_object(answer, "cashier").get(
        "certificate_end")))  # fmt: skip


def parse_shift(answer: Any) -> ShiftInfo:
    obj = _object(answer, "shift")
    shift_id = _text(obj.get("id"))
    status = _SHIFT_STATUS.get(str(obj.get("status")))
    if shift_id is None or status is None:
        raise FiscalUnavailable("shift answer without id or known status")
    balance = obj.get("balance")
    balance = balance if isinstance(balance, dict) else {}
    initial = obj.get("initial_transaction")
    error = None
    if status is ShiftStatus.CLOSED and isinstance(initial, dict):
        error = _text(initial.get("response_error_message"))
    return ShiftInfo(
        id=shift_id,
        status=status,
        serial=_integer(obj.get("serial")),
        opened_at=parse_moment(obj.get("opened_at")),
        closed_at=parse_moment(obj.get("closed_at")),
        card_sales=_integer(balance.get("card_sales")),
        card_returns=_integer(balance.get("card_returns")),
        error_message=error,
    )


def parse_taxes(answer: Any) -> list[TaxRate]:
    if not isinstance(answer, list):
        raise FiscalUnavailable("tax answer is not a list")
    rates: list[TaxRate] = []
    for item in answer:
        if not isinstance(item, dict):
            continue
        code = _integer(item.get("code"))
        if code is None:
            continue
        rate = item.get("rate")
        rates.append(
            TaxRate(
                code=code,
                label=_text(item.get("label")) or "",
                symbol=_text(item.get("symbol")) or "",
                rate=rate if isinstance(rate, Decimal) else Decimal(str(_integer(rate) or 0)),
                included=bool(item.get("included", True)),
                no_vat=bool(item.get("no_vat", False)),
            )
        )
    return rates


def parse_goods(answer: Any) -> tuple[list[RegisterGood], int]:
    """One page of GET /api/v1/goods: its goods, and how many results the page held (a
    page with fewer than asked for is the last)."""
    results = _object(answer, "goods").get("results")
    if not isinstance(results, list):
        raise FiscalUnavailable("goods answer has no results")
    goods: list[RegisterGood] = []
    for item in results:
        if not isinstance(item, dict):
            continue
        code, name = _text(item.get("code")), _text(item.get("name"))
        if code is None or name is None:
            continue
        taxes = item.get("taxes")
        if not isinstance(taxes, list):
            taxes = []
        goods.append(
            RegisterGood(
                code=code,
                name=name,
                price=_integer(item.get("price")) or 0,
                tax_codes=tuple(
                    c
                    for t in taxes
                    if isinstance(t, dict) and (c := _integer(t.get("code"))) is not None
                ),
                barcode=_text(item.get("barcode")),
                uktzed=_text(item.get("uktzed")),
                is_weight=item.get("is_weight") is True,
            )
        )
    return goods, len(results)


def parse_moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _object(answer: Any, what: str) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise FiscalUnavailable(f"{what} answer is not a JSON object")
    return answer


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _integer(value: Any) -> int | None:
    """Exact integers only: kopeck amounts never pass through a float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return None
