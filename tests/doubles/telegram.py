"""A local stand-in for the Telegram Bot API, good enough for aiogram's aiohttp session.

The bot talks to it over HTTP exactly as it would to api.telegram.org
(`POST {url}/bot{token}/{method}`, form or multipart fields, JSON-encoded objects such as
`reply_markup` as strings, files as parts referenced by `attach://<name>`). Tests drive it
as a person would: `send_text`, `press`, then `wait_for_message`.

What it checks like the real server does (so tests catch what production would):
- HTML `parse_mode`: unsupported or unbalanced tags and a bare `<` are refused with
  `400 can't parse entities`; `&` that is not an entity is kept as is (as Telegram does).
- texts over 4096 (captions over 1024) characters after parsing, empty texts;
- `callback_data` over 64 bytes (`BUTTON_DATA_INVALID`), inline buttons without an action;
- edits of unknown messages, edits that change nothing (`message is not modified`);
  `editMessageText` without `reply_markup` removes the inline keyboard, as on Telegram;
- answering a callback query twice or an unknown one (`query is too old ...`);
- a bot can't write first to a user who never wrote to it (403), blocked users (403);
- `getUpdates` while a webhook is set (409); `allowed_updates` filtering.

Webhook mode: `getWebhookInfo` tells what `setWebhook` set (url, allowed_updates), and after
`deliver_webhook(targets)` the queued updates are POSTed in order with the secret token, to
the targets in turn, as Telegram behind a round-robin load balancer would (a target that
fails or does not answer 200 is passed over and the update goes to the next).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.doubles.server import LocalServer

log = logging.getLogger(__name__)

BOT_ID = 123456
BOT_USERNAME = "invoice_test_bot"
BOT_FIRST_NAME = "Invoice Test Bot"

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

# Fields that are plain strings on the wire and must never be JSON-decoded.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "inline_message_id",
        "description",
        "short_description",
        "name",
        "language_code",
        "secret_token",
        "title",
        "emoji",
        "business_connection_id",
        "message_effect_id",
        "action",
        "ip_address",
    }
)
_FILE_FIELDS = ("photo", "document", "audio", "video", "animation", "voice", "sticker")

_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_ENTITY_MAP = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    429: "Too Many Requests: retry after 1",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class TelegramError(Exception):
    """Raised inside a handler to answer a Bot API error."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def error_body(
    status: int, description: str | None = None, parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": status,
        "description": description or _DEFAULT_DESCRIPTIONS.get(status, "Error"),
    }
    if parameters is None and status == 429:
        parameters = {"retry_after": 1}
    if parameters:
        body["parameters"] = parameters
    return body


