"""/invite and /staff (owner only: a cashier is refused in bot/routers/owner_gate.py)."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.commands import set_user_commands
from bot.filters import IsOwner
from bot.i18n import DEFAULT_LOCALE, t
from bot.middlewares import Ack
from bot.routers.base import menu_text, safe_edit
from bot.routers.plan import RouterPlan
from bot.shops.keyboards import staff_confirm_keyboard, staff_keyboard
from bot.ui.callbacks import StaffAction
from bot.ui.format import escape
from services.shops.service import ShopService
from storage.models.shops import Member
from storage.protocols.store import Store

router = RouterPlan("staff")
router.message.filter(IsOwner())
router.callback_query.filter(IsOwner())


@router.message(Command("invite"))
async def invite(message: Message, member: Member, shops: ShopService, bot: Bot) -> None:
    token = await shops.create_invite(member)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={token}"
    await message.answer(
        t(
            "Forward this link to your cashier. It works once and expires in 24 hours:\n{link}",
            link=escape(link),
        )
    )


async def _staff_text(shops: ShopService, member: Member) -> tuple[str, list[Member]]:
    members = await shops.members(member)
    lines = [t("<b>{shop}</b> — members:", shop=escape(member.shop_name))]
    for m in members:
        role = t("owner") if m.is_owner else t("cashier")
        lines.append(f"• {escape(m.name or str(m.user_id))} — {role}")
    if not any(not m.is_owner for m in members):
        lines.append(t("No cashiers yet. Send /invite to get a link for one."))
    return "\n".join(lines), members


@router.message(Command("staff"))
@router.message(F.text.in_(menu_text("staff")))
async def staff(message: Message, member: Member, shops: ShopService) -> None:
    text, members = await _staff_text(shops, member)
    await message.answer(text, reply_markup=staff_keyboard(members))


async def _cashier(
    ack: Ack, data: StaffAction, member: Member, shops: ShopService
) -> Member | None:
    target = await shops.cashier(member, data.user_id)
    if target is None:
        await ack(t("This person is not a cashier of your shop."))
    return target


async def _show_staff(callback: CallbackQuery, member: Member, shops: ShopService) -> None:
    text, members = await _staff_text(shops, member)
    await safe_edit(callback.message, text, staff_keyboard(members))


@router.callback_query(StaffAction.filter(F.action == "remove"))
async def ask_remove(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: StaffAction,
    member: Member,
    shops: ShopService,
) -> None:
    target = await _cashier(ack, callback_data, member, shops)
    if target is None:
        return
    await safe_edit(
        callback.message,
        t("Remove {name} from the shop?", name=escape(target.name or str(target.user_id))),
        staff_confirm_keyboard(target.user_id),
    )


@router.callback_query(StaffAction.filter(F.action == "remove_yes"))
async def remove(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: StaffAction,
    member: Member,
    shops: ShopService,
    store: Store,
    bot: Bot,
) -> None:
    target = await _cashier(ack, callback_data, member, shops)
    if target is None:
        return
    await shops.remove_cashier(member, target.user_id)
    language = await store.users.language(target.user_id) or DEFAULT_LOCALE
    await set_user_commands(bot, target.user_id, None, language)
    await _show_staff(callback, member, shops)


@router.callback_query(StaffAction.filter(F.action == "back"))
async def back(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: StaffAction,
    member: Member,
    shops: ShopService,
) -> None:
    if await _cashier(ack, callback_data, member, shops) is None:
        return
    await _show_staff(callback, member, shops)
