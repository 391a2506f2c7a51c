"""The API's refunds, as the chat's: a preview (the amount or the goods checked, the
confirmation's text), then the confirmed refund, reserved under the page's key and sent once.

A receipt of several goods lines is refunded by goods (a line and a quantity, as the chat's
bot/refunds/goods.py); an amount of it is refused as the chat refuses it (CHOOSE_GOODS)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from aiohttp import web

from bot.i18n import t
from bot.miniapp.context import ApiError, Caller, api, deps, json_body, plain
from bot.miniapp.receipts_api import find_receipt, receipt_page
from bot.miniapp.views import money
from bot.receipts.views import keys_unreadable_text
from bot.refunds.goods_views import goods_confirm_text
from bot.refunds.views import (
    amount_problem_text,
    refund_confirm_text,
    refund_outcome_text,
    refund_problem_text,
)
from bot.routers.base import liqpay_problem
from services.core.money import AmountError
from services.liqpay.client import LiqPayError
from services.receipts.state import KeysUnreadable, NoKeys
from services.refunds.lines import parse_quantity, pick
from services.refunds.problems import RefundProblem, RefundRefused
from services.refunds.service import RefundService
from storage.models.lines import ReceiptLine, ReturnedLine
from storage.models.receipts import Receipt

KEY_RE = re.compile(r"[0-9a-f]{16,64}")
MAX_QUANTITY = 10**10  # thousandths: above any line's


def _bad(caller: Caller, name: str) -> ApiError:
    return ApiError(400, t("This filter is not valid: {name}.", caller.locale, name=name))


def _count(body: dict[str, Any], name: str, caller: Caller, low: int = 0) -> int:
    value = body.get(name)
    if not (isinstance(value, int) and not isinstance(value, bool) and low <= value < 2**62):
        raise _bad(caller, name)
    return value


def _refused(exc: RefundRefused, receipt: Receipt, caller: Caller) -> ApiError:
    return ApiError(409, plain(refund_problem_text(exc.problem, receipt, caller.locale)))


async def _line(refunds: RefundService, receipt: Receipt, position: int) -> ReceiptLine:
    for line in await refunds.lines(receipt):
        if line.position == position:
            return line
    raise RefundRefused(RefundProblem.CHANGED)  # no such line (any more): the page is old


async def refund_preview(request: web.Request, caller: Caller) -> dict[str, Any]:
    """The refund's first step: {"amount": text} (empty: all that is left) or, by goods,
    {"position": n, "quantity": text} (empty: all of the line that is left); what comes
    back, checked as the chat checks it, and the confirmation to show."""
    found = await find_receipt(request, caller)
    refunds = deps(request).services.refunds
    body = await json_body(request, caller.locale)
    goods: ReturnedLine | None = None
    try:
        refunds.check(caller.member, found)
        if "position" in body:
            line = await _line(refunds, found, _count(body, "position", caller, 1))
            typed = body.get("quantity")
            if typed is not None and not isinstance(typed, str):
                raise _bad(caller, "quantity")
            left = line.line.quantity - line.returned
            quantity = parse_quantity(typed[:20], line) if typed and typed.strip() else left
            goods = pick(line, quantity)
            amount = goods.amount
            refunds.check(caller.member, found, amount)  # not above what is left to refund
            text = goods_confirm_text(found, line, goods, caller.locale)
        else:
            if len(await refunds.lines(found)) > 1:  # several goods: chosen by their lines
                raise RefundRefused(RefundProblem.CHOOSE_GOODS)
            typed = body.get("amount")
            if not isinstance(typed, str) or not typed.strip():
                amount = found.refundable
            else:
                amount = refunds.parse(typed[:40], found)
            text = refund_confirm_text(found, amount, caller.locale)
    except RefundRefused as exc:
        raise _refused(exc, found, caller) from None
    except AmountError as exc:
        raise ApiError(400, plain(amount_problem_text(exc, caller.locale))) from None
    answer: dict[str, Any] = {
        "amount": money(amount, found.currency),
        "refunded_before": found.refunded_amount,
        "confirm_text": plain(text),
    }
    if goods is not None:
        answer.update(position=goods.position, quantity=goods.quantity)
    return answer


def refund_key(caller: Caller, receipt: Receipt, key: str) -> str:
    """The store's idempotency key for the page's: the same page key from another person
    or for another receipt is another refund, and never one of the chat's (16 hex)."""
    seed = f"{caller.member.user_id}:{receipt.id}:{key}".encode()
    return "app:" + hashlib.sha256(seed).hexdigest()[:40]


async def refund(request: web.Request, caller: Caller) -> dict[str, Any]:
    """The refund's second step, confirmed ({"amount", "key", "refunded_before"} and, by
    goods, "position" and "quantity" as the preview gave them): reserved under the page's
    key, sent once; a second tap with the same key gives the same refund."""
    found = await find_receipt(request, caller)
    body = await json_body(request, caller.locale)
    amount = _count(body, "amount", caller, 1)
    before = _count(body, "refunded_before", caller)
    key = body.get("key")
    if not (isinstance(key, str) and KEY_RE.fullmatch(key)):
        raise _bad(caller, "key")
    store_key = refund_key(caller, found, key)
    refunds = deps(request).services.refunds
    try:
        existing = await refunds.refunds.by_key(store_key)
        if existing is not None:  # a double tap: the refund the first tap made
            result = await refunds.refund(caller.member, found, existing.amount, store_key, before)
        elif "position" in body:
            if found.refunded_amount != before:
                raise RefundRefused(RefundProblem.CHANGED)
            line = await _line(refunds, found, _count(body, "position", caller, 1))
            back = pick(line, _count(body, "quantity", caller, 1))
            if back.amount != amount:  # not what the confirmation said
                raise RefundRefused(RefundProblem.CHANGED)
            result = await refunds.refund(caller.member, found, amount, store_key, before, (back,))
        else:  # an amount (the service refuses one of several goods lines: CHOOSE_GOODS)
            result = await refunds.refund(caller.member, found, amount, store_key, before)
    except RefundRefused as exc:
        raise _refused(exc, found, caller) from None
    except KeysUnreadable:
        raise ApiError(409, plain(keys_unreadable_text(caller.locale))) from None
    except NoKeys:
        raise ApiError(409, t("The shop has no LiqPay keys yet.", caller.locale)) from None
    except LiqPayError as exc:
        raise ApiError(502, plain(liqpay_problem(exc))) from None
    page = await receipt_page(request, caller, result.receipt)
    text = refund_outcome_text(result.refund, result.receipt, result.repeated, caller.locale)
    return {"receipt": page, "message": plain(text), "repeated": result.repeated}


def add_routes(app: web.Application) -> None:
    app.router.add_post("/app/api/receipts/{id}/refund/preview", api(refund_preview))
    app.router.add_post("/app/api/receipts/{id}/refund", api(refund))
