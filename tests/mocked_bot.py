"""A Bot whose session records every request and answers like Telegram would
(after aiogram's own tests/mocked_bot.py), for handler tests through feed_update."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import (
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
    User,
)


def _inline(markup: Any) -> InlineKeyboardMarkup | None:
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


BOT_USER = User(id=42, is_bot=True, first_name="Invoice", username="invoice_test_bot")


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1000)
        # what was uploaded, read when it was sent (a temporary file is gone afterwards)
        self.uploads: list[tuple[str, str | None, bytes]] = []  # (method, file name, bytes)

    async def close(self) -> None:
        pass

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.requests.append(method)
        for value in (getattr(method, "photo", None), getattr(method, "document", None)):
            if isinstance(value, InputFile):
                data = b"".join([chunk async for chunk in value.read(bot)])
                self.uploads.append((type(method).__name__, value.filename, data))
        result: Any = True
        if isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, (SendMessage, SendPhoto, SendDocument)):
            result = Message(
                message_id=next(self._ids),
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id), type="private"),
                from_user=BOT_USER,
                text=getattr(method, "text", None),
                caption=getattr(method, "caption", None),
                reply_markup=_inline(method.reply_markup),
            )
        elif isinstance(method, EditMessageText):
            result = Message(
                message_id=int(method.message_id or 0),
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id or 0), type="private"),
                from_user=BOT_USER,
                text=method.text,
                reply_markup=_inline(method.reply_markup),
            )
        elif isinstance(method, (EditMessageReplyMarkup, DeleteMessage)):
            result = True
        if isinstance(result, bool):
            return result  # type: ignore[return-value]
        return result.as_(bot)  # type: ignore[no-any-return]

    async def stream_content(
        self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
        chunk_size: int = 65536, raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # fmt: skip
        yield b""

    def sent(self, kind: type[TelegramMethod[Any]] | None = None) -> list[Any]:
        return [r for r in self.requests if kind is None or isinstance(r, kind)]

    def texts(self, chat_id: int | None = None) -> list[str]:
        out = []
        for r in self.requests:
            text = getattr(r, "text", None) or getattr(r, "caption", None)
            if text and (chat_id is None or getattr(r, "chat_id", None) == chat_id):
                out.append(str(text))
        return out


def make_bot() -> tuple[Bot, RecordingSession]:
    session = RecordingSession()
    bot = Bot(
        "42:TEST-token-abcdefghijklmnopqrstu",
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    return bot, session


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def person(user_id: int, language: str = "uk", name: str = "Person") -> User:
    return User(id=user_id, is_bot=False, first_name=name, language_code=language)


def text_update(user: User, text: str) -> Update:
    message = Message(
        message_id=next(_message_ids),
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        text=text,
    )
    return Update(update_id=next(_update_ids), message=message)


def callback_update(user: User, data: str, message: Message | None = None) -> Update:
    source = message or Message(
        message_id=next(_message_ids),
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=BOT_USER,
        text="…",
    )
    query = CallbackQuery(
        id=str(next(_update_ids)), from_user=user, chat_instance="ci", data=data, message=source
    )
    return Update(update_id=next(_update_ids), callback_query=query)
