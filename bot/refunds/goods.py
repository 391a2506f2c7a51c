"""Returns by goods: on the refund's first step the owner taps a line, says how much of it
comes back (all of it, or a typed quantity), and confirms; the refund gives back exactly
that (services/refunds/lines.py), once, like any refund (bot/refunds/handlers.py)."""

from __future__ import annotations

import secrets

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import FromButton, IsMember
from bot.i18n import t
from bot.middlewares import Ack
from bot.refunds.confirm import refund_and_report, tell_confirm_failures
from bot.refunds.goods_views import all_button_text, goods_confirm_text, quantity_question
from bot.refunds.keyboards import goods_confirm_keyboard, quantity_keyboard
from bot.refunds.views import refund_problem_text
from bot.routers.base import DIALOG_TEXT, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import RefundGoods
from services.refunds.lines import left_of, parse_quantity, pick, worth
from services.refunds.problems import RefundProblem, RefundRefused
from services.refunds.service import RefundResult, RefundService
from storage.models.lines import ReceiptLine
from storage.models.receipts import Receipt
from storage.models.shops import Member

router = RouterPlan("refund_goods")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())

RECEIPT_KEY = "refund_goods_receipt"
LINE_KEY = "refund_goods_line"


class RefundGoodsDialog(StatesGroup):
    quantity = State()


async def _line(
    refunds: RefundService, member: Member, receipt_id: int, position: int
) -> tuple[Receipt, ReceiptLine] | None:
    receipt = await refunds.receipts.for_member(member, receipt_id)
    if receipt is None:
        return None
    for line in await refunds.lines(receipt):
        if line.position == position:
            return receipt, line
    return None


async def _confirm(
    target: Message, receipt: Receipt, line: ReceiptLine, quantity: int, *, edit: bool
) -> None:
    back = pick(line, quantity)
    text = goods_confirm_text(receipt, line, back)
    markup = goods_confirm_keyboard(
        receipt, line.position, quantity, back.amount, secrets.token_hex(8)
    )
    if edit:
        await safe_edit(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


@router.callback_query(RefundGoods.filter(F.action.in_({"line", "all"})))
async def line_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: RefundGoods,
    member: Member,
    refunds: RefundService,
    state: FSMContext,
) -> None:
    found = await _line(refunds, member, callback_data.id, callback_data.pos)
    if found is None:
        await ack(t("Receipt not found."))
        return
    receipt, line = found
    try:
        refunds.check(member, receipt)
        if left_of(line) <= 0:
            raise RefundRefused(RefundProblem.QUANTITY_TOO_BIG)
    except RefundRefused as exc:
        await state.clear()
        await ack(refund_problem_text(exc.problem, receipt), alert=True)
        return
    if not isinstance(callback.message, Message):
        return
    if callback_data.action == "all":
        await state.clear()
        await _confirm(callback.message, receipt, line, left_of(line), edit=True)
        return
    await state.set_state(RefundGoodsDialog.quantity)
    await state.update_data({RECEIPT_KEY: receipt.id, LINE_KEY: line.position})
    all_text = all_button_text(receipt, line, worth(line, left_of(line)))
    await callback.message.answer(
        quantity_question(line), reply_markup=quantity_keyboard(receipt, line, all_text)
    )


@router.message(RefundGoodsDialog.quantity, DIALOG_TEXT)
async def quantity_typed(
    message: Message, member: Member, refunds: RefundService, state: FSMContext
) -> None:
    data = await state.get_data()
    receipt_id, position = data.get(RECEIPT_KEY), data.get(LINE_KEY)
    found = None
    if receipt_id is not None and position is not None:
        found = await _line(refunds, member, int(receipt_id), int(position))
    if found is None:
        await state.clear()
        await message.answer(t("Receipt not found."))
        return
    receipt, line = found
    try:
        refunds.check(member, receipt)
        quantity = parse_quantity(message.text or "", line)
        pick(line, quantity)
    except RefundRefused as exc:
        if exc.problem not in (RefundProblem.QUANTITY_FORMAT, RefundProblem.QUANTITY_TOO_BIG):
            await state.clear()
        await message.answer(refund_problem_text(exc.problem, receipt))
        return
    await state.clear()
    await _confirm(message, receipt, line, quantity, edit=False)


@router.callback_query(RefundGoods.filter(F.action == "ok"))
async def goods_confirmed(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: RefundGoods,
    member: Member,
    refunds: RefundService,
) -> None:
    data = callback_data
    found = await _line(refunds, member, data.id, data.pos)
    if found is None:
        await ack(t("Receipt not found."))
        return
    receipt, line = found
    if not data.key or data.qty <= 0:
        await ack(t("This button is no longer valid."), alert=True)
        return

    async def refund() -> RefundResult:
        existing = await refunds.refunds.by_key(data.key)
        if existing is not None:  # a double tap: the refund the first tap made
            return await refunds.refund(member, receipt, existing.amount, data.key, data.refunded)
        if receipt.refunded_amount != data.refunded:
            raise RefundRefused(RefundProblem.CHANGED)
        back = pick(line, data.qty)
        return await refunds.refund(member, receipt, back.amount, data.key, data.refunded, (back,))

    stale = (RefundProblem.CHANGED, RefundProblem.QUANTITY_TOO_BIG)
    await refund_and_report(callback, ack, member, refunds, receipt, refund, stale)


# The keys and LiqPay failing a confirmed refund (as bot/refunds/handlers.py's Confirm).
tell_confirm_failures(router, FromButton(RefundGoods.filter(F.action == "ok")))
