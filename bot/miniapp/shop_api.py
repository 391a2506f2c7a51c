"""The API's reports, catalogue and settings, through services/reports and
services/catalogue; the settings screen shows what is set and never a secret."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot.catalogue.views import price_text, problem_text, unit_name
from bot.i18n import t
from bot.miniapp.context import ApiError, Caller, api, deps, json_body
from bot.miniapp.params import printable
from bot.miniapp.views import money
from bot.refunds.goods_views import quantity_text
from bot.reports.texts import period_error_text
from services.catalogue.rules import ItemError, ItemText
from services.core.periods import Period, PeriodError, PeriodKind, parse_range, preset
from services.reports.totals import Totals
from storage.models.catalogue import CatalogueItem
from storage.models.reports import TopItem

PRESETS = {k.value for k in PeriodKind if k is not PeriodKind.RANGE}
ITEM_FIELDS = ("name", "price", "unit", "tax", "barcode", "uktzed", "code")


def _totals(totals: Totals, currency: str) -> dict[str, Any]:
    return {
        "paid": {**money(totals.paid.kopecks, currency), "count": totals.paid.count},
        "awaiting": {**money(totals.awaiting.kopecks, currency), "count": totals.awaiting.count},
        "expired": {"count": totals.expired.count},
        "cancelled": {"count": totals.cancelled.count},
        "refunded": {**money(totals.refunded_kopecks, currency), "count": totals.refunded_count},
        "net": money(totals.net_kopecks, currency),
    }


def period_of(kind: object, text: object, caller: Caller, now: datetime) -> Period:
    """A preset's period (`today`, `this_month`, …) or a typed range (as /report's)."""
    if not isinstance(kind, str) or not isinstance(text, str):
        raise ApiError(400, t("This filter is not valid: {name}.", caller.locale, name="period"))
    if text:
        try:
            return parse_range(text[:40], now)
        except PeriodError as exc:
            raise ApiError(400, period_error_text(exc.reason, caller.locale)) from None
    if kind in PRESETS:
        return preset(PeriodKind(kind), now)
    raise ApiError(400, t("This filter is not valid: {name}.", caller.locale, name="period"))


async def report(request: web.Request, caller: Caller) -> dict[str, Any]:
    d = deps(request)
    kind, text = request.query.get("period", "today"), request.query.get("range", "")
    period = period_of(kind, text, caller, d.clock())
    found = (await d.services.reporting.summary(caller.member, period))[0]
    items = await d.services.reporting.top_items(caller.member, period)
    currency = found.currency
    names = {m.user_id: m.name for m in await d.services.store.shops.list_members(
        caller.member.shop_id)}  # fmt: skip
    return {
        "period_text": period.range_text(),
        "totals": _totals(found.totals, currency),
        "by_channel": [
            {"channel": channel.value, **_totals(totals, currency)}
            for channel, totals in found.by_channel.items()
            if not totals.is_empty
        ],
        "by_cashier": [
            {"name": names.get(user, str(user)), **_totals(totals, currency)}
            for user, totals in found.by_cashier.items()
        ],
        "by_item": [
            {
                "name": item.name,
                "quantity_text": _quantity(item, caller.locale),
                **money(item.total, currency),
            }
            for item in items
        ],
        "days": [
            {"day": day.isoformat(), "count": bucket.count, **money(bucket.kopecks, currency)}
            for day, bucket in found.paid_by_day.items()
        ],
    }


def _quantity(item: TopItem, locale: str) -> str:
    return f"{quantity_text(item.quantity)} {unit_name(item.unit, locale)}"


def _item(item: CatalogueItem, locale: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "price": item.price,
        "price_text": price_text(item.price, locale),
        "unit": item.unit,
        "unit_text": unit_name(item.unit, locale),
        "tax": ",".join(str(c) for c in item.tax_codes),
        "barcode": item.barcode,
        "uktzed": item.uktzed,
        "archived": item.archived,
    }


def owner_only(caller: Caller) -> None:
    if not caller.member.is_owner:
        raise ApiError(403, t("Only the shop's owner can do this.", caller.locale))


async def catalogue(request: web.Request, caller: Caller) -> dict[str, Any]:
    text = printable(request.query.get("q", ""))[:64]
    raw = request.query.get("page", "0")
    if not raw.isascii() or not raw.isdigit() or int(raw) > 10_000:
        raise ApiError(400, t("This filter is not valid: {name}.", caller.locale, name="page"))
    found = await deps(request).services.catalogue.search(caller.member, text, int(raw))
    return {
        "items": [_item(i, caller.locale) for i in found.items],
        "more": found.more,
        "owner": caller.member.is_owner,  # the page offers adding and editing to the owner
    }


def _text(body: dict[str, Any], name: str, caller: Caller) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > 256:
        raise ApiError(400, t("This filter is not valid: {name}.", caller.locale, name=name))
    return value


async def catalogue_add(request: web.Request, caller: Caller) -> dict[str, Any]:
    owner_only(caller)
    body = await json_body(request, caller.locale)
    text = ItemText(**{name: _text(body, name, caller) for name in ITEM_FIELDS})
    try:
        item = await deps(request).services.catalogue.add(caller.member, text)
    except ItemError as exc:
        raise ApiError(400, problem_text(exc.problem, caller.locale)) from None
    return _item(item, caller.locale)


def _item_id(request: web.Request, caller: Caller) -> int:
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 15:
        raise ApiError(404, t("No such item.", caller.locale))
    return int(raw)


async def catalogue_edit(request: web.Request, caller: Caller) -> dict[str, Any]:
    """One field as typed ({"field", "value"}, checked by the catalogue's rules, as in the
    chat) or {"archived": true|false}."""
    owner_only(caller)
    item_id = _item_id(request, caller)
    body = await json_body(request, caller.locale)
    service = deps(request).services.catalogue
    if "archived" in body:
        if not isinstance(body["archived"], bool):
            raise ApiError(
                400, t("This filter is not valid: {name}.", caller.locale, name="archived")
            )
        item = await service.set_archived(caller.member, item_id, body["archived"])
    else:
        field = body.get("field")
        if field not in ITEM_FIELDS:
            raise ApiError(400, t("This filter is not valid: {name}.", caller.locale, name="field"))
        try:
            item = await service.edit(caller.member, item_id, field, _text(body, "value", caller))
        except ItemError as exc:
            raise ApiError(400, problem_text(exc.problem, caller.locale)) from None
    if item is None:
        raise ApiError(404, t("No such item.", caller.locale))
    return _item(item, caller.locale)


async def settings(request: web.Request, caller: Caller) -> dict[str, Any]:
    owner_only(caller)
    store = deps(request).services.store
    shop = await store.settings.get(caller.member.shop_id)
    fiscal = await store.fiscal.get(caller.member.shop_id)
    locale = caller.locale
    key = shop.public_key
    return {
        "shop": caller.member.shop_name,
        "liqpay": {
            "public_key": f"••••{key[-4:]}" if key else None,
            "private_key_set": shop.private_key_enc is not None,
            "currency": shop.currency,
            "lifetime_minutes": shop.invoice_lifetime // 60,
            "api_version": shop.api_version,
        },
        "sms": {"set": shop.has_sms, "sender": shop.sms_sender},
        "reminders": {
            "cashier": shop.remind_cashier,
            "customer": shop.remind_customer,
            "lead_minutes": shop.remind_lead // 60,
            "digest": shop.digest,
            "digest_at": f"{shop.digest_at // 60:02d}:{shop.digest_at % 60:02d}",
        },
        "fiscal": {
            "configured": bool(fiscal and fiscal.configured),
            "enabled": bool(fiscal and fiscal.enabled),
            "mode": fiscal.mode.value if fiscal else None,
            "key_valid_until": fiscal.certificate_end.date().isoformat()
            if fiscal and fiscal.certificate_end
            else None,
        },
        "how_to_change": t(
            "Keys, the PIN and every other setting are changed in the chat: send /settings "
            "to the bot (secrets are never typed here).",
            locale,
        ),
    }


def add_routes(app: web.Application) -> None:
    app.router.add_get("/app/api/reports", api(report))
    app.router.add_get("/app/api/catalogue", api(catalogue))
    app.router.add_post("/app/api/catalogue", api(catalogue_add))
    app.router.add_post("/app/api/catalogue/{id}", api(catalogue_edit))
    app.router.add_get("/app/api/settings", api(settings))
