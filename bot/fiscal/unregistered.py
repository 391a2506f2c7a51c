"""/pending's second section, for the owner: paid receipts with no fiscal receipt yet, each
with why, since when (Kyiv time) and how it will be registered."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.fiscal.errors import fiscal_error_text, key_expired_text
from bot.i18n import t
from bot.ui.callbacks import FiscalReceiptAction
from bot.ui.format import escape, kyiv_time
from bot.ui.keyboards import button
from services.core.money import format_amount
from services.fiscal import policy
from services.fiscal.key_expiry import expired_end
from services.fiscal.sales import FiscalSales
from storage.models.fiscal import FiscalState
from storage.models.receipts import Receipt
from storage.models.shops import Member

UNREGISTERED_SHOWN = 10
MAX_REASON_SHOWN = 200


async def send_unregistered(message: Message, member: Member, fiscal: FiscalSales) -> None:
    """/pending's second section, for the owner: paid receipts with no fiscal receipt yet
    (failed or waiting), each with Retry. Nothing is said when there are none."""
    found, total = await fiscal.unregistered(member, 0, UNREGISTERED_SHOWN)
    if not total:
        return
    lines = [t("🧾 <b>Paid but not registered: {total}</b>", total=total)]
    lines += [unregistered_line(r, await fiscal.unregistered_since(r)) for r in found]
    if total > len(found):
        lines.append(t("…and {more} more.", more=total - len(found)))
    lines.append(t("Tap a receipt to register its fiscal receipt now."))
    await message.answer("\n".join(lines), reply_markup=unregistered_keyboard(found))


def why_unregistered(receipt: Receipt, since: str) -> str:
    expired, end = expired_end(receipt.fiscal_error)
    if expired:
        return t("{why} (refused {since})", why=key_expired_text(end), since=since)
    if receipt.fiscal_state is FiscalState.FAILED:
        reason = fiscal_error_text(receipt.fiscal_error)[:MAX_REASON_SHOWN]
        return t("refused {since}: {reason}", since=since, reason=escape(reason))
    if receipt.fiscal_error == policy.UNAVAILABLE:
        return t("Checkbox not answering since {since}", since=since)
    if receipt.fiscal_state is FiscalState.REGISTERING:
        return t("being registered since {since}", since=since)
    return t("waiting to be registered since {since}", since=since)


def route_text(receipt: Receipt) -> str:
    if policy.route(receipt) is policy.Route.DATED_AT_PAYMENT:
        return t("will be registered offline, dated at the payment")
    return t("will be registered online")


def unregistered_line(receipt: Receipt, since: datetime | None = None) -> str:
    moment = since or receipt.paid_at or receipt.created_at
    return t(
        "No {number} · {amount} · {why} · {route}",
        number=receipt.number,
        amount=format_amount(receipt.amount, receipt.currency),
        why=why_unregistered(receipt, kyiv_time(moment)),
        route=route_text(receipt),
    )


def unregistered_keyboard(receipts: list[Receipt]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for receipt in receipts:
        label = t(
            "🔁 No {number} · {amount}",
            number=receipt.number,
            amount=format_amount(receipt.amount, receipt.currency),
        )
        builder.row(button(label, FiscalReceiptAction(action="register", id=receipt.id)))
    return builder.as_markup()
