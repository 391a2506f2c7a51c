"""The command menu (set_my_commands), matched to each user's role."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import AiogramError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.i18n import N_, t
from storage.models.shops import Member

log = logging.getLogger(__name__)

STRANGER = (("start", N_("Start")), ("help", N_("What this bot does")), ("lang", N_("Language")))
CASHIER = (
    ("new", N_("New invoice")),
    ("pending", N_("Awaiting payment")),
    ("report", N_("Takings for a period, with a chart")),
    ("export", N_("Receipts file for the accountant")),
    ("catalogue", N_("Goods and services")),
    ("cancel", N_("Leave the current dialog")),
    ("help", N_("Help")),
    ("lang", N_("Language")),
)
OWNER = (
    *CASHIER[:5],
    ("settings", N_("LiqPay keys and invoice rules")),
    ("invite", N_("Invite a cashier")),
    ("staff", N_("Shop members")),
    ("reconcile", N_("Check LiqPay's payments against the receipts")),
    *CASHIER[5:],
)


def commands_for(member: Member | None, locale: str) -> list[BotCommand]:
    spec = STRANGER if member is None else OWNER if member.is_owner else CASHIER
    return [BotCommand(command=name, description=t(text, locale)) for name, text in spec]


async def set_default_commands(bot: Bot) -> bool:
    try:
        await bot.set_my_commands(commands_for(None, "uk"), scope=BotCommandScopeDefault())
        await bot.set_my_commands(
            commands_for(None, "en"), scope=BotCommandScopeDefault(), language_code="en"
        )
    except AiogramError as exc:
        log.warning("Could not set the default command menu: %s", type(exc).__name__)
        return False
    return True


async def set_user_commands(bot: Bot, user_id: int, member: Member | None, locale: str) -> None:
    try:
        await bot.set_my_commands(
            commands_for(member, locale), scope=BotCommandScopeChat(chat_id=user_id)
        )
    except AiogramError as exc:
        log.warning("Could not set the command menu for a user: %s", type(exc).__name__)
