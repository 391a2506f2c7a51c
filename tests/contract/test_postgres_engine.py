"""PostgreSQL only: opening (clear one-line errors that never show the password) and
migrations run by replicas starting at once."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from storage.postgres.engine import DatabaseUnavailable, PostgresEngine, describe_url
from storage.postgres.migrations import MIGRATIONS, migrate
from storage.postgres.store import PostgresStore


def with_parts(url: str, **parts: str) -> str:
    return urlunsplit(urlsplit(url)._replace(**parts))


def password_of(url: str) -> str:
    password = urlsplit(url).password
    assert password
    return password


async def test_a_wrong_password_is_refused_in_one_line_without_it(fresh_postgres_url: str) -> None:
    parts = urlsplit(fresh_postgres_url)
    wrong = with_parts(
        fresh_postgres_url, netloc=f"postgres:WrongSecret123@{parts.hostname}:{parts.port}"
    )
    with pytest.raises(DatabaseUnavailable) as caught:
        await PostgresStore.open(wrong)
    message = str(caught.value)
    assert "password authentication failed" in message
    assert f"{parts.hostname}:{parts.port}{parts.path}" in message
    assert "WrongSecret123" not in message and "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_an_unknown_database_is_named(fresh_postgres_url: str) -> None:
    missing = with_parts(fresh_postgres_url, path="/no_such_db")
    with pytest.raises(DatabaseUnavailable) as caught:
        await PostgresStore.open(missing)
    assert "no_such_db" in str(caught.value)
    assert password_of(fresh_postgres_url) not in str(caught.value)


async def test_nobody_listening_is_a_clear_error(fresh_postgres_url: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    secret = password_of(fresh_postgres_url)
    url = with_parts(fresh_postgres_url, netloc=f"postgres:{secret}@127.0.0.1:{port}")
    with pytest.raises(DatabaseUnavailable) as caught:
        await PostgresStore.open(url)
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}/" in str(caught.value)
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["postgresql://u:Secret9@host:notaport/db", "postgresql://u:Secret9@[::1/db"]
)
async def test_a_malformed_url_is_said_so_without_echoing_it(url: str) -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        await PostgresStore.open(url)
    assert "malformed" in str(caught.value) and "Secret9" not in str(caught.value)


def test_describe_url_names_host_port_and_database_only() -> None:
    assert describe_url("postgresql://bot:pw@db.example:6432/shop") == "db.example:6432/shop"
    assert describe_url("postgres://bot:pw@db.example/shop") == "db.example/shop"
    assert describe_url("postgresql:///shop?host=/run/postgresql") == "/run/postgresql/shop"


async def test_replicas_starting_at_once_apply_each_migration_once(fresh_postgres_url: str) -> None:
    stores = await asyncio.gather(
        *(PostgresStore.open(fresh_postgres_url, max_size=2) for _ in range(4))
    )
    try:
        conn = await asyncpg.connect(fresh_postgres_url)
        try:
            versions = [
                r[0]
                for r in await conn.fetch("SELECT version FROM schema_version ORDER BY version")
            ]
        finally:
            await conn.close()
        assert versions == list(range(1, len(MIGRATIONS) + 1))
        assert {(await s.health()).schema_version for s in stores} == {len(MIGRATIONS)}
    finally:
        for store in stores:
            await store.close()


async def test_concurrent_migrations_take_turns(fresh_postgres_url: str) -> None:
    """Steps that would fail if run twice or side by side: each runs once, in order."""
    steps = (
        "CREATE TABLE applied (step INTEGER PRIMARY KEY, at TIMESTAMPTZ DEFAULT clock_timestamp())",
        "SELECT pg_sleep(0.2); INSERT INTO applied (step) VALUES (2)",
        "INSERT INTO applied (step) VALUES (3)",
    )
    engines = [await PostgresEngine.open(fresh_postgres_url, max_size=1) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(migrate(engine, steps) for engine in engines))
        assert sum(applied) == 3
        rows = await engines[0].all("SELECT step FROM applied ORDER BY at")
        assert [r["step"] for r in rows] == [2, 3]
        assert await engines[1].value("SELECT COUNT(*) FROM schema_version") == 3
        assert await migrate(engines[2], steps) == 0
    finally:
        for engine in engines:
            await engine.close()


async def test_a_store_reopened_keeps_its_data(fresh_postgres_url: str) -> None:
    store = await PostgresStore.open(fresh_postgres_url)
    await store.users.set_language(5, "uk")
    await store.close()
    again = await PostgresStore.open(fresh_postgres_url)
    try:
        assert await again.users.language(5) == "uk"
        assert (await again.health()).schema_version == len(MIGRATIONS)
    finally:
        await again.close()
