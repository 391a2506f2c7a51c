"""The notices about money given back and return receipts, sent by the outbox."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from bot.fiscal.errors import fiscal_error_text
from bot.i18n import t, tn
from bot.outbox.notices import Notice, NoticeRegistry, ReceiptNoticeRequest
from bot.receipts.keyboards import notice_keyboard
from bot.refunds.views import refund_failed_text, refund_money
from bot.ui.format import escape
from services.notifications.jobs import NotificationKind as K
from storage.models.receipts import Receipt


def refund_notice(
    kind: str, payload: Mapping[str, Any], receipt: Receipt, locale: str | None = None
) -> str | None:
    """The notices about money given back; None for any other kind."""
    amount = refund_money(receipt, int(payload.get("amount", 0)))
    total = int(payload.get("total", 0))
    if kind == K.REFUND:
        if total >= receipt.amount:
            return t(
                "↩️ Receipt No {number} is refunded in full: {total} went back to the "
                "customer's card (this refund: {amount}).\nFor: {description}",
                locale,
                number=receipt.number,
                total=refund_money(receipt, total),
                amount=amount,
                description=escape(receipt.description),
            )
        return t(
            "↩️ {amount} of receipt No {number} went back to the customer's card. Refunded so "
            "far: {total} of {paid}; left: {left}.\nFor: {description}",
            locale,
            amount=amount,
            number=receipt.number,
            total=refund_money(receipt, total),
            paid=refund_money(receipt, receipt.amount),
            left=refund_money(receipt, receipt.amount - total),
            description=escape(receipt.description),
        )
    if kind == K.REFUND_FAILED:
        problem = payload.get("problem")
        error = str(problem) if problem else None
        return refund_failed_text(receipt, int(payload.get("amount", 0)), error, locale)
    if kind == K.REFUND_UNKNOWN:
        return tn(
            "❓ The outcome of the refund of {amount} of receipt No {number} is unknown: for "
            "{n} day LiqPay has not shown whether the money went back. Check the payment in "
            "the LiqPay cabinet and do not refund it again before you know. The bot keeps "
            "checking and never refunds it twice.",
            "❓ The outcome of the refund of {amount} of receipt No {number} is unknown: for "
            "{n} days LiqPay has not shown whether the money went back. Check the payment in "
            "the LiqPay cabinet and do not refund it again before you know. The bot keeps "
            "checking and never refunds it twice.",
            int(payload.get("days", 0)),
            locale,
            amount=amount,
            number=receipt.number,
        )
    if kind == K.FISCAL_RETURN_DONE:
        text = t(
            "🧾 The return receipt of receipt No {number} ({amount}) is registered with the "
            "tax service: fiscal number <b>{code}</b>.",
            locale,
            number=receipt.number,
            amount=amount,
            code=escape(str(payload.get("code") or "—")),
        )
        link = str(payload.get("link") or "")
        if link:
            label = t("receipt at the tax service", locale)
            text += f'\n<a href="{html.escape(link, quote=True)}">{label}</a>'
        return text
    if kind == K.FISCAL_RETURN_FAILED:
        return t(
            "❗ The return receipt of receipt No {number} ({amount}) was not registered: {message}",
            locale,
            number=receipt.number,
            amount=amount,
            message=escape(fiscal_error_text(str(payload.get("message") or ""), locale)),
        )
    return None


REFUND_NOTICES = frozenset(
    {K.REFUND, K.REFUND_FAILED, K.REFUND_UNKNOWN, K.FISCAL_RETURN_DONE, K.FISCAL_RETURN_FAILED}
)


async def render_refund_notice(request: ReceiptNoticeRequest) -> Notice | None:
    receipt, locale = request.receipt, request.locale
    owner = await request.lookups.is_owner(request.chat_id, receipt)
    text = refund_notice(request.kind, request.payload, receipt, locale)
    if text is None:
        return None
    return Notice(text, notice_keyboard(receipt, locale, owner=owner))


def register_notices(registry: NoticeRegistry) -> None:
    for kind in sorted(REFUND_NOTICES):
        registry.about_receipt(kind, render_refund_notice)
