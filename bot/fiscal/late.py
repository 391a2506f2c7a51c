"""The owner's notice that a late receipt is registered now, online, not dated at its
payment, and why (services/fiscal/offline.py)."""

from __future__ import annotations

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


async def not_dated_notice(request: ReceiptNoticeRequest) -> Notice:
    receipt, locale = request.receipt, request.locale
    owner = await request.lookups.is_owner(request.chat_id, receipt)
    text = not_dated_text(receipt, str(request.payload.get("reason", "")), locale)
    return Notice(text, notice_keyboard(receipt, locale, owner=owner))
