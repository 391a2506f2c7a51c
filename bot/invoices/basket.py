"""/new in a shop with a catalogue: the basket, before the description. An item is found by
a few letters or a barcode (or tapped among the recent ones), its quantity asked (and its
price, when it has none), the basket shown with its total; a line's quantity changed or the
line removed; Checkout goes on to the description, the channel and Confirm as without a
basket, with the lines in the dialog's data. A typed amount at the start (or «Amount only»)
goes the way it goes without a catalogue. The rules are services/invoices/basket.py."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.invoices import basket_views as views
from bot.invoices.dialog import BasketStep, NewInvoice, amount_error_text, ask_description
from bot.invoices.keyboards import cancel_keyboard
from bot.middlewares import Ack
from bot.routers.base import DIALOG_INPUT, DIALOG_TEXT, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import BasketAction, BasketItem
from services.config import Settings
from services.core.money import AmountError, parse_amount
from services.invoices import basket as rules
from services.invoices.basket import BasketError
from services.invoices.shelf import BasketShelf
from storage.models.catalogue import CatalogueItem
from storage.models.lines import QUANTITY_SCALE, SaleLine
from storage.models.shops import Member

router = RouterPlan("invoice_basket")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())

SHOPPING = StateFilter(BasketStep.start, BasketStep.lines, BasketStep.quantity, BasketStep.price)


def _currency(data: dict[str, Any]) -> str:
    return str(data.get("currency", "UAH"))


async def show_basket(message: Message, state: FSMContext, lines: tuple[SaleLine, ...]) -> None:
    """The basket with its total; an empty one is the start again."""
    data = await state.get_data()
    await state.update_data(basket=rules.to_data(lines), pick=0, edit=-1)
    if not lines:
        await state.set_state(BasketStep.start)
        await message.answer(
            views.start_text(_currency(data)), reply_markup=views.start_keyboard([])
        )
        return
    await state.set_state(BasketStep.lines)
    await message.answer(
        views.basket_text(lines, _currency(data)), reply_markup=views.basket_keyboard(lines)
    )


async def refuse(message: Message, state: FSMContext, reason: str, settings: Settings) -> None:
    data = await state.get_data()
    await message.answer(views.refusal_text(reason, _currency(data), settings.max_invoice_kopecks))


async def pick(
    message: Message, state: FSMContext, item: CatalogueItem, settings: Settings
) -> None:
    """An item chosen: its quantity is asked (an archived one is refused)."""
    if item.archived:
        await refuse(message, state, "archived", settings)
        return
    await state.update_data(pick=item.id, edit=-1)
    await state.set_state(BasketStep.quantity)
    await message.answer(
        views.quantity_prompt(item.name, item.unit), reply_markup=views.quantity_keyboard(item.unit)
    )


async def search(
    message: Message, state: FSMContext, member: Member, shelf: BasketShelf, text: str
) -> None:
    query = text.strip()[:64]
    page = await shelf.find(member, query)
    data = await state.get_data()
    await state.update_data(query=query)
    if not page.items:
        empty = not rules.from_data(data.get("basket"))
        await message.answer(views.nothing_found_text(query, empty))
        return
    await message.answer(views.found_text(query), reply_markup=views.found_keyboard(page, 0))


@router.message(BasketStep.start, DIALOG_TEXT)
async def typed_at_start(
    message: Message, state: FSMContext, member: Member, shelf: BasketShelf, settings: Settings
) -> None:
    """A barcode of the shop's, an amount (as without a catalogue), or letters to search."""
    text = message.text or ""
    item = await shelf.by_barcode(member, text)
    if item is not None:
        await pick(message, state, item, settings)
        return
    currency = _currency(await state.get_data())
    try:
        amount = parse_amount(text, settings.max_invoice_kopecks)
    except AmountError as exc:
        if exc.reason != "format":
            await message.answer(amount_error_text(exc.reason, settings, currency))
            return
        await search(message, state, member, shelf, text)
        return
    await ask_description(message, state, amount, currency)


