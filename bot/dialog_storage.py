"""Where dialogs (aiogram's FSM state and data) live, and how one person's updates take turns.

Without REDIS_URL: the bot's store (SQLite or PostgreSQL), and a lock per person inside
this one process.
With REDIS_URL: Redis for both, so several replicas share every dialog and never handle two
updates of one person at once. Either way a restart keeps a half-filled dialog. Dialog data
holds no secret in plain text: a key or token that must wait between two steps is sealed by
ShopService.seal before it is stored.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable
from datetime import timedelta
from typing import cast
from urllib.parse import urlsplit

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import (
    AuthenticationError,
    AuthenticationWrongNumberOfArgsError,
    RedisError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.fsm_storage import StoreFsmStorage
from services.config import Settings
from storage.protocols.store import Store

# A dialog nobody touched for a week is dropped from Redis (each step restarts the clock).
DIALOG_TTL = timedelta(days=7)
REDIS_TIMEOUT = 5.0  # seconds for a connection or a command: an outage fails fast


class DialogStorageUnavailable(Exception):
    """The dialog storage cannot be reached; the message is one line for a person."""


def build_dialog_storage(
    settings: Settings, store: Store
) -> tuple[BaseStorage, BaseEventIsolation]:
    if settings.redis_url is None:
        return StoreFsmStorage(store.dialogs), SimpleEventIsolation()
    storage = RedisStorage.from_url(
        settings.redis_url,
        connection_kwargs={
            "socket_connect_timeout": REDIS_TIMEOUT,
            "socket_timeout": REDIS_TIMEOUT,
            "health_check_interval": 30,
            # one reconnect covers a connection Redis dropped while idle; a timeout is not
            # retried, since the command may have run
            "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 1, (RedisConnectionError,)),
        },
        # one Redis may serve several bots: keys carry the bot id (and the destiny)
        key_builder=DefaultKeyBuilder(with_bot_id=True, with_destiny=True),
        state_ttl=DIALOG_TTL,
        data_ttl=DIALOG_TTL,
    )
    return storage, storage.create_isolation()


async def check_dialog_storage(settings: Settings, storage: BaseStorage) -> None:
    """At start: a Redis that cannot be reached stops the bot with one clear line."""
    if not isinstance(storage, RedisStorage):
        return
    try:
        await cast(Awaitable[bool], storage.redis.ping())  # redis-py types both clients at once
    except (RedisError, OSError) as exc:
        where = redis_location(settings.redis_url or "")
        raise DialogStorageUnavailable(
            f"Cannot reach Redis at REDIS_URL ({where}): {_reason(exc)}. "
            "Start Redis, or correct or unset REDIS_URL."
        ) from None


def redis_location(url: str) -> str:
    """host:port or the socket path, never the password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    return f"{parts.hostname}:{parts.port or 6379}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, AuthenticationError | AuthenticationWrongNumberOfArgsError):
        return "the password was refused"
    if isinstance(exc, RedisTimeoutError | TimeoutError):
        return f"no answer within {REDIS_TIMEOUT:.0f} s"
    cause = exc.__cause__ or exc.__context__
    for candidate in (exc, cause):
        errno = getattr(candidate, "errno", None)
        if isinstance(errno, int) and errno > 0:
            return os.strerror(errno).lower()
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.rstrip(".")[:200]