def html_to_text(source: str) -> str:
    """Validate Telegram HTML as the server does and return the text a person sees."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            m = _ENTITY_RE.match(source, i)
            if m:
                name = m.group(1)
                if name.startswith("#x"):
                    out.append(chr(int(name[2:], 16)))
                elif name.startswith("#"):
                    out.append(chr(int(name[1:])))
                else:
                    out.append(_ENTITY_MAP[name])
                i = m.end()
                continue
            out.append(ch)
            i += 1
            continue
        if ch != "<":
            out.append(ch)
            i += 1
            continue
        offset = len(source[:i].encode())
        end = source.find(">", i)
        if end == -1:
            raise TelegramError(
                400,
                f"Bad Request: can't parse entities: Unclosed start tag at byte offset {offset}",
            )
        inner = source[i + 1 : end]
        if inner.startswith("/"):
            tag = inner[1:].strip().lower()
            if not stack:
                raise TelegramError(
                    400,
                    "Bad Request: can't parse entities: Unexpected end tag at byte offset "
                    f"{offset}",
                )
            if stack[-1] != tag:
                raise TelegramError(
                    400,
                    "Bad Request: can't parse entities: Unmatched end tag at byte offset "
                    f'{offset}, expected "</{stack[-1]}>", found "</{tag}>"',
                )
            stack.pop()
        else:
            m = re.match(r"[A-Za-z0-9-]*", inner)
            tag = (m.group(0) if m else "").lower()
            if tag not in _HTML_TAGS:
                raise TelegramError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}" at byte '
                    f"offset {offset}",
                )
            stack.append(tag)
        i = end + 1
    if stack:
        raise TelegramError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1]}"',
        )
    return "".join(out)


@dataclass(frozen=True)
class TgUser:
    """A Telegram user the tests act as."""

    id: int
    first_name: str
    language_code: str | None = "uk"
    last_name: str | None = None
    username: str | None = None

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    def chat_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


def user(
    id: int,
    first_name: str = "Test",
    language_code: str | None = "uk",
    *,
    last_name: str | None = None,
    username: str | None = None,
) -> TgUser:
    return TgUser(id, first_name, language_code, last_name, username)


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded (a multipart part)."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One request the bot made. Unpacks as `(method, params)`."""

    method: str
    params: dict[str, Any]
    status: int = 200
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.method, self.params))

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class BotMessage:
    """One version of a message the bot sent: a send or an edit produces a new snapshot."""

    chat_id: int
    message_id: int
    method: str  # sendMessage, sendPhoto, editMessageText, ...
    text: str  # what a person sees: text or caption, HTML tags stripped, entities resolved
    html: str  # the text or caption exactly as the bot sent it
    reply_markup: dict[str, Any] | None
    seq: int
    date: int
    photo: bytes | None = None  # the uploaded file (a photo or a document)
    kind: str = "text"  # text, photo, document, ...
    params: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_edit(self) -> bool:
        return self.method.startswith("edit")

    @property
    def inline_buttons(self) -> list[dict[str, Any]]:
        markup = self.reply_markup or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    @property
    def reply_buttons(self) -> list[dict[str, Any]]:
        markup = self.reply_markup or {}
        rows = markup.get("keyboard", [])
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]

    @property
    def buttons(self) -> list[str]:
        """Texts of the inline buttons, or of the reply keyboard if there is no inline one."""
        return [b["text"] for b in (self.inline_buttons or self.reply_buttons)]

    def button(self, text: str) -> dict[str, Any]:
        """The first inline button whose text contains `text` (AssertionError if none)."""
        for b in self.inline_buttons:
            if text in b.get("text", ""):
                return b
        raise AssertionError(
            f"no inline button containing {text!r} in message {self.message_id} "
            f"({self.text[:80]!r}); buttons: {[b.get('text') for b in self.inline_buttons]}"
        )

    @property
    def links(self) -> list[str]:
        """URLs a person can open: URL buttons, <a href>, and bare links in the text."""
        found = [str(b["url"]) for b in self.inline_buttons if "url" in b]
        found += re.findall(r'href="([^"]+)"', self.html)
        found += re.findall(r"(?:https?|tg)://[^\s<>\"']+", self.text)
        unique: list[str] = []
        for url in found:
            url = url.replace("&amp;", "&")
            if url not in unique:
                unique.append(url)
        return unique

    def has_button(self, text: str) -> bool:
        return any(text in b.get("text", "") for b in self.inline_buttons)

    def json(self, bot_user: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat,
            "from": bot_user,
        }
        if self.kind == "text":
            data["text"] = self.text
        else:
            if self.kind == "photo":
                size = len(self.photo or b"")
                data["photo"] = [
                    {
                        "file_id": f"photo-{self.chat_id}-{self.message_id}",
                        "file_unique_id": f"u{self.chat_id}m{self.message_id}",
                        "width": 512,
                        "height": 512,
                        "file_size": size,
                    }
                ]
            else:
                data[self.kind] = {
                    "file_id": f"{self.kind}-{self.chat_id}-{self.message_id}",
                    "file_unique_id": f"u{self.chat_id}m{self.message_id}",
                }
            if self.text:
                data["caption"] = self.text
        if self.is_edit:
            data["edit_date"] = int(time.time())
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass
class CallbackRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    answer: dict[str, Any] | None = None
    answered_event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


@dataclass
class _Chat:
    user: TgUser | None = None
    next_message_id: int = 1
    screen: dict[int, BotMessage] = field(default_factory=dict)  # message_id -> current
    events: list[BotMessage] = field(default_factory=list)
    cursor: int = 0
    user_messages: list[dict[str, Any]] = field(default_factory=list)
    reply_keyboard: dict[str, Any] | None = None
    started: bool = False
    deleted_user_messages: set[int] = field(default_factory=set)

    def take_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


