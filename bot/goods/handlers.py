"""/settings → Goods name (owner only): a group name, the owner's own, or the payment's
purpose when the cashier typed one."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.filters import IsOwner
from bot.goods.texts import goods_name_menu_text
from bot.i18n import t
from bot.invoices.keyboards import cancel_keyboard
from bot.middlewares import Ack
from bot.routers.base import DIALOG_INPUT, DIALOG_TEXT, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import GoodsNameSetting, SettingsAction
from bot.ui.keyboards import button
from services.catalogue.rules import ItemError, Problem
from services.goods.settings import GROUP_NAMES, GoodsNameChoice, GoodsNames
from storage.models.shops import Member

router = RouterPlan("goods_name")
router.message.filter(IsOwner())
router.callback_query.filter(IsOwner())


class GoodsNameDialog(StatesGroup):
    typed = State()


def _mark(on: bool) -> str:
    return "✅" if on else "⬜"


def goods_name_keyboard(choice: GoodsNameChoice) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, name in enumerate(GROUP_NAMES):  # printed in Ukrainian, as on the receipt
        label = f"✅ {name}" if name == choice.name else name
        builder.add(button(label, GoodsNameSetting(item="group", value=str(index))))
    own = choice.name is not None and not choice.is_group
    builder.add(
        button(
            t("✅ Own: {name}", name=choice.name) if own else t("✏️ Type my own"),
            GoodsNameSetting(item="own"),
        ),
        button(
            t("{mark} The payment's purpose, when typed", mark=_mark(choice.from_purpose)),
            GoodsNameSetting(item="purpose", value="off" if choice.from_purpose else "on"),
        ),
        button(t("◀️ Back"), SettingsAction(item="menu")),
    )
    builder.adjust(2, 2, 2, 2, 1, 1, 1)
    return builder.as_markup()


async def _show(callback: CallbackQuery, goods_names: GoodsNames, member: Member) -> None:
    choice = await goods_names.current(member.shop_id)
    await safe_edit(callback.message, goods_name_menu_text(choice), goods_name_keyboard(choice))


@router.callback_query(GoodsNameSetting.filter(F.item == "menu"))
async def goods_name_screen(
    callback: CallbackQuery, member: Member, goods_names: GoodsNames, state: FSMContext
) -> None:
    await state.clear()
    await _show(callback, goods_names, member)


@router.callback_query(GoodsNameSetting.filter(F.item == "group"))
async def choose_group(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: GoodsNameSetting,
    member: Member,
    goods_names: GoodsNames,
) -> None:
    try:
        value = callback_data.value  # "²".isdigit() is True and int("²") raises: ASCII only
        if not (value.isascii() and value.isdigit()):
            raise IndexError(callback_data.value)
        await goods_names.choose_group(member.shop_id, int(callback_data.value))
    except IndexError:
        await ack(t("That value is not allowed."))
        return
    await _show(callback, goods_names, member)


@router.callback_query(GoodsNameSetting.filter(F.item == "purpose"))
async def switch_purpose(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: GoodsNameSetting,
    member: Member,
    goods_names: GoodsNames,
) -> None:
    if callback_data.value not in ("on", "off"):
        await ack(t("That value is not allowed."))
        return
    await goods_names.set_from_purpose(member.shop_id, callback_data.value == "on")
    await _show(callback, goods_names, member)


@router.callback_query(GoodsNameSetting.filter(F.item == "own"))
async def ask_own(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(GoodsNameDialog.typed)
    await safe_edit(
        callback.message,
        t(
            "Send the goods name receipts should print (1–128 characters, in Ukrainian: "
            "the fiscal receipt is), e.g. «Кава та випічка»."
        ),
        cancel_keyboard(),
    )


@router.message(GoodsNameDialog.typed, DIALOG_TEXT)
async def own_typed(
    message: Message, state: FSMContext, member: Member, goods_names: GoodsNames
) -> None:
    assert message.text is not None
    try:
        await goods_names.choose_own(member.shop_id, message.text)
    except ItemError as exc:
        if exc.problem is Problem.NAME_TOO_LONG:
            await message.answer(t("The name is longer than 128 characters. Send a shorter one."))
        else:
            await message.answer(t("The name is empty. Send the goods name, or /cancel."))
        return
    await state.clear()
    choice = await goods_names.current(member.shop_id)
    await message.answer(goods_name_menu_text(choice), reply_markup=goods_name_keyboard(choice))


@router.message(GoodsNameDialog.typed, DIALOG_INPUT)
async def own_needs_text(message: Message) -> None:
    await message.answer(t("Send it as a text message, or /cancel."))
