"""/new with a basket: a line's quantity changed or the line removed, back to the basket,
Checkout (on to the description, the channel and Confirm as without a basket, with the lines
in the dialog's data), «Amount only», and what fits no step of the basket."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.invoices import basket_views as views
from bot.invoices.basket_screens import (
    SHOPPING,
    currency_of,
    current_data,
    show_basket,
    token_of,
)
from bot.invoices.dialog import BasketStep, NewInvoice, ask_description
from bot.invoices.keyboards import cancel_keyboard
from bot.middlewares import Ack
from bot.routers.base import DIALOG_INPUT, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import BasketAction, BasketItem
from services.config import Settings
from services.invoices import basket as rules
from services.invoices.basket import BasketError
from storage.models.lines import SaleLine

router = RouterPlan("invoice_basket_lines")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())


async def _tapped_line(
    callback_data: BasketAction, ack: Ack, state: FSMContext
) -> tuple[dict[str, Any], SaleLine] | None:
    """The dialog's data and the line a line's button names, the tap answered; None when
    the button is of an earlier basket or its line is gone (the tap refused)."""
    data = await current_data(callback_data.v, ack, state)
    if data is None:
        return None
    lines = rules.from_data(data.get("basket"))
    if callback_data.n >= len(lines):
        await ack(views.refusal_text("no_line", currency_of(data), 0))
        return None
    await ack()
    return data, lines[callback_data.n]


@router.callback_query(BasketAction.filter(F.action == "line"), SHOPPING)
async def line_tapped(
    callback: CallbackQuery, callback_data: BasketAction, ack: Ack, state: FSMContext
) -> None:
    tapped = await _tapped_line(callback_data, ack, state)
    if tapped is None:
        return
    data, line = tapped
    if isinstance(callback.message, Message):
        await callback.message.answer(
            views.line_text(line, currency_of(data)),
            reply_markup=views.line_keyboard(callback_data.n, token_of(data)),
        )


@router.callback_query(BasketAction.filter(F.action == "qty"), SHOPPING)
async def quantity_tapped(
    callback: CallbackQuery, callback_data: BasketAction, ack: Ack, state: FSMContext
) -> None:
    tapped = await _tapped_line(callback_data, ack, state)
    if tapped is None:
        return
    data, line = tapped
    await state.update_data(edit=callback_data.n, pick=0)
    await state.set_state(BasketStep.quantity)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            views.quantity_prompt(line.name, line.unit),
            reply_markup=views.quantity_keyboard(line.unit, token_of(data)),
        )


@router.callback_query(BasketAction.filter(F.action == "remove"), SHOPPING)
async def remove_tapped(
    callback: CallbackQuery, callback_data: BasketAction, ack: Ack, state: FSMContext
) -> None:
    data = await current_data(callback_data.v, ack, state)
    if data is None:
        return
    try:
        lines = rules.remove_line(rules.from_data(data.get("basket")), callback_data.n)
    except BasketError as exc:
        await ack(views.refusal_text(exc.reason, currency_of(data), 0))
        return
    await ack()
    if isinstance(callback.message, Message):
        await safe_edit(callback.message, callback.message.html_text)  # its buttons are spent
        await show_basket(callback.message, state, lines)


@router.callback_query(BasketAction.filter(F.action == "back"), SHOPPING)
async def back_tapped(callback: CallbackQuery, ack: Ack, state: FSMContext) -> None:
    await ack()
    if isinstance(callback.message, Message):
        lines = rules.from_data((await state.get_data()).get("basket"))
        await show_basket(callback.message, state, lines)


@router.callback_query(BasketAction.filter(F.action == "checkout"), SHOPPING)
async def checkout_tapped(
    callback: CallbackQuery,
    callback_data: BasketAction,
    ack: Ack,
    state: FSMContext,
    settings: Settings,
) -> None:
    data = await current_data(callback_data.v, ack, state)
    if data is None:  # it would check out another basket than it showed
        return
    lines = rules.from_data(data.get("basket"))
    try:
        total = rules.checkout_total(lines, settings.max_invoice_kopecks)
    except BasketError as exc:
        await ack(views.refusal_text(exc.reason, currency_of(data), settings.max_invoice_kopecks))
        return
    await ack()
    await state.update_data(lines=rules.to_data(lines))
    if isinstance(callback.message, Message):
        await safe_edit(callback.message, callback.message.html_text)  # its buttons are spent
        await ask_description(callback.message, state, total, currency_of(data))


@router.callback_query(BasketAction.filter(F.action == "amount"), BasketStep.start)
async def amount_only_tapped(callback: CallbackQuery, ack: Ack, state: FSMContext) -> None:
    await ack()
    await state.set_state(NewInvoice.amount)
    if isinstance(callback.message, Message):
        currency = currency_of(await state.get_data())
        await callback.message.answer(
            views.amount_only_text(currency), reply_markup=cancel_keyboard()
        )


@router.callback_query(BasketItem.filter())
@router.callback_query(BasketAction.filter())
async def stale_basket_button(callback: CallbackQuery, ack: Ack) -> None:
    await ack(views.stale_text(), alert=True)


@router.callback_query(F.data.startswith("bk:"))
async def older_basket_button(callback: CallbackQuery, ack: Ack) -> None:
    """A basket button of the older format (no token) or in a step it has no part in:
    refused, nothing changed."""
    await ack(views.earlier_basket_text(), alert=True)


@router.message(BasketStep.start, DIALOG_INPUT)
@router.message(BasketStep.lines, DIALOG_INPUT)
@router.message(BasketStep.quantity, DIALOG_INPUT)
@router.message(BasketStep.price, DIALOG_INPUT)
async def basket_needs_text(message: Message) -> None:
    await message.answer(views.needs_text())
