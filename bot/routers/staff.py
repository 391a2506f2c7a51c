"""/invite and /staff (owner only)."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.commands import set_user_commands
from bot.filters import IsMember
from bot.i18n import DEFAULT_LOCALE, t
from bot.keyboards import StaffAction, staff_confirm_keyboard, staff_keyboard
from bot.middlewares import Ack
from bot.routers.base import menu_text, safe_edit
from bot.routers.plan import RouterPlan
from bot.texts import escape
from services.shops import ShopService
from storage.models.shops import Member
from storage.protocols.store import Store

router = RouterPlan("staff")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())


def owners_only() -> str:
    return t("Only the shop owner can do this.")


@router.message(Command("invite"))
async def invite(message: Message, member: Member, shops: ShopService, bot: Bot) -> None:
    if not member.is_owner:
        await message.answer(owners_only())
        return
    token = await shops.create_invite(member)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={token}"
    await message.answer(
        t(
            "Forward this link to your cashier. It works once and expires in 24 hours:\n{link}",
            link=escape(link),
        )
    )


async def _staff_text(store: Store, member: Member) -> tuple[str, list[Member]]:
    members = await store.shops.list_members(member.shop_id)
    lines = [t("<b>{shop}</b> — members:", shop=escape(member.shop_name))]
    for m in members:
        role = t("owner") if m.is_owner else t("cashier")
        lines.append(f"• {escape(m.name or str(m.user_id))} — {role}")
    if not any(not m.is_owner for m in members):
        lines.append(t("No cashiers yet. Send /invite to get a link for one."))
    return "\n".join(lines), members


@router.message(Command("staff"))
@router.message(F.text.in_(menu_text("staff")))
async def staff(message: Message, member: Member, store: Store) -> None:
    if not member.is_owner:
        await message.answer(owners_only())
        return
    text, members = await _staff_text(store, member)
    await message.answer(text, reply_markup=staff_keyboard(members))


@router.callback_query(StaffAction.filter())
async def staff_action(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: StaffAction,
    member: Member,
    store: Store,
    bot: Bot,
) -> None:
    if not member.is_owner:
        await ack(owners_only())
        return
    target = next(
        (
            m
            for m in await store.shops.list_members(member.shop_id)
            if m.user_id == callback_data.user_id
        ),
        None,
    )
    if target is None or target.is_owner:
        await ack(t("This person is not a cashier of your shop."))
        return
    if callback_data.action == "remove":
        await safe_edit(
            callback.message,
            t("Remove {name} from the shop?", name=escape(target.name or str(target.user_id))),
            staff_confirm_keyboard(target.user_id),
        )
        return
    if callback_data.action == "remove_yes":
        await store.shops.remove_cashier(member.shop_id, target.user_id)
        language = await store.users.language(target.user_id) or DEFAULT_LOCALE
        await set_user_commands(bot, target.user_id, None, language)
    text, members = await _staff_text(store, member)
    await safe_edit(callback.message, text, staff_keyboard(members))
