"""A receipt's other actions, as the chat's card offers them and through the same services:
Register / Retry fiscal (FiscalSales.request, as bot/fiscal/receipts.py: a double tap or a
job already running changes nothing) and Resend SMS (InvoiceService.send_sms, as
bot/receipts/card.py: an SMS invoice still awaiting payment)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.fiscal.receipts import outcome_text
from bot.i18n import t
from bot.miniapp.context import ApiError, Caller, api, deps, plain
from bot.miniapp.receipts_api import find_receipt, receipt_page
from bot.receipts.show import sms_problem
from services.fiscal.sales import RegisterOutcome
from storage.models.receipts import Channel, ReceiptStatus

DONE = (RegisterOutcome.QUEUED, RegisterOutcome.REGISTERED)


async def register(request: web.Request, caller: Caller) -> dict[str, Any]:
    found = await find_receipt(request, caller)
    services = deps(request).services
    outcome = await services.fiscal.sales.request(caller.member, found)
    if outcome not in DONE:  # not paid, not in hryvnias, fiscalization off
        raise ApiError(409, plain(outcome_text(outcome)))
    current = await services.receipts.for_member(caller.member, found.id) or found
    return {"receipt": await receipt_page(request, caller, current),
            "message": plain(outcome_text(outcome))}  # fmt: skip


async def sms(request: web.Request, caller: Caller) -> dict[str, Any]:
    found = await find_receipt(request, caller)
    d = deps(request)
    if found.channel is not Channel.SMS:
        raise ApiError(409, t("This invoice was not sent by SMS.", caller.locale))
    if found.status is not ReceiptStatus.AWAITING or found.expires_at <= d.clock():
        raise ApiError(409, t("This receipt is no longer awaiting payment.", caller.locale))
    error = await d.services.invoices.send_sms(found)
    if error is not None:
        raise ApiError(502, plain(sms_problem(error)))
    return {"receipt": await receipt_page(request, caller, found),
            "message": t("SMS sent.", caller.locale)}  # fmt: skip


def add_routes(app: web.Application) -> None:
    app.router.add_post("/app/api/receipts/{id}/register", api(register))
    app.router.add_post("/app/api/receipts/{id}/sms", api(sms))
