"""Small pieces the feature routers share."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from types import TracebackType
from typing import Any

from aiogram import F
from aiogram.exceptions import AiogramError, TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import LANGUAGES, t
from bot.ui.keyboards import menu_labels
from services.core.names import clean_name
from services.liqpay.client import LiqPayRefused, LiqPayUnavailable

log = logging.getLogger(__name__)


def menu_text(key: str) -> set[str]:
    """A main-menu button's label in every language, for matching what was tapped."""
    return {menu_labels(locale)[key] for locale in LANGUAGES}


ALL_MENU_LABELS = {label for locale in LANGUAGES for label in menu_labels(locale).values()}
# What a dialog step takes as its answer: not a command and not a main-menu button, which
# fall through to their own handlers (and leave the dialog).
DIALOG_INPUT = ~F.text.startswith("/") & ~F.text.in_(ALL_MENU_LABELS)
DIALOG_TEXT = F.text & DIALOG_INPUT


async def safe_edit(
    message: Message | Any, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit a message, ignoring "message is not modified"."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:
            raise


async def quietly(action: Awaitable[Any]) -> None:
    """A cosmetic change (a progress note, removing spent buttons): its failure must not stop
    the work it decorates."""
    try:
        await action
    except AiogramError as exc:
        log.warning("Cosmetic Telegram call failed: %s", type(exc).__name__)


class Alongside:
    """Cosmetic calls (answering the button, a progress note, taking spent buttons off) started
    at once, to run while the work they decorate goes on instead of before it; the cashier
    waits for the work, not for them. Await one (`await alongside.start(...)`'s task) before
    anything that must come after it, such as a later edit of the same message: it costs
    nothing when it finished meanwhile. Leaving the block waits for all of them."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, action: Awaitable[Any]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(quietly(action))
        self._tasks.append(task)
        return task

    async def __aenter__(self) -> Alongside:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # when the work failed, its exception is the one to tell, not theirs
        await asyncio.gather(*self._tasks, return_exceptions=exc is not None)


async def report(
    chat: Message,
    text: str,
    edit: Message | None = None,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Tell the outcome of work that is done (keys checked, an invoice made or cancelled):
    in `edit` if given, else (or if that fails) as a new message in `chat`'s chat. A Telegram
    failure is logged, never reported as a failure of the work, which happened."""
    if edit is not None:
        try:
            await safe_edit(edit, text, markup)
            return
        except AiogramError as exc:
            log.warning("Could not edit the outcome in (%s); sending it", type(exc).__name__)
    await quietly(chat.answer(text, reply_markup=markup))


def liqpay_problem(exc: Exception) -> str:
    """What the person is told when LiqPay said no or did not answer."""
    if isinstance(exc, LiqPayUnavailable):
        return t("LiqPay is not answering right now. Nothing changed; try again in a minute.")
    if isinstance(exc, LiqPayRefused):
        return t(
            "LiqPay refused: {code}. Nothing changed.",
            code=exc.err_code,
        )
    return t("Something went wrong. Nothing changed; try again.")


def display_name(message: Message | CallbackQuery) -> str:
    user = message.from_user
    if user is None:
        return ""
    return clean_name(user.full_name)[:64]
