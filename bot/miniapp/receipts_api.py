"""The API's receipts: today at a glance, the registry, a receipt's page (its goods, events,
fiscal receipt and refunds) and its actions Check status and Cancel, through the same services
as the chat's buttons (Refund: refunds_api.py; Register / Retry fiscal, Resend SMS:
actions_api.py)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

from bot.i18n import t
from bot.miniapp.context import ApiError, Caller, api, deps, plain
from bot.miniapp.params import receipt_search
from bot.miniapp.views import money, receipt_detail, receipt_summary
from bot.receipts.views import keys_unreadable_text
from bot.routers.base import liqpay_problem
from services.core.periods import PeriodKind, preset
from services.liqpay.client import LiqPayError
from services.receipts.state import KeysUnreadable, NoKeys
from storage.models.fiscal import FiscalState
from storage.models.receipt_search import ReceiptSearch
from storage.models.receipts import CurrencyTotal, Receipt, ReceiptStatus

S = ReceiptStatus
KEY_RE = re.compile(r"[0-9a-f]{16,64}")
ATTENTION = 10


async def find_receipt(request: web.Request, caller: Caller) -> Receipt:
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


async def receipt_page(request: web.Request, caller: Caller, receipt: Receipt) -> dict[str, Any]:
    services = deps(request).services
    events = await services.store.receipt_queries.events(receipt.id)
    refunds = await services.store.refunds.for_receipt(receipt.id)
    lines = await services.refunds.lines(receipt)  # store.receipt_lines, with what came back
    page = receipt_detail(
        receipt, events, refunds, owner=caller.member.is_owner, locale=caller.locale, lines=lines
    )
    if not (page["fiscal_url"] or "").startswith("https://"):
        page["fiscal_url"] = None  # the page links only to https
    return page


async def receipt(request: web.Request, caller: Caller) -> dict[str, Any]:
    return await receipt_page(request, caller, await find_receipt(request, caller))


async def _act(request: web.Request, caller: Caller, cancel: bool) -> dict[str, Any]:
    found = await find_receipt(request, caller)
    service = deps(request).services.receipts
    try:
        moved = await (service.cancel(found) if cancel else service.check(found))
    except KeysUnreadable:  # before NoKeys, its base class
        raise ApiError(409, plain(keys_unreadable_text(caller.locale))) from None
    except NoKeys:
        raise ApiError(409, t("The shop has no LiqPay keys yet.", caller.locale)) from None
    except LiqPayError as exc:
        raise ApiError(502, plain(liqpay_problem(exc))) from None
    return await receipt_page(request, caller, moved)


async def check(request: web.Request, caller: Caller) -> dict[str, Any]:
    return await _act(request, caller, cancel=False)


async def cancel(request: web.Request, caller: Caller) -> dict[str, Any]:
    found = await find_receipt(request, caller)
    if found.status is not S.AWAITING:
        raise ApiError(409, t("Only an invoice awaiting payment can be cancelled.", caller.locale))
    return await _act(request, caller, cancel=True)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/app/api/today", api(today))
    app.router.add_get("/app/api/receipts", api(receipts))
    app.router.add_get("/app/api/receipts/{id}", api(receipt))
    app.router.add_post("/app/api/receipts/{id}/check", api(check))
    app.router.add_post("/app/api/receipts/{id}/cancel", api(cancel))
