"""/app: the Mini App's button in the chat ("Open the shop"), and the chat's menu button set
to open it, when PUBLIC_BASE_URL is https (Telegram opens Mini Apps over https only)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import AiogramError
from aiogram.filters import Command
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Message,
    WebAppInfo,
)

from bot.filters import IsMember
from bot.i18n import t
from bot.routers.plan import RouterPlan
from services.config import Settings

log = logging.getLogger(__name__)
router = RouterPlan("miniapp")
router.message.filter(IsMember())


def app_url(settings: Settings) -> str | None:
    base = settings.public_base_url
    if not base or not base.startswith("https://"):
        return None
    return base.rstrip("/") + "/app/"


@router.message(Command("app"))
async def open_app(message: Message, bot: Bot, settings: Settings) -> None:
    url = app_url(settings)
    if url is None:
        await message.answer(
            t(
                "The shop's screen opens over https only. Set PUBLIC_BASE_URL to the bot's "
                "public https address and restart the bot; until then everything is here in "
                "the chat."
            )
        )
        return
    label = t("Open the shop")
    await message.answer(
        t("The day, the receipts, reports and the catalogue on one screen:"),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=label, web_app=WebAppInfo(url=url))]]
        ),
    )
    try:  # the menu button beside the message field opens it too, from now on
        await bot.set_chat_menu_button(
            chat_id=message.chat.id,
            menu_button=MenuButtonWebApp(text=label, web_app=WebAppInfo(url=url)),
        )
    except AiogramError as exc:
        log.warning("Could not set the chat's menu button: %s", type(exc).__name__)
