"""/new in a shop with a catalogue: the basket, before the description. An item is found by
a few letters or a barcode (or tapped among the recent ones), its quantity asked (and its
price, when it has none) and its line added. A typed amount at the start goes the way it
goes without a catalogue. The basket's lines and Checkout are bot/invoices/basket_lines.py;
the rules are services/invoices/basket.py."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.filters import IsMember
from bot.invoices import basket_views as views
from bot.invoices.basket_screens import (
    SHOPPING,
    currency_of,
    current_data,
    pick,
    refuse,
    search,
    show_basket,
)
from bot.invoices.dialog import BasketStep, amount_error_text, ask_description
from bot.invoices.keyboards import cancel_keyboard
from bot.middlewares import Ack
from bot.routers.base import DIALOG_TEXT, safe_edit
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


async def _picked_by_barcode(
    message: Message, state: FSMContext, member: Member, shelf: BasketShelf, settings: Settings
) -> bool:
    """A barcode of the shop's typed: its item picked (True)."""
    item = await shelf.by_barcode(member, message.text or "")
    if item is None:
        return False
    await pick(message, state, item, settings)
    return True


@router.message(BasketStep.start, DIALOG_TEXT)
async def typed_at_start(
    message: Message, state: FSMContext, member: Member, shelf: BasketShelf, settings: Settings
) -> None:
    """A barcode of the shop's, an amount (as without a catalogue), or letters to search."""
    if await _picked_by_barcode(message, state, member, shelf, settings):
        return
    text = message.text or ""
    currency = currency_of(await state.get_data())
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
    if await _picked_by_barcode(message, state, member, shelf, settings):
        return
    await search(message, state, member, shelf, message.text or "")


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
        await ack(views.refusal_text(exc.reason, currency_of(data), settings.max_invoice_kopecks))
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
            views.price_prompt(item.name, item.unit, currency_of(data)),
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
    text = message.text or ""
    scanned = await shelf.by_barcode(member, text)  # no quantity has a barcode's 8+ digits
    if scanned is not None:
        await scanned_while_asked(message, state, member, shelf, settings, scanned)
        return
    await quantity_given(message, state, member, shelf, settings, text)


async def scanned_while_asked(
    message: Message,
    state: FSMContext,
    member: Member,
    shelf: BasketShelf,
    settings: Settings,
    scanned: CatalogueItem,
) -> None:
    """The next item scanned while a quantity is asked, as at a till: the item waiting goes
    in as one when it is counted in whole units and priced; one sold by measure (or with no
    price) still needs its quantity, and the scan is refused until it is given. A line whose
    quantity was being changed keeps the one it had."""
    data = await state.get_data()
    if int(data.get("edit", -1)) < 0:
        try:
            waiting: CatalogueItem | None = await shelf.for_sale(member, int(data.get("pick", 0)))
        except BasketError:
            waiting = None  # gone meanwhile: nothing waits
        if waiting is not None:
            if rules.is_decimal_unit(waiting.unit) or waiting.price is None:
                await message.answer(views.quantity_still_needed(waiting.name, waiting.unit))
                return
            lines = rules.from_data(data.get("basket"))
            await add(message, state, lines, rules.sale_line(waiting, QUANTITY_SCALE), settings)
    await pick(message, state, scanned, settings)


@router.callback_query(BasketAction.filter(F.action == "one"), BasketStep.quantity)
async def one_tapped(
    callback: CallbackQuery,
    callback_data: BasketAction,
    ack: Ack,
    state: FSMContext,
    member: Member,
    shelf: BasketShelf,
    settings: Settings,
) -> None:
    if await current_data(callback_data.v, ack, state) is None:
        return
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
