"""The owner's refund: Refund → full, or a typed amount → a confirmation naming the amount
and the customer's card → LiqPay, exactly once (services/refunds/service.py)."""

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
from bot.refunds.goods_views import goods_start_text
from bot.refunds.keyboards import refund_confirm_keyboard, refund_start_keyboard
from bot.refunds.views import (
    amount_problem_text,
    refund_confirm_text,
    refund_problem_text,
    refund_start_text,
)
from bot.routers.base import DIALOG_TEXT, quietly, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import RefundAction
from services.core.money import AmountError
from services.refunds.lines import returnable
from services.refunds.problems import RefundProblem, RefundRefused
from services.refunds.service import RefundResult, RefundService
from storage.models.receipts import Receipt
from storage.models.refunds import RefundState
from storage.models.shops import Member

router = RouterPlan("refunds")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())

RECEIPT_KEY = "refund_receipt"


class RefundDialog(StatesGroup):
    amount = State()


def new_key() -> str:
    return secrets.token_hex(8)


async def _receipt(refunds: RefundService, member: Member, receipt_id: int) -> Receipt | None:
    return await refunds.receipts.for_member(member, receipt_id)


async def _confirm(target: Message, receipt: Receipt, amount: int, *, edit: bool) -> None:
    text = refund_confirm_text(receipt, amount)
    markup = refund_confirm_keyboard(receipt, amount, new_key())
    if edit:
        await safe_edit(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


async def _button_receipt(
    ack: Ack, data: RefundAction, member: Member, refunds: RefundService
) -> Receipt | None:
    receipt = await _receipt(refunds, member, data.id)
    if receipt is None:
        await ack(t("Receipt not found."))
    return receipt


async def _refundable(
    ack: Ack, member: Member, refunds: RefundService, receipt: Receipt, state: FSMContext
) -> bool:
    try:
        refunds.check(member, receipt)
    except RefundRefused as exc:
        await state.clear()
        await ack(refund_problem_text(exc.problem, receipt), alert=True)
        return False
    return True


@router.callback_query(RefundAction.filter(F.action == "no"))
async def refund_cancelled(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: RefundAction,
    member: Member,
    refunds: RefundService,
    state: FSMContext,
) -> None:
    if await _button_receipt(ack, callback_data, member, refunds) is None:
        return
    await state.clear()
    await quietly(safe_edit(callback.message, t("Refund cancelled. Nothing was refunded.")))


@router.callback_query(RefundAction.filter(F.action == "full"))
async def refund_full(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: RefundAction,
    member: Member,
    refunds: RefundService,
    state: FSMContext,
) -> None:
    receipt = await _button_receipt(ack, callback_data, member, refunds)
    if receipt is None or not await _refundable(ack, member, refunds, receipt, state):
        return
    await state.clear()
    if isinstance(callback.message, Message):
        await _confirm(callback.message, receipt, receipt.refundable, edit=True)


@router.callback_query(RefundAction.filter(F.action == "start"))
async def refund_start(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: RefundAction,
    member: Member,
    refunds: RefundService,
    state: FSMContext,
) -> None:
    """Asks for the amount."""
    receipt = await _button_receipt(ack, callback_data, member, refunds)
    if receipt is None or not await _refundable(ack, member, refunds, receipt, state):
        return
    done = sum(r.state is RefundState.DONE for r in await refunds.refunds.for_receipt(receipt.id))
    lines = await refunds.lines(receipt)
    goods = lines if returnable(lines) else []
    await state.set_state(RefundDialog.amount)
    await state.update_data({RECEIPT_KEY: receipt.id})
    text = refund_start_text(receipt, done, by_amount=len(lines) <= 1)
    if goods:  # returns by goods (bot/refunds/goods.py)
        text = f"{text}\n\n{goods_start_text(goods)}"
    if isinstance(callback.message, Message):
        await callback.message.answer(
            text, reply_markup=refund_start_keyboard(receipt, lines=goods)
        )


@router.callback_query(RefundAction.filter(F.action == "ok"))
async def refund_confirmed(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: RefundAction,
    member: Member,
    refunds: RefundService,
) -> None:
    data = callback_data
    receipt = await _button_receipt(ack, data, member, refunds)
    if receipt is None:
        return
    if not data.key or data.amount <= 0:
        await ack(t("This button is no longer valid."), alert=True)
        return

    async def refund() -> RefundResult:
        return await refunds.refund(member, receipt, data.amount, data.key, data.refunded)

    stale = (RefundProblem.CHANGED,)  # an older confirmation: say what is now
    await refund_and_report(callback, ack, member, refunds, receipt, refund, stale)


# The keys and LiqPay failing a confirmed refund (the only button that calls LiqPay).
tell_confirm_failures(router, FromButton(RefundAction.filter(F.action == "ok")))


@router.message(RefundDialog.amount, DIALOG_TEXT)
async def refund_amount(
    message: Message, member: Member, refunds: RefundService, state: FSMContext
) -> None:
    receipt_id = (await state.get_data()).get(RECEIPT_KEY)
    receipt = await _receipt(refunds, member, int(receipt_id)) if receipt_id else None
    if receipt is None:
        await state.clear()
        await message.answer(t("Receipt not found."))
        return
    try:
        refunds.check(member, receipt)
        if len(await refunds.lines(receipt)) > 1:  # several goods: chosen by their lines
            raise RefundRefused(RefundProblem.CHOOSE_GOODS)
        amount = refunds.parse(message.text or "", receipt)
    except RefundRefused as exc:
        if exc.problem not in (RefundProblem.TOO_MUCH, RefundProblem.CHOOSE_GOODS):
            await state.clear()
        await message.answer(refund_problem_text(exc.problem, receipt))
        return
    except AmountError as exc:
        await message.answer(amount_problem_text(exc))
        return
    await state.clear()
    await _confirm(message, receipt, amount, edit=False)


@router.message(RefundDialog.amount, ~F.text)
async def refund_amount_not_text(message: Message) -> None:
    await message.answer(t("That is not an amount. Type it like 100 or 100,50."))
