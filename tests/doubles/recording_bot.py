"""A Bot whose session records every request and answers like Telegram would
(after aiogram's own tests/mocked_bot.py), for handler tests through feed_update and for
senders that call the Bot directly. Per chat, answers can be queued (`queue`): Telegram's
errors as it sends them, or a network error. With a `delay`, every call takes that long, and
`spans` tells when each started and finished (which calls overlapped)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict, deque
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import (
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
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
    Document,
    File,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
    User,
)


def _inline(markup: Any) -> InlineKeyboardMarkup | None:
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


Outcome = Callable[[TelegramMethod[Any]], Any]
"""Given the request: Telegram's JSON answer (a dict), None for the usual success, or raises."""


BOT_USER = User(id=42, is_bot=True, first_name="Invoice", username="invoice_test_bot")


@dataclass(frozen=True)
class Span:
    """One call: its request, and when (event-loop time) it started and was answered."""

    method: TelegramMethod[Any]
    started: float
    finished: float


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1000)
        # what was uploaded, read when it was sent (a temporary file is gone afterwards)
        self.uploads: list[tuple[str, str | None, bytes]] = []  # (method, file name, bytes)
        self.outcomes: dict[int, deque[Outcome]] = defaultdict(deque)
        self.arrived = asyncio.Event()  # set on every request
        self.files: dict[str, bytes] = {}  # file_id -> content, for getFile and downloads
        self.delay = 0.0  # seconds each call takes, as a round trip to Telegram would
        self.spans: list[Span] = []

    def queue(self, chat_id: int, *outcomes: Outcome) -> None:
        """The next requests to `chat_id` are answered by `outcomes`, one each."""
        self.outcomes[chat_id].extend(outcomes)

    async def close(self) -> None:
        pass

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.requests.append(method)
        self.arrived.set()
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self._answer(bot, method)
        finally:
            self.spans.append(Span(method, started, loop.time()))

    def span(self, kind: type[TelegramMethod[Any]], text: str = "") -> Span:
        """The first call of this kind (with `text` in its text or caption, if given)."""
        for span in self.spans:
            said = getattr(span.method, "text", None) or getattr(span.method, "caption", "")
            if isinstance(span.method, kind) and text in str(said or ""):
                return span
        raise AssertionError(f"no {kind.__name__} {text!r} among {len(self.spans)} calls")

    async def _answer(self, bot: Bot, method: TelegramMethod[TelegramType]) -> TelegramType:
        queued = self.outcomes[int(getattr(method, "chat_id", 0) or 0)]
        reply = queued.popleft()(method) if queued else None
        if reply is not None:
            status = 200 if reply.get("ok") else int(reply["error_code"])
            response = self.check_response(bot, method, status, json.dumps(reply))
            return response.result  # type: ignore[return-value]
        for value in (getattr(method, "photo", None), getattr(method, "document", None)):
            if isinstance(value, InputFile):
                data = b"".join([chunk async for chunk in value.read(bot)])
                self.uploads.append((type(method).__name__, value.filename, data))
        result: Any = True
        if isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, GetFile):
            content = self.files[method.file_id]
            return File(  # type: ignore[return-value]
                file_id=method.file_id,
                file_unique_id=method.file_id,
                file_size=len(content),
                file_path=f"documents/{method.file_id}",
            )
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
        file_id = url.rsplit("/", 1)[-1]
        yield self.files.get(file_id, b"")

    def sent(self, kind: type[TelegramMethod[Any]] | None = None) -> list[Any]:
        return [r for r in self.requests if kind is None or isinstance(r, kind)]

    def chat_texts(self) -> list[tuple[int, str]]:
        """(chat, text) of every send_message, successful or not."""
        return [(int(m.chat_id), m.text) for m in self.requests if isinstance(m, SendMessage)]

    def texts(self, chat_id: int | None = None) -> list[str]:
        out = []
        for r in self.requests:
            text = getattr(r, "text", None) or getattr(r, "caption", None)
            if text and (chat_id is None or getattr(r, "chat_id", None) == chat_id):
                out.append(str(text))
        return out


def telegram_error(code: int, description: str, **parameters: Any) -> Outcome:
    """An error reply as Telegram sends it; aiogram's own check_response turns it into the
    matching exception (429 -> TelegramRetryAfter, 403 -> TelegramForbiddenError, ...)."""

    def reply(_method: TelegramMethod[Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return body

    return reply


def accepted(_method: TelegramMethod[Any]) -> None:
    """Queue filler: Telegram accepts this request (the session's default answer)."""
    return None


def network_error(method: TelegramMethod[Any]) -> Any:
    raise TelegramNetworkError(method=method, message="Request timeout error")


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


def document_update(
    session: RecordingSession, user: User, content: bytes, file_name: str = "goods.csv"
) -> Update:
    """A document `user` sends; its content is what getFile and the download then give."""
    file_id = f"file{next(_message_ids)}"
    session.files[file_id] = content
    message = Message(
        message_id=next(_message_ids),
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        document=Document(
            file_id=file_id, file_unique_id=file_id, file_name=file_name, file_size=len(content)
        ),
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
