"""What the API answers, as plain JSON: amounts in kopecks beside their text, times in ISO
and Kyiv text, every text in the reader's language. Never a key, a PIN or a token."""

from __future__ import annotations

from typing import Any

from bot.fiscal.errors import fiscal_error_text
from bot.fiscal.views import register_label
from bot.i18n import t
from bot.miniapp.context import plain
from bot.receipts.views import channel_name, status_line
from bot.refunds.goods_views import amount_of
from bot.reports.texts import status_name
from bot.ui.format import kyiv_time
from services.core.money import format_amount
from services.refunds.lines import left_of, returnable
from storage.models.fiscal import FiscalState
from storage.models.lines import ReceiptLine
from storage.models.receipts import Channel, Receipt, ReceiptEvent, ReceiptStatus
from storage.models.refunds import Refund, RefundState

F = FiscalState


def money(kopecks: int, currency: str) -> dict[str, Any]:
    return {"kopecks": kopecks, "text": format_amount(kopecks, currency)}


def fiscal_label(state: FiscalState, code: str | None, locale: str) -> str:
    labels = {
        F.NOT_REGISTERED: t("Not registered with the tax service yet", locale),
        F.REGISTERING: t("Being registered…", locale),
        F.REGISTERED: t("Fiscal receipt {code}", locale, code=code or ""),
        F.FAILED: t("Fiscal receipt failed", locale),
    }
    return labels[state]


def fiscal_text(receipt: Receipt, locale: str) -> str | None:
    if receipt.fiscal_state is None:
        return None
    return fiscal_label(receipt.fiscal_state, receipt.fiscal_code, locale)


def receipt_summary(receipt: Receipt, locale: str) -> dict[str, Any]:
    return {
        "id": receipt.id,
        "number": receipt.number,
        "amount": money(receipt.amount, receipt.currency),
        "description": receipt.description,
        "contact": receipt.contact,
        "channel": receipt.channel.value,
        "channel_text": channel_name(receipt.channel, locale),
        "status": receipt.status.value,
        "status_text": plain(status_line(receipt, locale)),
        "fiscal_state": receipt.fiscal_state.value if receipt.fiscal_state else None,
        "fiscal_text": fiscal_text(receipt, locale),
        "cashier_id": receipt.cashier_id,
        "created_at": receipt.created_at.isoformat(),
        "created_text": kyiv_time(receipt.created_at),
        "refunded": money(receipt.refunded_amount, receipt.currency),
    }


def event_line(event: ReceiptEvent, locale: str) -> dict[str, Any]:
    if event.fiscal_to is not None:
        what = fiscal_label(event.fiscal_to, None, locale).strip()
    else:
        what = status_name(event.to_status, locale)
    return {
        "at": event.at.isoformat(),
        "at_text": kyiv_time(event.at),
        "source": event.source.value,
        "text": what,
    }


def refund_line(refund: Refund, currency: str, locale: str) -> dict[str, Any]:
    states = {
        RefundState.RESERVED: t("being sent", locale),
        RefundState.SENT: t("sent to LiqPay", locale),
        RefundState.UNKNOWN: t("outcome unknown, being checked", locale),
        RefundState.DONE: t("done", locale),
        RefundState.FAILED: t("failed", locale),
    }
    return {
        "id": refund.id,
        "amount": money(refund.amount, currency),
        "state": refund.state.value,
        "state_text": states[refund.state],
        "at_text": kyiv_time(refund.created_at),
    }


def goods_line(row: ReceiptLine, currency: str, locale: str) -> dict[str, Any]:
    """One goods line as sold, and what of it came back (quantities in thousandths)."""
    line = row.line
    return {
        "position": row.position,
        "name": line.name,
        "quantity": line.quantity,
        "quantity_text": amount_of(row, line.quantity, locale),
        "unit": line.unit,
        "price": money(line.price, currency),
        "sum": money(line.total, currency),
        "returned": row.returned,
        "returned_text": amount_of(row, row.returned, locale) if row.returned else None,
        "left": left_of(row),
        "left_text": amount_of(row, left_of(row), locale),
    }


def receipt_detail(
    receipt: Receipt,
    events: list[ReceiptEvent],
    refunds: list[Refund],
    *,
    owner: bool,
    locale: str,
    lines: list[ReceiptLine] | None = None,
) -> dict[str, Any]:
    awaiting = receipt.status is ReceiptStatus.AWAITING
    in_flight = any(r.state in (RefundState.RESERVED, RefundState.SENT, RefundState.UNKNOWN)
                    for r in refunds)  # fmt: skip
    stored = lines or []
    refund = (
        owner and receipt.status is ReceiptStatus.PAID and receipt.refundable > 0 and not in_flight
    )
    return {
        **receipt_summary(receipt, locale),
        "card_mask": receipt.card_mask,
        "paid_text": kyiv_time(receipt.paid_at) if receipt.paid_at else None,
        "expires_text": kyiv_time(receipt.expires_at),
        "fiscal_code": receipt.fiscal_code,
        "fiscal_url": receipt.fiscal_url,
        "fiscal_error": (
            fiscal_error_text(receipt.fiscal_error, locale) if receipt.fiscal_error else None
        ),
        "refundable": money(receipt.refundable, receipt.currency),
        "lines": [goods_line(row, receipt.currency, locale) for row in stored],
        "events": [event_line(e, locale) for e in events],
        "refunds": [refund_line(r, receipt.currency, locale) for r in refunds],
        "actions": {
            "check": receipt.status in (ReceiptStatus.AWAITING, ReceiptStatus.PAID),
            "cancel": awaiting,
            # as the chat's card: Resend SMS on an SMS invoice still awaiting payment
            "sms": awaiting and receipt.channel is Channel.SMS,
            # Register / Retry fiscal: the chat's button label, None when it has none
            "register": plain(register_label(receipt, locale) or "") or None,
            "refund": refund,
            # several goods (or several units of one): the owner picks what comes back, as
            # in the chat; an amount only for a receipt of at most one line
            "refund_goods": refund and returnable(stored),
            "refund_amount": refund and len(stored) <= 1,
        },
    }