class FakeTelegram(LocalServer[Call]):
    """The Bot API on 127.0.0.1. `await start()`, give the bot `.url`, `await stop()`."""

    def __init__(self, token: str | None = None, *, require_started: bool = True) -> None:
        super().__init__()
        self.token = token  # None: any token is accepted
        self.require_started = require_started
        self.down = False
        self.down_mode = "json"  # json: 502 JSON body; html: 502 nginx page; close: reset
        self.delay = 0.0  # seconds added to every answer (except getUpdates' own waiting)
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_allowed_updates: list[str] | None = None
        self.webhook_deliveries: list[tuple[str, int]] = []  # (target, update_id) answered 200
        self.allowed_updates: list[str] | None = None
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.timeout_info: Callable[[], str] | None = None  # e.g. the bot log's tail
        self.dropped_updates: list[dict[str, Any]] = []
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }
        self._chats: dict[int, _Chat] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(100_001)
        self._callback_ids = itertools.count(1)
        self._callbacks: dict[str, CallbackRecord] = {}
        self._failures: dict[
            str, list[tuple[int, Any, Callable[[dict[str, Any]], bool] | None]]
        ] = {}
        self._blocked: set[int] = set()
        self._seq = itertools.count(1)
        self._changed = asyncio.Event()
        self._closed = asyncio.Event()
        self._closing = False
        self._files: dict[str, bytes] = {}
        self._webhook_delivery: asyncio.Task[None] | None = None
        self.hanging = 0  # sends and edits held by hang_sends() now
        self._sends_released = asyncio.Event()
        self._sends_released.set()

    # lifecycle

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        return app

    async def stop(self) -> None:
        self._closing = True
        self._closed.set()
        self._notify()
        if self._webhook_delivery is not None:
            self._webhook_delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_delivery
        await super().stop()

    # users and driving

    def user(
        self,
        id: int,
        first_name: str = "Test",
        language_code: str | None = "uk",
        **kwargs: Any,
    ) -> TgUser:
        u = user(id, first_name, language_code, **kwargs)
        self._chat(u.id).user = u
        return u

    async def send_text(self, user: TgUser, text: str) -> dict[str, Any]:
        """The user sends `text` (a command gets its bot_command entity). Returns the Message."""
        msg = self._user_message(user, text=text)
        if text.startswith("/"):
            command = text.split()[0]
            msg["entities"] = [
                {
                    "type": "bot_command",
                    "offset": 0,
                    "length": len(command.encode("utf-16-le")) // 2,
                }
            ]
        self.enqueue({"message": msg})
        return msg

    async def send_document(
        self, user: TgUser, content: bytes, file_name: str, mime_type: str = "text/csv"
    ) -> dict[str, Any]:
        """The user sends a file; the bot reads it by getFile, then downloads it from
        /file/bot<token>/<file_path>, as from Telegram."""
        file_id = f"document-u{user.id}-{len(self._files)}"
        self._files[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        msg = self._user_message(user, document=document)
        self.enqueue({"message": msg})
        return msg

    async def _m_getfile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id", ""))
        if file_id not in self._files:
            raise TelegramError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self._files[file_id]),
            "file_path": f"documents/{file_id}",
        }

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if self.token is not None and request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        self.requests.append(Call("download", {"file_path": request.match_info["path"]}))
        if file_id not in self._files:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=self._files[file_id], content_type="application/octet-stream")

    async def send_contact(
        self, user: TgUser, phone_number: str, *, own: bool = True
    ) -> dict[str, Any]:
        """The user shares a contact (own=True: their own, as a request_contact button does)."""
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": user.first_name}
        if own:
            contact["user_id"] = user.id
        msg = self._user_message(user, contact=contact)
        self.enqueue({"message": msg})
        return msg

    async def press_reply(self, user: TgUser, button_text: str) -> dict[str, Any]:
        """Tap a button of the reply keyboard currently shown in the user's chat."""
        chat = self._chat(user.id)
        keyboard = chat.reply_keyboard
        buttons = [
            b if isinstance(b, dict) else {"text": b}
            for row in (keyboard or {}).get("keyboard", [])
            for b in row
        ]
        for b in buttons:
            if button_text in b["text"]:
                if keyboard and keyboard.get("one_time_keyboard"):
                    chat.reply_keyboard = None
                if b.get("request_contact"):
                    return await self.send_contact(user, f"380{user.id % 10**9:09d}")
                return await self.send_text(user, b["text"])
        raise AssertionError(
            f"no reply-keyboard button containing {button_text!r} in chat {user.id}; "
            f"buttons: {[b['text'] for b in buttons]}"
        )

    async def press(
        self, user: TgUser, message: BotMessage, button_text: str, *, latest: bool = True
    ) -> CallbackRecord:
        """Tap the inline button whose text contains `button_text` on `message`.

        latest=True uses the message as it is on screen now (as a person sees it); False
        uses the given snapshot (a stale keyboard). URL buttons can't be pressed here."""
        shown = message
        if latest:
            current = self._chat(message.chat_id).screen.get(message.message_id)
            if current is None:
                raise AssertionError(
                    f"message {message.message_id} in chat {message.chat_id} was deleted: "
                    "nothing to press"
                )
            shown = current
        button = shown.button(button_text)
        if "callback_data" not in button:
            raise AssertionError(f"button {button.get('text')!r} has no callback_data: {button}")
        return await self.press_data(user, shown, button["callback_data"])

    async def press_data(self, user: TgUser, message: BotMessage, data: str) -> CallbackRecord:
        """Send a callback_query with arbitrary (possibly forged) data on `message`."""
        chat = self._chat(message.chat_id)
        current = chat.screen.get(message.message_id, message)
        qid = f"{next(self._callback_ids)}{user.id}"
        record = CallbackRecord(qid, user.id, message.chat_id, message.message_id, data)
        self._callbacks[qid] = record
        chat_json = self._chat_json(message.chat_id)
        self.enqueue(
            {
                "callback_query": {
                    "id": qid,
                    "from": user.json(),
                    "message": current.json(self.bot_user, chat_json),
                    "chat_instance": f"ci{message.chat_id}",
                    "data": data,
                }
            }
        )
        self._chat(user.id).started = True
        return record

    def enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (update_id is added). Returns it."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._notify()
        return update

    async def wait_for_answer(self, query: CallbackRecord, timeout: float = 10) -> dict[str, Any]:
        """The answerCallbackQuery params for this press (text, show_alert...)."""
        try:
            await asyncio.wait_for(query.answered_event.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"callback query {query.id} ({query.data!r}) was not answered in {timeout} s"
                + self._extra_info()
            ) from None
        return query.answer or {}

    # reading what the bot did

    def calls(self, method: str | None = None) -> list[Call]:
        if method is None:
            return list(self.requests)
        low = method.lower()
        return [c for c in self.requests if c.method.lower() == low]

    async def wait_for_call(
        self,
        method: str,
        timeout: float = 10,
        predicate: Callable[[Call], bool] | None = None,
        *,
        ok: bool | None = True,
        after: int = 0,
    ) -> Call:
        """The first call of `method` (after index `after` in calls()) matching the filters.
        ok=True: answered 200; False: failed; None: either."""
        deadline = time.monotonic() + timeout
        low = method.lower()
        while True:
            for c in self.requests[after:]:
                if c.method.lower() != low:
                    continue
                if ok is not None and c.ok != ok:
                    continue
                if predicate is None or predicate(c):
                    return c
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no {'successful ' if ok else ''}{method} call within {timeout} s; "
                    f"calls so far: {[c.method for c in self.requests[-30:]]}" + self._extra_info()
                )
            await self._wait_change(remaining)

    def messages(self, chat_id: int) -> list[BotMessage]:
        """Every send and edit to the chat, in order (each a snapshot)."""
        return list(self._chat(chat_id).events)

    def screen(self, chat_id: int) -> list[BotMessage]:
        """What the chat shows now: the latest version of each bot message not deleted."""
        chat = self._chat(chat_id)
        return [chat.screen[k] for k in sorted(chat.screen)]

    def last_message(self, chat_id: int) -> BotMessage | None:
        """The bottom bot message on screen, in its current version."""
        shown = self.screen(chat_id)
        return shown[-1] if shown else None

    def current(self, message: BotMessage) -> BotMessage | None:
        """The current version of a message (None if deleted)."""
        return self._chat(message.chat_id).screen.get(message.message_id)

    def reply_keyboard(self, chat_id: int) -> list[str]:
        keyboard = self._chat(chat_id).reply_keyboard or {}
        return [
            b["text"] if isinstance(b, dict) else b
            for row in keyboard.get("keyboard", [])
            for b in row
        ]

    def mark(self, chat_id: int) -> int:
        """Skip everything sent to the chat so far; returns the position (for `since`)."""
        chat = self._chat(chat_id)
        chat.cursor = len(chat.events)
        return chat.cursor

    def position(self, chat_id: int) -> int:
        return len(self._chat(chat_id).events)

    async def wait_for_message(
        self,
        chat_id: int,
        match: str | Callable[[BotMessage], bool] | None = None,
        timeout: float = 10,
        *,
        since: int | None = None,
        new_only: bool = False,
    ) -> BotMessage:
        """The first bot message (send or edit) to the chat after the chat's cursor (or
        `since`) that matches: a substring of the visible text, a predicate, or anything.
        Moves the cursor past it, so successive calls read the chat in order."""
        chat = self._chat(chat_id)
        start = chat.cursor if since is None else since
        deadline = time.monotonic() + timeout
        while True:
            for idx in range(start, len(chat.events)):
                msg = chat.events[idx]
                if new_only and msg.is_edit:
                    continue
                if _matches(msg, match):
                    chat.cursor = idx + 1
                    return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [
                    f"#{m.message_id} {m.method}: {m.text[:100]!r} {m.buttons}"
                    for m in chat.events[start:]
                ]
                raise AssertionError(
                    f"no bot message matching {_describe(match)} in chat {chat_id} within "
                    f"{timeout} s. Messages since the cursor: {seen or 'none'}"
                    + self._extra_info(chat_id)
                )
            await self._wait_change(remaining)

    async def assert_no_message(
        self,
        chat_id: int,
        match: str | Callable[[BotMessage], bool] | None = None,
        within: float = 1.5,
    ) -> None:
        """Fail if a matching bot message arrives (after the cursor) within `within` s."""
        chat = self._chat(chat_id)
        start = chat.cursor
        await asyncio.sleep(within)
        bad = [m for m in chat.events[start:] if _matches(m, match)]
        if bad:
            raise AssertionError(
                f"unexpected bot message(s) in chat {chat_id}: "
                f"{[(m.method, m.text[:100]) for m in bad]}"
            )

    def callback(self, query_id: str) -> CallbackRecord:
        return self._callbacks[query_id]

    def user_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """What the user sent to the chat (Message dicts), deleted ones included."""
        return list(self._chat(chat_id).user_messages)

    def is_user_message_deleted(self, chat_id: int, message_id: int) -> bool:
        """True when the bot deleted this message of the user (e.g. one with a secret)."""
        return message_id in self._chat(chat_id).deleted_user_messages

    # failure injection

    def fail_next(
        self,
        method: str,
        status: int = 429,
        body: Any = None,
        *,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """The next `times` calls of `method` (whose params `when` accepts, if given) get
        `status` and `body` (default: Telegram's error JSON for the status; 429 carries
        retry_after 1). A str body is sent as is."""
        queue = self._failures.setdefault(method.lower(), [])
        queue.extend([(status, body, when)] * times)

    def rate_limit_next(
        self,
        method: str,
        retry_after: int,
        *,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """The next `times` matching calls answer 429 Too Many Requests with `retry_after`."""
        body = error_body(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )
        self.fail_next(method, 429, body, times=times, when=when)

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: requests to this chat get 403."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    # internals

    def _take_failure(self, method: str, params: dict[str, Any]) -> tuple[int, Any] | None:
        queue = self._failures.get(method, [])
        for index, (status, body, when) in enumerate(queue):
            if when is None or when(params):
                del queue[index]
                return status, body
        return None

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
        return chat

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        chat = self._chat(chat_id)
        if chat.user is not None:
            return chat.user.chat_json()
        return {"id": chat_id, "type": "private"}

    def _user_message(self, user: TgUser, **content: Any) -> dict[str, Any]:
        chat = self._chat(user.id)
        if chat.user is None:
            chat.user = user
        chat.started = True
        msg = {
            "message_id": chat.take_id(),
            "from": user.json(),
            "chat": user.chat_json(),
            "date": int(time.time()),
            **content,
        }
        chat.user_messages.append(msg)
        return msg

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), min(timeout, 0.5))

    def _extra_info(self, chat_id: int | None = None) -> str:
        parts = []
        if self.dropped_updates:
            parts.append(
                f"\nUpdates dropped by allowed_updates={self.allowed_updates}: "
                f"{[list(u)[1] for u in self.dropped_updates]}"
            )
        failed = [
            f"{c.method} -> {c.status} {c.response}"
            for c in self.requests
            if not c.ok and (chat_id is None or _chat_of(c.params) == chat_id)
        ]
        if failed:
            parts.append(f"\nFailed Bot API calls: {failed[-10:]}")
        if self.timeout_info is not None:
            with contextlib.suppress(Exception):
                parts.append("\n" + self.timeout_info())
        return "".join(parts)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {}
        uploads: dict[str, Upload] = {}
        for key, value in request.query.items():
            params[key] = value
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
            return params
        if request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(
                        value.filename or key, value.content_type, value.file.read()
                    )
                else:
                    params[key] = value
        for key, value in list(params.items()):
            if not isinstance(value, str):
                continue
            if value.startswith("attach://") and value[9:] in uploads:
                params[key] = uploads.pop(value[9:])
            elif key not in _STRING_FIELDS:
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
        params.update(uploads)  # a file sent directly as the field itself
        return params

    def hang_sends(self) -> None:
        """Sends and edits wait before they reach "Telegram" until release_sends(); one whose
        caller went away meanwhile (timed out, killed) is dropped unprocessed, as if it had
        never been sent."""
        self._sends_released.clear()

    def release_sends(self) -> None:
        self._sends_released.set()

    def delays(self, request: web.Request) -> bool:
        return request.match_info.get("method", "").lower() != "getupdates"  # a long poll

    def describe(self, request: web.Request, record: Any) -> str:
        method = request.match_info.get("method", request.path)
        chat = _chat_of(record.params) if isinstance(record, Call) else None
        if chat is None and isinstance(record, Call) and method.lower() == "answercallbackquery":
            query = self._callbacks.get(str(record.params.get("callback_query_id")))
            chat = None if query is None else query.chat_id
        return method if chat is None else f"{method} chat={chat}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        low = method.lower()
        if low.startswith(("send", "edit")) and not self._sends_released.is_set():
            self.hanging += 1
            self._notify()
            try:
                await self._sends_released.wait()
            finally:
                self.hanging -= 1
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499, text="the caller went away")
        if self.down:
            request["record"] = Call(method, {}, 502, "down")
            self.requests.append(request["record"])
            self._notify()
            return await self._down_answer(request)
        try:
            params = await self._read_params(request)
        except Exception as exc:  # a request the real server would also refuse
            return web.json_response(error_body(400, f"Bad Request: {exc}"), status=400)
        call = Call(method, params)
        request["record"] = call
        self.requests.append(call)
        try:
            if self.token is not None and request.match_info["token"] != self.token:
                raise TelegramError(401, "Unauthorized")
            if self.delay and low != "getupdates":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), self.delay)
            injected = self._take_failure(low, params)
            if injected is not None:
                status, body = injected
                call.status = status
                if body is None:
                    body = error_body(status)
                call.response = body
                if isinstance(body, str):
                    return web.Response(status=status, text=body, content_type="text/html")
                return web.json_response(body, status=status)
            chat_id = _chat_of(params)
            if chat_id is not None and chat_id in self._blocked:
                raise TelegramError(403, "Forbidden: bot was blocked by the user")
            handler = getattr(self, f"_m_{low}", None)
            if handler is None:
                if low.startswith("send") and chat_id is not None:
                    result = self._send(method, params, kind=low[4:])
                else:
                    result = True
            else:
                result = await handler(params)
        except TelegramError as exc:
            call.status = exc.status
            call.response = exc.description
            self._notify()
            return web.json_response(
                error_body(exc.status, exc.description, exc.parameters), status=exc.status
            )
        call.response = result
        self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _down_answer(self, request: web.Request) -> web.StreamResponse:
        if self.down_mode == "close":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=502)
        if self.down_mode == "html":
            return web.Response(
                status=502,
                text="<html><head><title>502 Bad Gateway</title></head><body>"
                "<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
                "</body></html>",
                content_type="text/html",
            )
        return web.json_response(error_body(502, "Bad Gateway"), status=502)

    # Bot API methods

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook_url:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = float(params.get("timeout") or 0)
        if "allowed_updates" in params and isinstance(params["allowed_updates"], list):
            self.allowed_updates = params["allowed_updates"] or None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        deadline = time.monotonic() + timeout
        while True:
            ready = self._deliverable()
            if ready or self._closing or self.down:
                return ready[:limit]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _deliverable(self) -> list[dict[str, Any]]:
        if self.allowed_updates:
            keep = []
            for u in self._updates:
                kind = next(k for k in u if k != "update_id")
                if kind in self.allowed_updates:
                    keep.append(u)
                else:
                    log.warning("fake Telegram drops a %s update (allowed_updates)", kind)
                    self.dropped_updates.append(u)
            self._updates = keep
        return list(self._updates)

    def deliver_webhook(self, targets: list[str]) -> None:
        """From now on POST queued updates, while a webhook is set, to `targets` (full
        URLs, e.g. each replica's webhook path) in turn, instead of serving getUpdates."""
        assert self._webhook_delivery is None, "already delivering"
        self._webhook_delivery = asyncio.create_task(self._deliver(list(targets)))

    async def _deliver(self, targets: list[str]) -> None:
        turn = itertools.count()
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while not self._closing:
                queued = self._webhook_deliverable() if self.webhook_url else []
                if not queued:
                    await self._wait_change(1)
                    continue
                update = queued[0]
                target = targets[next(turn) % len(targets)]
                headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret}
                try:
                    async with http.post(target, json=update, headers=headers) as resp:
                        delivered = resp.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    delivered = False
                if delivered:
                    self.webhook_deliveries.append((target, update["update_id"]))
                    self._updates.remove(update)
                    self._notify()
                else:
                    await asyncio.sleep(0.05)  # the next target's turn

    def _webhook_deliverable(self) -> list[dict[str, Any]]:
        if not self.webhook_allowed_updates:
            return list(self._updates)
        return [
            u
            for u in self._updates
            if next(k for k in u if k != "update_id") in self.webhook_allowed_updates
        ]

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = ""
        self.webhook_allowed_updates = None
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = str(params.get("url") or "")
        self.webhook_secret = str(params.get("secret_token") or "")
        allowed = params.get("allowed_updates")
        self.webhook_allowed_updates = list(allowed) if isinstance(allowed, list) else None
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates) if self.webhook_url else 0,
        }
        if self.webhook_url and self.webhook_allowed_updates:
            info["allowed_updates"] = self.webhook_allowed_updates
        return info

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise TelegramError(400, "Bad Request: commands not found")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
                raise TelegramError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise TelegramError(400, "Bad Request: command description is invalid")
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        key = (scope, str(params.get("language_code") or ""))
        self.commands[key] = commands
        return True

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]] | None:
        """The command menu set for a scope (default: {"type": "default"}) and language."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return self.commands.get(key)

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        return self._send("sendMessage", params, kind="text")

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        return self._send("sendPhoto", params, kind="photo")

    async def _m_senddocument(self, params: dict[str, Any]) -> Any:
        return self._send("sendDocument", params, kind="document")

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        self._target_chat(params)
        return True

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        chat, old = self._edit_target(params)
        if old.kind != "text":
            raise TelegramError(400, "Bad Request: there is no text in the message to edit")
        html, text = self._text_of(params, "text", MAX_TEXT)
        markup = self._markup(params)
        if html == old.html and markup == old.reply_markup:
            raise TelegramError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        return self._store_edit(chat, old, "editMessageText", params, html, text, markup)

    async def _m_editmessagecaption(self, params: dict[str, Any]) -> Any:
        chat, old = self._edit_target(params)
        if old.kind == "text":
            raise TelegramError(400, "Bad Request: there is no caption in the message to edit")
        html, text = self._text_of(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        if html == old.html and markup == old.reply_markup:
            raise TelegramError(400, "Bad Request: message is not modified")
        return self._store_edit(chat, old, "editMessageCaption", params, html, text, markup)

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        chat, old = self._edit_target(params)
        markup = self._markup(params)
        if markup == old.reply_markup:
            raise TelegramError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        return self._store_edit(
            chat, old, "editMessageReplyMarkup", params, old.html, old.text, markup
        )

    async def _m_deletemessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(self._target_chat(params))
        mid = _int(params.get("message_id"))
        if mid in chat.screen:
            del chat.screen[mid]
            return True
        for msg in chat.user_messages:  # a bot may delete users' messages in private chats
            if msg["message_id"] == mid and mid not in chat.deleted_user_messages:
                chat.deleted_user_messages.add(mid)
                return True
        raise TelegramError(400, "Bad Request: message to delete not found")

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        qid = str(params.get("callback_query_id") or "")
        record = self._callbacks.get(qid)
        if record is None or record.answered:
            raise TelegramError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise TelegramError(400, "Bad Request: MESSAGE_TOO_LONG")
        record.answered = True
        record.answer = params
        record.answered_event.set()
        return True

    # message helpers

    def _target_chat(self, params: dict[str, Any]) -> int:
        chat_id = _chat_of(params)
        if chat_id is None:
            raise TelegramError(400, "Bad Request: chat not found")
        chat = self._chats.get(chat_id)
        if self.require_started and (chat is None or not chat.started):
            raise TelegramError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat_id

    def _text_of(
        self, params: dict[str, Any], key: str, limit: int, *, required: bool = True
    ) -> tuple[str, str]:
        raw = params.get(key)
        html = "" if raw is None else str(raw)
        if (params.get("parse_mode") or "").upper() == "HTML":
            text = html_to_text(html)
        else:
            text = html
        if required and not text.strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > limit:
            what = "message caption is too long" if key == "caption" else "message is too long"
            raise TelegramError(400, f"Bad Request: {what}")
        return html, text

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise TelegramError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is not None:
            for row in rows:
                for b in row:
                    if not str(b.get("text", "")):
                        raise TelegramError(400, "Bad Request: text buttons are unallowed")
                    actions = [
                        k
                        for k in (
                            "callback_data",
                            "url",
                            "web_app",
                            "login_url",
                            "switch_inline_query",
                            "switch_inline_query_current_chat",
                            "copy_text",
                            "pay",
                        )
                        if k in b
                    ]
                    if len(actions) != 1:
                        raise TelegramError(
                            400, "Bad Request: text buttons are unallowed in the inline keyboard"
                        )
                    data = b.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                        raise TelegramError(400, "Bad Request: BUTTON_DATA_INVALID")
                    url = b.get("url")
                    if url is not None and not re.match(r"(https?|tg)://", str(url)):
                        raise TelegramError(
                            400, f"Bad Request: inline keyboard button URL '{url}' is invalid"
                        )
        return markup

    def _send(self, method: str, params: dict[str, Any], *, kind: str) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        chat = self._chat(chat_id)
        photo: bytes | None = None
        if kind == "text":
            html, text = self._text_of(params, "text", MAX_TEXT)
        else:
            html, text = self._text_of(params, "caption", MAX_CAPTION, required=False)
            media = params.get(kind)
            if isinstance(media, Upload):
                photo = media.data
            elif isinstance(media, str) and media in self._files:
                photo = self._files[media]
            elif not media:
                raise TelegramError(400, f"Bad Request: there is no {kind} in the request")
        markup = self._markup(params)
        if markup is not None and ("keyboard" in markup or markup.get("remove_keyboard")):
            chat.reply_keyboard = markup if "keyboard" in markup else None
        msg = BotMessage(
            chat_id=chat_id,
            message_id=chat.take_id(),
            method=method,
            text=text,
            html=html,
            reply_markup=markup,
            seq=next(self._seq),
            date=int(time.time()),
            photo=photo,
            kind=kind,
            params=params,
        )
        if photo is not None:
            self._files[f"{kind}-{chat_id}-{msg.message_id}"] = photo
        chat.screen[msg.message_id] = msg
        chat.events.append(msg)
        return msg.json(self.bot_user, self._chat_json(chat_id))

    def _edit_target(self, params: dict[str, Any]) -> tuple[_Chat, BotMessage]:
        if params.get("inline_message_id"):
            raise TelegramError(400, "Bad Request: inline messages are not supported by the fake")
        chat_id = self._target_chat(params)
        chat = self._chat(chat_id)
        old = chat.screen.get(_int(params.get("message_id")))
        if old is None:
            raise TelegramError(400, "Bad Request: message to edit not found")
        return chat, old

    def _store_edit(
        self,
        chat: _Chat,
        old: BotMessage,
        method: str,
        params: dict[str, Any],
        html: str,
        text: str,
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        if markup is not None and "inline_keyboard" not in markup:
            raise TelegramError(400, "Bad Request: inline keyboard expected")
        msg = BotMessage(
            chat_id=old.chat_id,
            message_id=old.message_id,
            method=method,
            text=text,
            html=html,
            reply_markup=markup,
            seq=next(self._seq),
            date=old.date,
            photo=old.photo,
            kind=old.kind,
            params=params,
        )
        chat.screen[msg.message_id] = msg
        chat.events.append(msg)
        return msg.json(self.bot_user, self._chat_json(old.chat_id))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TelegramError(400, f"Bad Request: invalid integer {value!r}") from None


def _chat_of(params: dict[str, Any]) -> int | None:
    value = params.get("chat_id")
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _matches(msg: BotMessage, match: str | Callable[[BotMessage], bool] | None) -> bool:
    if match is None:
        return True
    if isinstance(match, str):
        return match in msg.text or match in msg.html
    return bool(match(msg))


def _describe(match: str | Callable[[BotMessage], bool] | None) -> str:
    if match is None:
        return "anything"
    if isinstance(match, str):
        return repr(match)
    return getattr(match, "__name__", "predicate")