@router.message(BasketStep.lines, DIALOG_TEXT)
async def typed_in_basket(
    message: Message, state: FSMContext, member: Member, shelf: BasketShelf, settings: Settings
) -> None:
    text = message.text or ""
    item = await shelf.by_barcode(member, text)
    if item is not None:
        await pick(message, state, item, settings)
        return
    await search(message, state, member, shelf, text)


@router.callback_query(BasketItem.filter(), SHOPPING)
async def item_tapped(
    callback: CallbackQuery,
    callback_data: BasketItem,
    ack: Ack,
    state: FSMContext,
    member: Member,
    shelf: BasketShelf,
    settings: Settings,
) -> None:
    try:
        item = await shelf.for_sale(member, callback_data.id)
    except BasketError as exc:
        data = await state.get_data()
        await ack(views.refusal_text(exc.reason, _currency(data), settings.max_invoice_kopecks))
        return
    await ack()
    if isinstance(callback.message, Message):
        await pick(callback.message, state, item, settings)


@router.callback_query(BasketAction.filter(F.action == "page"), SHOPPING)
async def page_tapped(
    callback: CallbackQuery,
    callback_data: BasketAction,
    state: FSMContext,
    member: Member,
    shelf: BasketShelf,
) -> None:
    query = str((await state.get_data()).get("query", ""))
    page = await shelf.find(member, query, callback_data.n)
    await safe_edit(
        callback.message, views.found_text(query), views.found_keyboard(page, callback_data.n)
    )


async def quantity_given(
    message: Message,
    state: FSMContext,
    member: Member,
    shelf: BasketShelf,
    settings: Settings,
    text: str,
) -> None:
    data = await state.get_data()
    lines = rules.from_data(data.get("basket"))
    edit = int(data.get("edit", -1))
    try:
        if edit >= 0:
            if edit >= len(lines):
                raise BasketError("no_line")
            quantity = rules.parse_quantity(text, lines[edit].unit)
            changed = rules.set_quantity(lines, edit, quantity, settings.max_invoice_kopecks)
            await show_basket(message, state, changed)
            return
        item = await shelf.for_sale(member, int(data.get("pick", 0)))
        quantity = rules.parse_quantity(text, item.unit)
    except BasketError as exc:
        await refuse(message, state, exc.reason, settings)
        if exc.reason in ("too_big", "no_line", "unknown", "archived"):
            await show_basket(message, state, lines)
        return
    if item.price is None:
        await state.update_data(pick_quantity=quantity)
        await state.set_state(BasketStep.price)
        await message.answer(
            views.price_prompt(item.name, item.unit, _currency(data)),
            reply_markup=cancel_keyboard(),
        )
        return
    await add(message, state, lines, rules.sale_line(item, quantity), settings)


async def add(
    message: Message,
    state: FSMContext,
    lines: tuple[SaleLine, ...],
    line: SaleLine,
    settings: Settings,
) -> None:
    try:
        lines = rules.add_line(lines, line, settings.max_invoice_kopecks)
    except BasketError as exc:
        await refuse(message, state, exc.reason, settings)
    await show_basket(message, state, lines)


@router.message(BasketStep.quantity, DIALOG_TEXT)
async def typed_quantity(
    message: Message, state: FSMContext, member: Member, shelf: BasketShelf, settings: Settings
) -> None:
    await quantity_given(message, state, member, shelf, settings, message.text or "")


@router.callback_query(BasketAction.filter(F.action == "one"), BasketStep.quantity)
async def one_tapped(
    callback: CallbackQuery,
    ack: Ack,
    state: FSMContext,
    member: Member,
    shelf: BasketShelf,
    settings: Settings,
) -> None:
    await ack()
    if isinstance(callback.message, Message):
        await quantity_given(callback.message, state, member, shelf, settings, "1")


