"""/pending: the receipts awaiting payment, a page at a time (the card's buttons are card.py's)."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.fiscal.unregistered import send_unregistered
from bot.i18n import t
from bot.middlewares import Ack
from bot.receipts.goods import goods_of_many
from bot.receipts.keyboards import pending_keyboard
from bot.receipts.views import receipt_line
from bot.routers.base import menu_text, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import PendingPage
from services.fiscal.sales import FiscalSales
from services.receipts.state import ReceiptService
from storage.models.receipts import Receipt
from storage.models.shops import Member

router = RouterPlan("receipts")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())

PAGE_SIZE = 5


async def _pending_view(
    service: ReceiptService, member: Member, page: int
) -> tuple[str, list[Receipt], int, int]:
    receipts, total = await service.pending(member, page * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if total == 0:
        return t("Nothing is awaiting payment."), [], 0, 1
    head = t("⏳ <b>Awaiting payment: {total}</b>", total=total)
    if pages > 1:
        head += " " + t("(page {page} of {pages})", page=page + 1, pages=pages)
    goods = await goods_of_many(service, receipts)
    lines = [head, *(receipt_line(r, goods=goods.get(r.id, ())) for r in receipts)]
    lines.append(t("Tap a receipt to check its status."))
    return "\n".join(lines), receipts, page, pages


@router.message(Command("pending"))
@router.message(F.text.in_(menu_text("pending")))
async def pending(
    message: Message,
    member: Member,
    receipts: ReceiptService,
    fiscal: FiscalSales | None = None,
) -> None:
    text, found, page, pages = await _pending_view(receipts, member, 0)
    await message.answer(text, reply_markup=pending_keyboard(found, page, pages))
    if fiscal is not None and member.is_owner:
        await send_unregistered(message, member, fiscal)


@router.callback_query(PendingPage.filter())
async def pending_page(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: PendingPage,
    member: Member,
    receipts: ReceiptService,
) -> None:
    page = max(0, callback_data.page)
    text, found, page, pages = await _pending_view(receipts, member, page)
    if page >= pages:
        text, found, page, pages = await _pending_view(receipts, member, pages - 1)
    await safe_edit(callback.message, text, pending_keyboard(found, page, pages))


def _message_id(callback: CallbackQuery) -> int:
    return callback.message.message_id if callback.message is not None else 0
