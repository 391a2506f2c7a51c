"""/catalogue for every member: the screen, search by letters or a barcode (results as
buttons, in pages), an item's card and the CSV export. The owner's buttons on the same
screen are handled in bot/catalogue/manage.py."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.catalogue.keyboards import card_keyboard, menu_keyboard, results_keyboard
from bot.catalogue.views import item_card, menu_text
from bot.filters import IsMember
from bot.i18n import t
from bot.middlewares import Ack
from bot.routers.base import DIALOG_TEXT, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import CatalogueItemAction, CatalogueMenu, CataloguePage
from bot.ui.format import escape
from services.catalogue.service import CatalogueService
from storage.models.shops import Member

router = RouterPlan("catalogue")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())

MAX_QUERY = 64


class Searching(StatesGroup):
    typing = State()  # data: query (the last search, for its pages)


@router.message(Command("catalogue"))
async def catalogue_command(
    message: Message, state: FSMContext, member: Member, catalogue: CatalogueService
) -> None:
    await state.clear()
    register = member.is_owner and await catalogue.has_register(member.shop_id)
    await message.answer(
        menu_text(await catalogue.count(member)),
        reply_markup=menu_keyboard(member.is_owner, register),
    )


@router.callback_query(CatalogueMenu.filter(F.action == "search"))
async def search_pressed(callback: CallbackQuery, ack: Ack, state: FSMContext, bot: Bot) -> None:
    await state.set_state(Searching.typing)
    await ack()
    await bot.send_message(callback.from_user.id, t("Send a few letters of the name or a barcode."))


@router.message(Searching.typing, DIALOG_TEXT)
async def search_typed(
    message: Message, state: FSMContext, member: Member, catalogue: CatalogueService
) -> None:
    query = (message.text or "").strip()[:MAX_QUERY]
    await state.update_data(query=query)
    page = await catalogue.search(member, query)
    if not page.items:
        await message.answer(
            t("Nothing found for «{query}». Try other letters.", query=escape(query))
        )
        return
    await message.answer(
        t("Found for «{query}»:", query=escape(query)), reply_markup=results_keyboard(page, 0)
    )


@router.callback_query(CataloguePage.filter())
async def page_pressed(
    callback: CallbackQuery,
    callback_data: CataloguePage,
    state: FSMContext,
    member: Member,
    catalogue: CatalogueService,
) -> None:
    query = str((await state.get_data()).get("query", ""))
    page = await catalogue.search(member, query, callback_data.page)
    await safe_edit(
        callback.message,
        t("Found for «{query}»:", query=escape(query)),
        results_keyboard(page, callback_data.page),
    )


@router.callback_query(CatalogueItemAction.filter(F.action == "open"))
async def item_opened(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: CatalogueItemAction,
    member: Member,
    catalogue: CatalogueService,
    bot: Bot,
) -> None:
    item = await catalogue.get(member, callback_data.id)
    if item is None:
        await ack(t("There is no such item in the catalogue."))
        return
    await ack()
    await bot.send_message(
        callback.from_user.id,
        item_card(item),
        reply_markup=card_keyboard(item, member.is_owner),
    )


@router.callback_query(CatalogueMenu.filter(F.action == "export"))
async def export_pressed(
    callback: CallbackQuery, ack: Ack, member: Member, catalogue: CatalogueService, bot: Bot
) -> None:
    await ack(t("Preparing the file…"))
    data = await catalogue.export_csv(member)
    await bot.send_document(
        callback.from_user.id,
        BufferedInputFile(data, filename="catalogue.csv"),
        caption=t("📤 The catalogue as CSV: edit it and send it back to import."),
    )
