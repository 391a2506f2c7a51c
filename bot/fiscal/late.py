"""The owner's notice that a late receipt is registered now, online, not dated at its
payment, and why (services/fiscal/offline.py)."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, t
from bot.outbox.notices import Notice, ReceiptNoticeRequest
from bot.receipts.keyboards import notice_keyboard
from bot.ui.format import kyiv_time
from services.core.money import format_amount
from services.fiscal.offline import NotDated
from storage.models.receipts import Receipt

WHY_NOT_DATED: dict[str, str] = {
    NotDated.LATER_DOCUMENT: N_(
        "the cash register already has a later document, and dates on a register never go back"
    ),
    NotDated.BUDGET: N_(
        "it is past Checkbox's offline limits (36 hours in a row, 168 hours a month)"
    ),
    NotDated.NO_CODES: N_(
        "the cash register has no offline fiscal codes left (the bot takes more after each "
        "registered receipt)"
    ),
    NotDated.REFUSED: N_("Checkbox refused to switch the cash register to offline mode"),
}


def not_dated_text(receipt: Receipt, reason: str, locale: str | None = None) -> str:
    why = WHY_NOT_DATED.get(reason, WHY_NOT_DATED[NotDated.REFUSED])
    return t(
        "🕓 Receipt No {number} ({amount}) was paid at {paid}, but its fiscal receipt is "
        "registered only now, online, and carries the current time, not the payment's: {why}.",
        locale,
        number=receipt.number,
        amount=format_amount(receipt.amount, receipt.currency),
        paid=kyiv_time(receipt.paid_at or receipt.created_at),
        why=t(why, locale),
    )


def return_not_dated_text(
    receipt: Receipt, reason: str, refund: int, at: datetime, locale: str | None = None
) -> str:
    why = WHY_NOT_DATED.get(reason, WHY_NOT_DATED[NotDated.REFUSED])
    return t(
        "🕓 The return of {amount} for receipt No {number} was made at {at}, but its fiscal "
        "return receipt is registered only now, online, and carries the current time: {why}.",
        locale,
        number=receipt.number,
        amount=format_amount(refund, receipt.currency),
        at=kyiv_time(at),
        why=t(why, locale),
    )


async def not_dated_notice(request: ReceiptNoticeRequest) -> Notice:
    receipt, locale, payload = request.receipt, request.locale, request.payload
    owner = await request.lookups.is_owner(request.chat_id, receipt)
    reason = str(payload.get("reason", ""))
    if "refund" in payload:  # a return receipt (services/fiscal/offline_returns.py)
        at = datetime.fromisoformat(str(payload["refunded_at"]))
        text = return_not_dated_text(receipt, reason, int(payload["refund"]), at, locale)
    else:
        text = not_dated_text(receipt, reason, locale)
    return Notice(text, notice_keyboard(receipt, locale, owner=owner))