@router.message(BasketStep.price, DIALOG_TEXT)
async def typed_price(
    message: Message, state: FSMContext, member: Member, shelf: BasketShelf, settings: Settings
) -> None:
    data = await state.get_data()
    lines = rules.from_data(data.get("basket"))
    try:
        price = rules.parse_price(message.text or "", settings.max_invoice_kopecks)
        item = await shelf.for_sale(member, int(data.get("pick", 0)))
    except BasketError as exc:
        await refuse(message, state, exc.reason, settings)
        if exc.reason in ("unknown", "archived"):
            await show_basket(message, state, lines)
        return
    quantity = int(data.get("pick_quantity", QUANTITY_SCALE))
    await add(message, state, lines, rules.sale_line(item, quantity, price), settings)


@router.callback_query(BasketAction.filter(F.action == "line"), SHOPPING)
async def line_tapped(
    callback: CallbackQuery, callback_data: BasketAction, ack: Ack, state: FSMContext
) -> None:
    data = await state.get_data()
    lines = rules.from_data(data.get("basket"))
    if callback_data.n >= len(lines):
        await ack(views.refusal_text("no_line", _currency(data), 0))
        return
    await ack()
    if isinstance(callback.message, Message):
        await callback.message.answer(
            views.line_text(lines[callback_data.n], _currency(data)),
            reply_markup=views.line_keyboard(callback_data.n),
        )


@router.callback_query(BasketAction.filter(F.action == "qty"), SHOPPING)
async def quantity_tapped(
    callback: CallbackQuery, callback_data: BasketAction, ack: Ack, state: FSMContext
) -> None:
    data = await state.get_data()
    lines = rules.from_data(data.get("basket"))
    if callback_data.n >= len(lines):
        await ack(views.refusal_text("no_line", _currency(data), 0))
        return
    await ack()
    line = lines[callback_data.n]
    await state.update_data(edit=callback_data.n, pick=0)
    await state.set_state(BasketStep.quantity)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            views.quantity_prompt(line.name, line.unit),
            reply_markup=views.quantity_keyboard(line.unit),
        )


@router.callback_query(BasketAction.filter(F.action == "remove"), SHOPPING)
async def remove_tapped(
    callback: CallbackQuery, callback_data: BasketAction, ack: Ack, state: FSMContext
) -> None:
    data = await state.get_data()
    try:
        lines = rules.remove_line(rules.from_data(data.get("basket")), callback_data.n)
    except BasketError as exc:
        await ack(views.refusal_text(exc.reason, _currency(data), 0))
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
    callback: CallbackQuery, ack: Ack, state: FSMContext, settings: Settings
) -> None:
    data = await state.get_data()
    lines = rules.from_data(data.get("basket"))
    try:
        total = rules.checkout_total(lines, settings.max_invoice_kopecks)
    except BasketError as exc:
        await ack(views.refusal_text(exc.reason, _currency(data), settings.max_invoice_kopecks))
        return
    await ack()
    await state.update_data(lines=rules.to_data(lines))
    if isinstance(callback.message, Message):
        await safe_edit(callback.message, callback.message.html_text)  # its buttons are spent
        await ask_description(callback.message, state, total, _currency(data))


@router.callback_query(BasketAction.filter(F.action == "amount"), BasketStep.start)
async def amount_only_tapped(callback: CallbackQuery, ack: Ack, state: FSMContext) -> None:
    await ack()
    await state.set_state(NewInvoice.amount)
    if isinstance(callback.message, Message):
        currency = _currency(await state.get_data())
        await callback.message.answer(
            views.amount_only_text(currency), reply_markup=cancel_keyboard()
        )


@router.callback_query(BasketItem.filter())
@router.callback_query(BasketAction.filter())
async def stale_basket_button(callback: CallbackQuery, ack: Ack) -> None:
    await ack(views.stale_text(), alert=True)


@router.message(BasketStep.start, DIALOG_INPUT)
@router.message(BasketStep.lines, DIALOG_INPUT)
@router.message(BasketStep.quantity, DIALOG_INPUT)
@router.message(BasketStep.price, DIALOG_INPUT)
async def basket_needs_text(message: Message) -> None:
    await message.answer(views.needs_text())
