"""REDIS_URL set: the real dispatcher keeps dialogs in a real Redis, keeps no secret there in
plain text, says "try again" when Redis fails mid-run, and refuses to start without it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import redis
from aiogram.methods import AnswerCallbackQuery
from aioresponses import aioresponses
from pydantic import ValidationError

from bot.dialog_storage import redis_location
from bot.wiring import build_dispatcher, build_services
from services.config import Settings, describe_settings_error
from tests.bot_fixtures import (
    BOT_PRIVATE_KEY,
    BOT_PUBLIC_KEY,
    LIQPAY_REQUEST,
    LIQPAY_URL,
    NOT_FOUND,
    OWNER,
    BotWorld,
)
from tests.conftest import WallClock
from tests.core.test_config import GOOD_TOKEN, run_bot, single_line
from tests.doubles.liqpay_mock import liqpay_answer
from tests.doubles.recording_bot import make_bot
from tests.servers.redis_server import start_redis

SMS_TOKEN = "TurboSmsToken0123456789abcdef"
SORRY = "Something went wrong on our side. Nothing was lost; please try again."


async def open_world(tmp_path: Path, redis_url: str) -> tuple[BotWorld, aiohttp.ClientSession]:
    settings = Settings(
        bot_token="42:TEST-token-abcdefghijklmnopqrstu",  # type: ignore[arg-type]
        database_path=tmp_path / "data" / "bot.sqlite3",
        liqpay_api_url=LIQPAY_URL,
        secret_key="test-secret-key-that-is-long-enough",  # type: ignore[arg-type]
        redis_url=redis_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    mocked = aioresponses(passthrough_unmatched=False)
    mocked.start()
    http = aiohttp.ClientSession()
    clock = WallClock()
    services = await build_services(settings, http, clock)
    bot, session = make_bot()
    dp = build_dispatcher(services, settings)
    return BotWorld(dp, bot, session, services, settings, mocked, clock), http


async def close_world(world: BotWorld, http: aiohttp.ClientSession) -> None:
    await world.dp.fsm.close()
    await http.close()
    await world.services.store.close()
    world.liqpay.stop()


@pytest.fixture
async def redis_world(tmp_path: Path, fresh_redis_url: str) -> AsyncIterator[BotWorld]:
    world, http = await open_world(tmp_path, fresh_redis_url)
    yield world
    await close_world(world, http)


def redis_dump(url: str) -> str:
    """Every dialog key and value in Redis, as one text to search."""
    with redis.Redis.from_url(url) as client:
        parts = []
        for name in client.scan_iter():
            parts.append(name.decode())
            if client.type(name) == b"string":
                parts.append((client.get(name) or b"").decode())
        return "\n".join(parts)


async def test_dialogs_live_in_redis_and_not_in_sqlite(
    redis_world: BotWorld, fresh_redis_url: str
) -> None:
    await redis_world.say(OWNER, "/start")
    dump = redis_dump(fresh_redis_url)
    assert f"fsm:42:{OWNER.id}:{OWNER.id}:default:state" in dump
    assert "ShopSetup:name" in dump
    sqlite_key = f"42:{OWNER.id}:{OWNER.id}:0:default"
    assert await redis_world.services.store.dialogs.get_state(sqlite_key) is None
    replies = await redis_world.say(OWNER, "Кав'ярня")
    assert any("Кав'ярня" in r for r in replies), replies
    assert "ShopSetup" not in redis_dump(fresh_redis_url)  # the dialog is over


async def test_secrets_waiting_in_a_redis_dialog_are_sealed(
    redis_world: BotWorld, fresh_redis_url: str
) -> None:
    await redis_world.say(OWNER, "/start")
    await redis_world.say(OWNER, "Кав'ярня")
    await redis_world.say(OWNER, "/settings")
    await redis_world.press(OWNER, "LiqPay")
    await redis_world.say(OWNER, BOT_PUBLIC_KEY)
    dump = redis_dump(fresh_redis_url)
    assert "KeysDialog:private" in dump and '"public_key"' in dump  # it is waiting there...
    assert BOT_PUBLIC_KEY not in dump  # ...sealed
    redis_world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    await redis_world.say(OWNER, BOT_PRIVATE_KEY)
    assert (await redis_world.services.store.settings.get(1)).public_key == BOT_PUBLIC_KEY
    dump = redis_dump(fresh_redis_url)
    assert BOT_PRIVATE_KEY not in dump and BOT_PUBLIC_KEY not in dump

    await redis_world.say(OWNER, "/settings")
    await redis_world.press(OWNER, "SMS gateway")
    await redis_world.say(OWNER, SMS_TOKEN)
    dump = redis_dump(fresh_redis_url)
    assert "SmsDialog:sender" in dump and '"sms_token"' in dump
    assert SMS_TOKEN not in dump


async def test_a_redis_outage_mid_run_gets_a_polite_try_again(tmp_path: Path) -> None:
    server = start_redis()  # its own server: this test stops it
    try:
        world, http = await open_world(tmp_path, server.url)
        try:
            await world.say(OWNER, "/start")
            server.stop()
            replies = await world.say(OWNER, "Кав'ярня")
            assert replies == [SORRY], replies  # in the person's language
            before = len(world.session.requests)
            await world.press_data(OWNER, "st:keys")
            answers = [
                r for r in world.session.requests[before:] if isinstance(r, AnswerCallbackQuery)
            ]
            assert [(a.text, a.show_alert) for a in answers] == [(SORRY, True)]
        finally:
            await close_world(world, http)
    finally:
        server.stop()


def test_start_with_redis_unreachable_gives_one_line_and_no_password(tmp_path: Path) -> None:
    server = start_redis()
    assert server.scratch is not None and server.scratch.process is not None
    port = server.scratch.process.port
    server.stop()  # nothing listens there now
    url = f"redis://:hunter2-redis-pass@127.0.0.1:{port}/0"
    result = run_bot(
        tmp_path,
        BOT_TOKEN=GOOD_TOKEN,
        REDIS_URL=url,
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        SECRET_KEY="test-secret-key-that-is-long-enough",
        TELEGRAM_API_URL="http://127.0.0.1:9",
    )
    assert result.returncode == 1
    line = single_line(result.stderr)
    assert line == (
        f"Cannot reach Redis at REDIS_URL (127.0.0.1:{port}): connection refused. "
        "Start Redis, or correct or unset REDIS_URL."
    )
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:6379", "redis://", "redis://:hunter2@host:notaport/0", "localhost:6379"],
)
def test_a_malformed_redis_url_is_one_clear_line_without_echoing_it(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(bot_token=GOOD_TOKEN, redis_url=url, _env_file=None)  # type: ignore[arg-type,call-arg]
    line = describe_settings_error(caught.value)
    assert line.startswith("REDIS_URL is invalid: "), line
    assert "redis://" in line and "\n" not in line
    assert "hunter2" not in line


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("", None),
        ("  ", None),
        ("redis://127.0.0.1:6379/2", "redis://127.0.0.1:6379/2"),
        ("rediss://user:pw@cache.example:6380", "rediss://user:pw@cache.example:6380"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock"),
    ],
)
def test_redis_url_is_optional_and_kept_as_given(url: str, stored: str | None) -> None:
    settings = Settings(bot_token=GOOD_TOKEN, redis_url=url, _env_file=None)  # type: ignore[arg-type,call-arg]
    assert settings.redis_url == stored


def test_redis_location_never_shows_the_password() -> None:
    assert redis_location("redis://:pw@10.0.0.5/0") == "10.0.0.5:6379"
    assert redis_location("rediss://u:pw@cache:6380") == "cache:6380"
    assert redis_location("unix:///run/redis.sock") == "/run/redis.sock"
