"""Who is calling the Mini App's API: Telegram's signed initData, checked with the bot token
(the same algorithm as aiogram's, constant-time) and not older than MAX_AGE; and a small
per-user rate limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram.utils.web_app import WebAppUser, safe_parse_webapp_init_data

MAX_AGE = timedelta(hours=24)  # Telegram signs initData when the app is opened
MAX_INIT_DATA = 4096  # bytes: Telegram's are well under 1 KiB
FUTURE_SKEW = timedelta(minutes=5)  # a clock a little ahead of ours is not a forgery


def verify_init_data(
    token: str, init_data: str, now: datetime, max_age: timedelta = MAX_AGE
) -> WebAppUser | None:
    """The Telegram user the initData was signed for, or None when it is not signed with
    `token` (tampered, another bot's), too old, from the future, or has no user."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        return None
    try:
        data = safe_parse_webapp_init_data(token, init_data)  # hmac.compare_digest inside
    except (ValueError, TypeError):
        return None
    age = now - data.auth_date
    if age > max_age or age < -FUTURE_SKEW or data.user is None:
        return None
    return data.user


@dataclass
class RateLimit:
    """A token bucket per Telegram user, in this process (each replica its own): `burst`
    calls at once, then `per_second`."""

    per_second: float = 5.0
    burst: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict)

    def allow(self, user_id: int) -> bool:
        now = self.clock()
        tokens, last = self._buckets.get(user_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        if tokens < 1:
            self._buckets[user_id] = (tokens, now)
            return False
        self._buckets[user_id] = (tokens - 1, now)
        if len(self._buckets) > 10_000:  # forget the idle: a full bucket is the default
            self._forget(now)
        return True

    def _forget(self, now: float) -> None:
        full_after = self.burst / self.per_second
        for user, (_, last) in list(self._buckets.items()):
            if now - last > full_after:
                del self._buckets[user]
