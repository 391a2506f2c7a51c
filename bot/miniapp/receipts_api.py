"""The API's receipts: today at a glance, the registry, a receipt's page and its actions
(Check status, Cancel, Refund), through the same services as the chat's buttons."""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Any

from aiohttp import web

from bot.i18n import t
from bot.miniapp.context import ApiError, Caller, api, deps, json_body, plain
from bot.miniapp.params import receipt_search
from bot.miniapp.views import money, receipt_detail, receipt_summary
from bot.receipts.views import keys_unreadable_text
from bot.refunds.views import (
    amount_problem_text,
    refund_confirm_text,
    refund_outcome_text,
    refund_problem_text,
)
from bot.routers.base import liqpay_problem
from services.core.money import AmountError
from services.core.periods import PeriodKind, preset
from services.liqpay.client import LiqPayError
from services.receipts.state import KeysUnreadable, NoKeys
from services.refunds.problems import RefundRefused
from storage.models.fiscal import FiscalState
from storage.models.receipt_search import ReceiptSearch
from storage.models.receipts import CurrencyTotal, Receipt, ReceiptStatus

S = ReceiptStatus
KEY_RE = re.compile(r"[0-9a-f]{16,64}")
ATTENTION = 10


async def _receipt(request: web.Request, caller: Caller) -> Receipt:
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 15:
        raise ApiError(404, t("Receipt not found.", caller.locale))
    receipt = await deps(request).services.receipts.for_member(caller.member, int(raw))
    if receipt is None:  # another shop's, another cashier's, or none: the same answer
        raise ApiError(404, t("Receipt not found.", caller.locale))
    return receipt


def _in(totals: list[CurrencyTotal], currency: str) -> dict[str, Any]:
    found = next((x for x in totals if x.currency == currency), CurrencyTotal(currency, 0, 0))
    return {**money(found.kopecks, currency), "count": found.count}


async def today(request: web.Request, caller: Caller) -> dict[str, Any]:
    """Sums in SQL (not the report's row stream): paid today and yesterday (refunded ones
    too: the money came in), awaiting now, expired today; what needs the owner."""
    services, now = deps(request).services, deps(request).clock()
    member, queries = caller.member, services.store.receipt_queries
    day, before = preset(PeriodKind.TODAY, now), preset(PeriodKind.YESTERDAY, now)
    currency = (await services.store.settings.get(member.shop_id)).currency
    cashier = None if member.is_owner else member.user_id
    came_in = [S.PAID, S.REFUNDED]
    paid, paid_before, waiting, expired = await asyncio.gather(
        queries.totals(member.shop_id, came_in, cashier_id=cashier,
                       paid_from=day.start, paid_until=day.end),
        queries.totals(member.shop_id, came_in, cashier_id=cashier,
                       paid_from=before.start, paid_until=before.end),
        queries.totals(member.shop_id, [S.AWAITING], cashier_id=cashier, expires_after=now),
        queries.totals(member.shop_id, [S.EXPIRED], cashier_id=cashier, expires_after=day.start),
    )  # fmt: skip
    attention: list[dict[str, Any]] = []
    refunding: list[dict[str, Any]] = []
    attention_total = 0
    if member.is_owner:
        stuck, attention_total = await queries.list_by_fiscal_state(
            member.shop_id,
            [FiscalState.NOT_REGISTERED, FiscalState.FAILED],
            statuses=[S.PAID],
            limit=ATTENTION,
        )
        attention = [receipt_summary(r, caller.locale) for r in stuck]
        under_way = await queries.search(
            ReceiptSearch(member.shop_id, limit=ATTENTION, refunding=True)
        )
        refunding = [receipt_summary(r, caller.locale) for r in under_way]
    return {
        "shop": member.shop_name,
        "role": member.role.value,
        "day_text": day.range_text(),
        "currency": currency,
        "paid": _in(paid, currency),
        "paid_yesterday": _in(paid_before, currency),
        "awaiting": _in(waiting, currency),
        "expired": _in(expired, currency),
        "attention": attention,
        "attention_total": attention_total,
        "refunding": refunding,
    }


async def receipts(request: web.Request, caller: Caller) -> dict[str, Any]:
    query = receipt_search(request.query, caller)
    found = await deps(request).services.store.receipt_queries.search(query)
    more = len(found) == query.limit
    return {
        "items": [receipt_summary(r, caller.locale) for r in found],
        "next": str(found[-1].id) if more and found else None,
    }


async def _page(request: web.Request, caller: Caller, receipt: Receipt) -> dict[str, Any]:
    services = deps(request).services
    events = await services.store.receipt_queries.events(receipt.id)
    refunds = await services.store.refunds.for_receipt(receipt.id)
    page = receipt_detail(
        receipt, events, refunds, owner=caller.member.is_owner, locale=caller.locale
    )
    if not (page["fiscal_url"] or "").startswith("https://"):
        page["fiscal_url"] = None  # the page links only to https
    return page


