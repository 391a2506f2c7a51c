"""The owner's /catalogue: add an item (name, then price), edit one field at a time,
archive and unarchive, and import (a CSV file or the register's goods) through a preview
that Confirm applies once. A cashier reaching for these is refused in owner_gate."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.catalogue.keyboards import card_keyboard, import_keyboard
from bot.catalogue.views import (
    applied_text,
    field_prompt,
    file_refused_text,
    item_card,
    preview_text,
    problem_text,
)
from bot.filters import IsOwner
from bot.i18n import t
from bot.middlewares import Ack
from bot.routers.base import DIALOG_TEXT, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import CatalogueImport, CatalogueItemAction, CatalogueMenu
from services.catalogue.csv_files import CsvError
from services.catalogue.imports import ImportPreview
from services.catalogue.rules import ItemError, ItemText, check_name
from services.catalogue.service import CatalogueService, NoRegister
from storage.models.catalogue import ItemFields
from storage.models.shops import Member

log = logging.getLogger(__name__)
router = RouterPlan("catalogue_owner")
router.message.filter(IsOwner())
router.callback_query.filter(IsOwner())

MAX_FILE = 5 * 1024 * 1024  # bytes: 10,000 rows fit many times over
NONE = "-"  # typed for "no value" (a price set at sale, no barcode …)


class Adding(StatesGroup):
    name = State()
    price = State()  # data: name


class Editing(StatesGroup):
    value = State()  # data: item_id, field


class Importing(StatesGroup):
    file = State()
    ready = State()  # data: token, items (the previewed import)


def _packed(items: list[ItemFields]) -> list[list[Any]]:
    return [
        [i.code, i.name, i.price, i.unit, list(i.tax_codes), i.barcode, i.uktzed] for i in items
    ]


def _unpacked(rows: list[list[Any]]) -> list[ItemFields]:
    return [
        ItemFields(code=c, name=n, price=p, unit=u, tax_codes=tuple(x), barcode=b, uktzed=k)
        for c, n, p, u, x, b, k in rows
    ]


def _typed(message: Message) -> str:
    text = (message.text or "").strip()
    return "" if text == NONE else text


@router.callback_query(CatalogueMenu.filter(F.action == "add"))
async def add_pressed(callback: CallbackQuery, ack: Ack, state: FSMContext, bot: Bot) -> None:
    await state.set_state(Adding.name)
    await ack()
    await bot.send_message(callback.from_user.id, field_prompt("name"))


@router.message(Adding.name, DIALOG_TEXT)
async def name_typed(message: Message, state: FSMContext) -> None:
    try:
        name = check_name(message.text or "")
    except ItemError as exc:
        await message.answer(problem_text(exc.problem))
        return
    await state.update_data(name=name)
    await state.set_state(Adding.price)
    await message.answer(field_prompt("price"))


@router.message(Adding.price, DIALOG_TEXT)
async def price_typed(
    message: Message, state: FSMContext, member: Member, catalogue: CatalogueService
) -> None:
    name = str((await state.get_data()).get("name", ""))
    try:
        item = await catalogue.add(member, ItemText(name=name, price=_typed(message)))
    except ItemError as exc:
        await message.answer(problem_text(exc.problem))
        return
    await state.clear()
    await message.answer(
        t("✅ Added to the catalogue.") + "\n\n" + item_card(item),
        reply_markup=card_keyboard(item, owner=True),
    )


@router.callback_query(CatalogueItemAction.filter(F.action == "edit"))
async def edit_pressed(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: CatalogueItemAction,
    state: FSMContext,
    bot: Bot,
) -> None:
    if not callback_data.field:
        await ack()
        return
    await state.set_state(Editing.value)
    await state.update_data(item_id=callback_data.id, field=callback_data.field)
    await ack()
    await bot.send_message(callback.from_user.id, field_prompt(callback_data.field))


@router.message(Editing.value, DIALOG_TEXT)
async def value_typed(
    message: Message, state: FSMContext, member: Member, catalogue: CatalogueService
) -> None:
    data = await state.get_data()
    field = str(data.get("field", ""))
    value = (message.text or "") if field == "name" else _typed(message)
    try:
        item = await catalogue.edit(member, int(data.get("item_id", 0)), field, value)
    except ItemError as exc:
        await message.answer(problem_text(exc.problem))
        return
    await state.clear()
    if item is None:
        await message.answer(t("There is no such item in the catalogue."))
        return
    await message.answer(
        t("✅ Saved.") + "\n\n" + item_card(item), reply_markup=card_keyboard(item, owner=True)
    )


@router.callback_query(CatalogueItemAction.filter(F.action == "archive"))
@router.callback_query(CatalogueItemAction.filter(F.action == "unarchive"))
async def archive_pressed(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: CatalogueItemAction,
    member: Member,
    catalogue: CatalogueService,
) -> None:
    archived = callback_data.action == "archive"
    item = await catalogue.set_archived(member, callback_data.id, archived)
    if item is None:
        await ack(t("There is no such item in the catalogue."))
        return
    await ack(t("Archived: old receipts keep it.") if archived else t("Back in the catalogue."))
    await safe_edit(callback.message, item_card(item), card_keyboard(item, owner=True))


@router.callback_query(CatalogueMenu.filter(F.action == "csv"))
async def csv_pressed(callback: CallbackQuery, ack: Ack, state: FSMContext, bot: Bot) -> None:
    await state.set_state(Importing.file)
    await ack()
    await bot.send_message(
        callback.from_user.id,
        t(
            "Send a CSV file (UTF-8 or Windows-1251, separated by ; or ,). The first row names "
            "the columns: <code>code;name;price;unit;tax;barcode;uktzed</code> (or in "
            "Ukrainian). Only the name is required. I will show what changes before "
            "anything is written."
        ),
    )


async def _offer(message: Message, state: FSMContext, result: ImportPreview) -> None:
    if not result.applicable:
        await state.clear()
        await message.answer(preview_text(result))
        return
    await state.set_state(Importing.ready)
    await state.update_data(token=result.token, items=_packed(result.items))
    await message.answer(preview_text(result), reply_markup=import_keyboard(result.token))


@router.message(StateFilter(Importing.file, Importing.ready, None), F.document)
async def file_sent(
    message: Message, state: FSMContext, member: Member, catalogue: CatalogueService, bot: Bot
) -> None:
    document = message.document
    assert document is not None
    if document.file_size is not None and document.file_size > MAX_FILE:
        await message.answer(t("The file is too big: up to 5 MB."))
        return
    downloaded = await bot.download(document)
    assert downloaded is not None
    try:
        result = await catalogue.preview_csv(member, downloaded.read())
    except CsvError as exc:
        await state.clear()
        await message.answer(file_refused_text(exc.problem))
        return
    await _offer(message, state, result)


@router.callback_query(CatalogueMenu.filter(F.action == "register"))
async def register_pressed(
    callback: CallbackQuery,
    ack: Ack,
    state: FSMContext,
    member: Member,
    catalogue: CatalogueService,
) -> None:
    await ack(t("Asking Checkbox…"))
    try:
        result = await catalogue.preview_register(member)
    except NoRegister:
        if isinstance(callback.message, Message):
            await callback.message.answer(
                t(
                    "Checkbox did not give its goods: check the fiscal settings, or try again "
                    "in a minute. Nothing changed."
                )
            )
        return
    if isinstance(callback.message, Message):
        await _offer(callback.message, state, result)


@router.callback_query(CatalogueImport.filter(F.action == "apply"))
async def import_confirmed(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: CatalogueImport,
    state: FSMContext,
    member: Member,
    catalogue: CatalogueService,
) -> None:
    data = await state.get_data()
    if data.get("token") != callback_data.token:
        await ack(t("This import is done or cancelled already."))
        return
    items = _unpacked(data.get("items", []))
    await state.clear()
    applied = await catalogue.apply(member, callback_data.token, items)
    if not applied:
        await ack(t("This import is done or cancelled already."))
        return
    await ack()
    await safe_edit(callback.message, applied_text(len(items)))


@router.callback_query(CatalogueImport.filter(F.action == "cancel"))
async def import_cancelled(
    callback: CallbackQuery, ack: Ack, callback_data: CatalogueImport, state: FSMContext
) -> None:
    if (await state.get_data()).get("token") == callback_data.token:
        await state.clear()
    await ack()
    await safe_edit(callback.message, t("Import cancelled. Nothing was written."))
