"""/start: create a shop, or join one by an invite link."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.commands import set_user_commands
from bot.i18n import t
from bot.routers.base import DIALOG_INPUT, DIALOG_TEXT, display_name
from bot.routers.plan import RouterPlan
from bot.ui.format import escape
from bot.ui.keyboards import main_menu
from services.core.names import clean_name
from services.shops.service import ShopService
from storage.models.shops import InviteOutcome, Member

router = RouterPlan("start")


class ShopSetup(StatesGroup):
    name = State()


@router.message(CommandStart(deep_link=True))
async def start_with_invite(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    shops: ShopService,
    bot: Bot,
    locale: str,
) -> None:
    await state.clear()
    user = message.from_user
    assert user is not None
    outcome, member = await shops.join(command.args or "", user.id, display_name(message))
    if outcome is InviteOutcome.JOINED and member is not None:
        await message.answer(
            t(
                "You joined <b>{shop}</b> as a cashier. Tap «New invoice» or send /new to "
                "issue an invoice.",
                shop=escape(member.shop_name),
            ),
            reply_markup=main_menu(member),
        )
        await set_user_commands(bot, user.id, member, locale)
        return
    if outcome is InviteOutcome.ALREADY_MEMBER and member is not None:
        await message.answer(
            t("You already belong to <b>{shop}</b>.", shop=escape(member.shop_name)),
            reply_markup=main_menu(member),
        )
        return
    texts = {
        InviteOutcome.USED: t("This invite link was already used. Ask the owner for a new one."),
        InviteOutcome.EXPIRED: t("This invite link has expired. Ask the owner for a new one."),
    }
    await message.answer(
        texts.get(outcome, t("This invite link is not valid. Ask the owner for a new one."))
    )


@router.message(CommandStart())
async def start(
    message: Message, state: FSMContext, shops: ShopService, member: Member | None
) -> None:
    await state.clear()
    user = message.from_user
    assert user is not None
    if member is not None:
        await message.answer(
            t(
                "Welcome back to <b>{shop}</b>. /help lists what you can do.",
                shop=escape(member.shop_name),
            ),
            reply_markup=main_menu(member),
        )
        return
    if not shops.may_create_shop(user.id):
        await message.answer(
            t(
                "Hello! This bot issues LiqPay invoices for shops. To work here, ask your "
                "shop's owner for an invite link."
            )
        )
        return
    await state.set_state(ShopSetup.name)
    await message.answer(t("Hello! Let's set up your shop. What is the shop called?"))


@router.message(ShopSetup.name, DIALOG_TEXT)
async def shop_name(
    message: Message, state: FSMContext, shops: ShopService, bot: Bot, locale: str
) -> None:
    user = message.from_user
    assert user is not None and message.text is not None
    name = clean_name(message.text)
    if not 1 <= len(name) <= 100:
        await message.answer(t("The name should be 1 to 100 characters. What is the shop called?"))
        return
    try:
        member = await shops.create_shop(user.id, display_name(message), name)
    except PermissionError:
        await state.clear()
        await message.answer(t("Only an allowed owner can create a shop."))
        return
    await state.clear()
    await message.answer(
        t(
            "Shop <b>{shop}</b> is created and you are its owner.\n"
            "Next: set the LiqPay keys in /settings, then invite cashiers with /invite.",
            shop=escape(member.shop_name),
        ),
        reply_markup=main_menu(member),
    )
    await set_user_commands(bot, user.id, member, locale)


@router.message(ShopSetup.name, DIALOG_INPUT)
async def shop_name_not_text(message: Message) -> None:
    await message.answer(t("Send the shop's name as text, or /cancel."))