async def receipt(request: web.Request, caller: Caller) -> dict[str, Any]:
    return await _page(request, caller, await _receipt(request, caller))


async def _act(request: web.Request, caller: Caller, cancel: bool) -> dict[str, Any]:
    found = await _receipt(request, caller)
    service = deps(request).services.receipts
    try:
        moved = await (service.cancel(found) if cancel else service.check(found))
    except KeysUnreadable:  # before NoKeys, its base class
        raise ApiError(409, plain(keys_unreadable_text(caller.locale))) from None
    except NoKeys:
        raise ApiError(409, t("The shop has no LiqPay keys yet.", caller.locale)) from None
    except LiqPayError as exc:
        raise ApiError(502, plain(liqpay_problem(exc))) from None
    return await _page(request, caller, moved)


async def check(request: web.Request, caller: Caller) -> dict[str, Any]:
    return await _act(request, caller, cancel=False)


async def cancel(request: web.Request, caller: Caller) -> dict[str, Any]:
    found = await _receipt(request, caller)
    if found.status is not S.AWAITING:
        raise ApiError(409, t("Only an invoice awaiting payment can be cancelled.", caller.locale))
    return await _act(request, caller, cancel=True)


async def refund_preview(request: web.Request, caller: Caller) -> dict[str, Any]:
    """The refund's first step: the amount checked, and the confirmation to show."""
    found = await _receipt(request, caller)
    refunds = deps(request).services.refunds
    body = await json_body(request, caller.locale)
    text = body.get("amount")
    try:
        refunds.check(caller.member, found)
        if not isinstance(text, str) or not text.strip():
            amount = found.refundable
        else:
            amount = refunds.parse(text[:40], found)
    except RefundRefused as exc:
        raise ApiError(409, plain(refund_problem_text(exc.problem, found, caller.locale))) from None
    except AmountError as exc:
        raise ApiError(400, plain(amount_problem_text(exc, caller.locale))) from None
    return {
        "amount": money(amount, found.currency),
        "refunded_before": found.refunded_amount,
        "confirm_text": plain(refund_confirm_text(found, amount, caller.locale)),
    }


def refund_key(caller: Caller, receipt: Receipt, key: str) -> str:
    """The store's idempotency key for the page's: the same page key from another person
    or for another receipt is another refund, and never one of the chat's (16 hex)."""
    seed = f"{caller.member.user_id}:{receipt.id}:{key}".encode()
    return "app:" + hashlib.sha256(seed).hexdigest()[:40]


async def refund(request: web.Request, caller: Caller) -> dict[str, Any]:
    """The refund's second step, confirmed: reserved under the page's key, sent once; a
    second tap with the same key gives the same refund."""
    found = await _receipt(request, caller)
    body = await json_body(request, caller.locale)
    amount, key, before = body.get("amount"), body.get("key"), body.get("refunded_before")
    if not (isinstance(amount, int) and not isinstance(amount, bool) and amount > 0):
        raise ApiError(400, t("This filter is not valid: {name}.", caller.locale, name="amount"))
    if not (isinstance(key, str) and KEY_RE.fullmatch(key)):
        raise ApiError(400, t("This filter is not valid: {name}.", caller.locale, name="key"))
    if not (isinstance(before, int) and not isinstance(before, bool) and before >= 0):
        raise ApiError(
            400, t("This filter is not valid: {name}.", caller.locale, name="refunded_before")
        )
    refunds = deps(request).services.refunds
    try:
        result = await refunds.refund(
            caller.member, found, amount, refund_key(caller, found, key), before
        )
    except RefundRefused as exc:
        raise ApiError(409, plain(refund_problem_text(exc.problem, found, caller.locale))) from None
    except KeysUnreadable:
        raise ApiError(409, plain(keys_unreadable_text(caller.locale))) from None
    except NoKeys:
        raise ApiError(409, t("The shop has no LiqPay keys yet.", caller.locale)) from None
    except LiqPayError as exc:
        raise ApiError(502, plain(liqpay_problem(exc))) from None
    page = await _page(request, caller, result.receipt)
    text = refund_outcome_text(result.refund, result.receipt, result.repeated, caller.locale)
    return {"receipt": page, "message": plain(text), "repeated": result.repeated}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/app/api/today", api(today))
    app.router.add_get("/app/api/receipts", api(receipts))
    app.router.add_get("/app/api/receipts/{id}", api(receipt))
    app.router.add_post("/app/api/receipts/{id}/check", api(check))
    app.router.add_post("/app/api/receipts/{id}/cancel", api(cancel))
    app.router.add_post("/app/api/receipts/{id}/refund/preview", api(refund_preview))
    app.router.add_post("/app/api/receipts/{id}/refund", api(refund))
