"""The Mini App's initData check: Telegram's signature with this bot's token, not too old."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from bot.miniapp.auth import RateLimit, verify_init_data
from tests.miniapp.initdata import TOKEN, sign_init_data

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_fresh_signed_init_data_names_its_user() -> None:
    user = verify_init_data(TOKEN, sign_init_data(7, NOW - timedelta(minutes=5)), NOW)
    assert user is not None
    assert user.id == 7
    assert user.language_code == "uk"


def test_a_changed_field_is_refused() -> None:
    fields = dict(parse_qsl(sign_init_data(7, NOW)))
    fields["user"] = fields["user"].replace('"id":7', '"id":8')
    assert verify_init_data(TOKEN, urlencode(fields), NOW) is None
    fields = dict(parse_qsl(sign_init_data(7, NOW)))
    fields["hash"] = "0" * 64
    assert verify_init_data(TOKEN, urlencode(fields), NOW) is None
    fields = dict(parse_qsl(sign_init_data(7, NOW)))
    del fields["hash"]
    assert verify_init_data(TOKEN, urlencode(fields), NOW) is None


def test_an_old_one_is_refused() -> None:
    assert verify_init_data(TOKEN, sign_init_data(7, NOW - timedelta(hours=23)), NOW) is not None
    assert verify_init_data(TOKEN, sign_init_data(7, NOW - timedelta(hours=25)), NOW) is None
    short = timedelta(minutes=10)
    assert (
        verify_init_data(TOKEN, sign_init_data(7, NOW - timedelta(minutes=11)), NOW, short) is None
    )
    assert verify_init_data(TOKEN, sign_init_data(7, NOW + timedelta(hours=1)), NOW) is None


def test_another_bots_is_refused() -> None:
    other = sign_init_data(7, NOW, token="43:OTHER-token-abcdefghijklmnopqrs")
    assert verify_init_data(TOKEN, other, NOW) is None


def test_garbage_and_empty_are_refused() -> None:
    for data in ("", "hash=abc", "%%%", "a" * 5000, "user=x&auth_date=1&hash=00"):
        assert verify_init_data(TOKEN, data, NOW) is None


def test_the_rate_limit_is_per_user_and_refills() -> None:
    now = [0.0]
    limit = RateLimit(per_second=1, burst=3, clock=lambda: now[0])
    assert [limit.allow(1) for _ in range(4)] == [True, True, True, False]
    assert limit.allow(2)
    now[0] += 1.0
    assert limit.allow(1)
    assert not limit.allow(1)
