"""The basket's screens, shared by the basket's handlers (bot/invoices/basket.py and
basket_lines.py): the basket with its total, a refusal, an item's quantity asked, a search's
results. No handler here."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.invoices import basket_views as views
from bot.invoices.dialog import BasketStep
from bot.middlewares import Ack
from services.config import Settings
from services.invoices import basket as rules
from services.invoices.shelf import BasketShelf
from storage.models.catalogue import CatalogueItem
from storage.models.lines import SaleLine
from storage.models.shops import Member

SHOPPING = StateFilter(BasketStep.start, BasketStep.lines, BasketStep.quantity, BasketStep.price)


def currency_of(data: dict[str, Any]) -> str:
    return str(data.get("currency", "UAH"))


def token_of(data: dict[str, Any]) -> str:
    """The basket's token its buttons carry (services/invoices/basket.py new_token)."""
    return str(data.get("bv", ""))


async def basket_token(state: FSMContext) -> str:
    """The basket's token, made when the dialog has none yet."""
    token = token_of(await state.get_data())
    if not token:
        token = rules.new_token()
        await state.update_data(bv=token)
    return token


def is_stale(data: dict[str, Any], token: str) -> bool:
    """A button made for another basket than the one kept (an older format has no token)."""
    return not token or token != token_of(data)


async def current_data(token: str, ack: Ack, state: FSMContext) -> dict[str, Any] | None:
    """The dialog's data when a button's `token` is the kept basket's; else None, the tap
    refused as an earlier basket's."""
    data = await state.get_data()
    if is_stale(data, token):
        await ack(views.earlier_basket_text(), alert=True)
        return None
    return data


async def show_basket(message: Message, state: FSMContext, lines: tuple[SaleLine, ...]) -> None:
    """The basket with its total; an empty one is the start again. A changed basket gets a
    new token, so the buttons of the earlier ones are refused."""
    data = await state.get_data()
    kept = rules.to_data(lines)
    token = token_of(data)
    if not token or kept != data.get("basket"):
        token = rules.new_token()
    await state.update_data(basket=kept, bv=token, pick=0, edit=-1)
    if not lines:
        await state.set_state(BasketStep.start)
        await message.answer(
            views.start_text(currency_of(data)), reply_markup=views.start_keyboard([])
        )
        return
    await state.set_state(BasketStep.lines)
    await message.answer(
        views.basket_text(lines, currency_of(data)),
        reply_markup=views.basket_keyboard(lines, token),
    )


async def basket_again(
    bot: Bot, chat_id: int, message: Message | None, state: FSMContext, data: dict[str, Any]
) -> None:
    """Confirm refused the basket's lines (they do not add up, or a line is no line): the
    dialog's data is kept and the basket shown again, nothing made."""
    await state.set_data(data)
    await state.set_state(BasketStep.lines)
    if message is None:
        await bot.send_message(chat_id, views.lines_refused_text())
        return
    await message.answer(views.lines_refused_text())
    await show_basket(message, state, rules.from_data(data.get("basket")))


async def refuse(message: Message, state: FSMContext, reason: str, settings: Settings) -> None:
    data = await state.get_data()
    await message.answer(
        views.refusal_text(reason, currency_of(data), settings.max_invoice_kopecks)
    )


async def pick(
    message: Message, state: FSMContext, item: CatalogueItem, settings: Settings
) -> None:
    """An item chosen: its quantity is asked (an archived one is refused)."""
    if item.archived:
        await refuse(message, state, "archived", settings)
        return
    await state.update_data(pick=item.id, edit=-1)
    await state.set_state(BasketStep.quantity)
    token = await basket_token(state)
    await message.answer(
        views.quantity_prompt(item.name, item.unit),
        reply_markup=views.quantity_keyboard(item.unit, token),
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
