"""Starting a test server in its own process group and directory, and cleaning up after it
whatever happens: a normal stop, atexit, or a reaper process when pytest itself is killed."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
LOG_TAIL = 4000

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


class Reaper:
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


reaper = Reaper()


@dataclass(eq=False)
class ServerProcess:
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
        reaper.forget_group(self.proc.pid)


@dataclass(eq=False)
class Scratch:
    """A started server's temporary directory and process; `close` removes both."""

    root: Path
    process: ServerProcess | None = None

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
        reaper.forget_path(self.root)
        _live.discard(self)


_live: set[Scratch] = set()


@atexit.register
def _close_all() -> None:
    for scratch in list(_live):
        scratch.close()


def make_scratch(kind: str) -> Scratch:
    root = Path(tempfile.mkdtemp(prefix=f"liqpay-bot-test-{kind}-"))
    reaper.watch_path(root)
    root.chmod(0o755)  # the unprivileged PostgreSQL user must reach its data inside
    scratch = Scratch(root)
    _live.add(scratch)
    return scratch


def spawn(
    what: str,
    args: list[str],
    port: int,
    scratch: Scratch,
    stop_signal: signal.Signals,
    user: str | None = None,
) -> ServerProcess:
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
    reaper.watch_group(proc.pid)
    return ServerProcess(what, proc, port, log_path, stop_signal, log_file)


def _wait_until_ready(process: ServerProcess, ready: Callable[[], bool]) -> None:
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


def start_on_free_port(
    scratch: Scratch, start: Callable[[int], ServerProcess], ready: Callable[[int], bool]
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


def package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ServerStartError(
            f"The test servers come from the {package!r} package, which is not installed: "
            "run `make install` (pip install -e '.[dev]')."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def in_thread(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, make()).result()
