"""What every Mini App API call has: the services, the bot token to check initData with,
the rate limit; and the caller (a shop member and the reader's language)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiohttp import web

from bot.i18n import locale_for, setup_i18n, t
from bot.miniapp.auth import MAX_AGE, RateLimit, verify_init_data
from bot.wiring import Services
from services.core.clock import Clock, utcnow
from storage.models.shops import Member

AUTH_SCHEME = "tma "
MAX_BODY = 16 * 1024


@dataclass
class MiniAppDeps:
    services: Services
    bot_token: str
    max_age: timedelta = MAX_AGE
    limit: RateLimit = field(default_factory=RateLimit)
    clock: Clock = utcnow
    bot: Bot | None = None  # sends the Reports screen's export to the chat


DEPS_KEY = web.AppKey("miniapp", MiniAppDeps)


@dataclass(frozen=True)
class Caller:
    member: Member
    locale: str


class ApiError(Exception):
    """An answer other than 200, with a text in the reader's language (or none)."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.message = message


Handler = Callable[[web.Request, Caller], Awaitable[Any]]

_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """A text written for Telegram's HTML, as plain text for the page (shown with
    textContent: the page never parses it)."""
    return html.unescape(_TAG.sub("", text))


def deps(request: web.Request) -> MiniAppDeps:
    return request.app[DEPS_KEY]


async def authenticate(request: web.Request) -> Caller:
    """The caller from `Authorization: tma <initData>`; 401 (no detail) for anything not
    signed by this bot recently, 403 for a Telegram user who is in no shop, 429 past the
    rate limit."""
    d = deps(request)
    header = request.headers.get("Authorization", "")
    if not header.startswith(AUTH_SCHEME):
        raise ApiError(401)
    user = verify_init_data(d.bot_token, header[len(AUTH_SCHEME) :], d.clock(), d.max_age)
    if user is None:
        raise ApiError(401)
    locale = locale_for(user.language_code)
    if not d.limit.allow(user.id):
        raise ApiError(429, t("Too many requests. Wait a few seconds.", locale))
    member = await d.services.store.shops.get_member(user.id)
    if member is None:
        raise ApiError(403, t("You are not a member of any shop.", locale))
    return Caller(member, locale)


def api(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An API route: authenticated, answered as JSON in the reader's language; an error is
    {"error": text} with its status, an unexpected one a 500 with no detail."""

    async def route(request: web.Request) -> web.StreamResponse:
        try:
            caller = await authenticate(request)
            with setup_i18n().use_locale(caller.locale):
                body = await handler(request, caller)
        except ApiError as exc:
            return web.json_response({"error": exc.message or ""}, status=exc.status)
        return web.json_response(body)

    return route


async def json_body(request: web.Request, locale: str, limit: int = MAX_BODY) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, t("The request is too large.", locale))
    raw = bytearray()  # read() gives what has arrived so far, not the whole body
    async for chunk in request.content.iter_chunked(64 * 1024):
        raw += chunk
        if len(raw) > limit:
            raise ApiError(413, t("The request is too large.", locale))
    try:
        body = json.loads(bytes(raw) or b"{}")
    except ValueError:
        raise ApiError(400, t("The request is not valid JSON.", locale)) from None
    if not isinstance(body, dict):
        raise ApiError(400, t("The request is not valid JSON.", locale))
    return body
