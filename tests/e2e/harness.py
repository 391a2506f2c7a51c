"""Runs the real bot (`python -m bot`) as a child process against the local fakes."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

REPO_ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "123456:TEST-token-abcdefghijklmnop"
SECRET_KEY = "e2e-fixed-secret-key-0123456789abcdef0123456789"

# Every name services.config.Settings reads. All are set explicitly for the child, so
# neither the parent's environment nor a developer's .env in the repo root leaks in.
SETTINGS_NAMES = (
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "LIQPAY_API_URL",
    "SMS_API_URL",
    "CHECKBOX_API_URL",
    "DATABASE_PATH",
    "DATABASE_URL",
    "REDIS_URL",
    "HTTP_HOST",
    "HTTP_PORT",
    "PUBLIC_BASE_URL",
    "WEBHOOK_URL",
    "SECRET_KEY",
    "OWNER_IDS",
    "STATUS_POLL_INTERVAL",
    "MAX_INVOICE_AMOUNT",
    "LOG_LEVEL",
)


_LIVE_GROUPS: set[int] = set()


@atexit.register
def _kill_leftovers() -> None:
    """Last resort if a test run is interrupted before fixture teardown."""
    for pgid in list(_LIVE_GROUPS):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


@dataclass
class Exited:
    """How a run that was meant to stop by itself ended."""

    code: int
    stdout: str
    stderr: str
    seconds: float


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BotProcess:
    """The bot as a process. Set `env` entries before `start()` (or pass `env=`); delete one
    to let a `.env` in `cwd` (the repository by default) provide it."""

    def __init__(
        self,
        *,
        telegram_url: str,
        liqpay_api_url: str,
        sms_url: str,
        work_dir: Path,
        public_callback: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.database_path = self.work_dir / "data" / "bot.sqlite3"
        self.log_path = self.work_dir / "bot.log"
        self.env: dict[str, str] = {
            "BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_URL": telegram_url,
            "LIQPAY_API_URL": liqpay_api_url,
            "SMS_API_URL": sms_url,
            # Nothing listens there: a test that needs Checkbox points it at its stand-in,
            # and no test can ever reach a real cash register.
            "CHECKBOX_API_URL": "http://127.0.0.1:9",
            "DATABASE_PATH": str(self.database_path),
            "REDIS_URL": "",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.port),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}" if public_callback else "",
            "WEBHOOK_URL": "",
            "SECRET_KEY": SECRET_KEY,
            "OWNER_IDS": "",
            "STATUS_POLL_INTERVAL": "1",
            "MAX_INVOICE_AMOUNT": "100000",
            "LOG_LEVEL": "INFO",
        }
        self.env.update(env or {})
        self.cwd = REPO_ROOT
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self._log_file: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def callback_url(self) -> str:
        return f"{self.url}/liqpay/callback"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.returncode

    def child_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS_NAMES}
        env.update(self.env)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONPATH"] = str(REPO_ROOT)  # `python -m bot` from any `cwd`
        return env

    async def spawn(self) -> None:
        """Start the process without waiting for it to be ready."""
        assert not self.running, "the bot is already running"
        self.starts += 1
        self._log_file = self.log_path.open("ab")
        self._log_file.write(f"\n===== start #{self.starts} =====\n".encode())
        self._log_file.flush()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.cwd,
            env=self.child_env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        _LIVE_GROUPS.add(self.proc.pid)

    async def run_to_exit(self, timeout: float = 30) -> Exited:
        """Run a start that must fail: wait until the process exits by itself (failing the
        test if it doesn't within `timeout` s), with its stdout and stderr apart."""
        assert not self.running, "the bot is already running"
        self.starts += 1
        started = time.monotonic()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.cwd,
            env=self.child_env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        _LIVE_GROUPS.add(self.proc.pid)
        try:
            out, err = await asyncio.wait_for(self.proc.communicate(), timeout)
        except TimeoutError:
            await self.kill()
            raise AssertionError(f"the bot did not exit by itself within {timeout} s") from None
        _LIVE_GROUPS.discard(self.proc.pid)
        assert self.proc.returncode is not None
        return Exited(
            self.proc.returncode,
            out.decode(errors="replace"),
            err.decode(errors="replace"),
            time.monotonic() - started,
        )

    async def start(self, timeout: float = 45) -> None:
        """Start and wait until GET /healthz answers 200."""
        await self.spawn()
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.proc is not None
                if self.proc.returncode is not None:
                    raise AssertionError(
                        f"the bot exited with code {self.proc.returncode} while starting:\n"
                        + self.log_tail()
                    )
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(
                        self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)
                    ) as resp:
                        if resp.status == 200:
                            return
                if time.monotonic() > deadline:
                    await self.kill()
                    raise AssertionError(
                        f"/healthz did not answer 200 within {timeout} s:\n" + self.log_tail()
                    )
                await asyncio.sleep(0.1)

    async def stop(self, timeout: float = 10, *, expect_code: int | None = 0) -> int:
        """SIGTERM; assert the process exits within `timeout` s (with `expect_code`)."""
        assert self.proc is not None, "the bot was never started"
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                await self.kill()
                raise AssertionError(
                    f"the bot did not exit within {timeout} s of SIGTERM:\n" + self.log_tail()
                ) from None
        self._close_log()
        _LIVE_GROUPS.discard(self.proc.pid)
        code = self.proc.returncode
        assert code is not None
        if expect_code is not None:
            assert code == expect_code, (
                f"the bot exited with code {code}, expected {expect_code}:\n" + self.log_tail()
            )
        return code

    async def restart(self, timeout: float = 45) -> None:
        await self.stop()
        await self.start(timeout)

    async def kill(self) -> None:
        """SIGKILL the process group (teardown; never fails)."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.proc.wait(), 5)
        if self.proc is not None:
            _LIVE_GROUPS.discard(self.proc.pid)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return "----- bot log (tail) -----\n" + "\n".join(tail)

    async def wait_for_log(self, text: str, timeout: float = 10) -> None:
        """Wait until `text` appears in the bot's log."""
        deadline = time.monotonic() + timeout
        while text not in self.log_text():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{text!r} not in the bot log within {timeout} s\n" + (self.log_tail())
                )
            await asyncio.sleep(0.1)

    async def get(self, path: str) -> tuple[int, Any]:
        """GET a path on the bot's HTTP server: (status, JSON or text)."""
        async with (
            aiohttp.ClientSession() as http,
            http.get(self.url + path, timeout=aiohttp.ClientTimeout(total=5)) as resp,
        ):
            try:
                return resp.status, await resp.json(content_type=None)
            except ValueError:
                return resp.status, await resp.text()

    async def healthz(self) -> tuple[int, Any]:
        return await self.get("/healthz")

    async def post(
        self, path: str, data: Any, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST to the bot's HTTP server: (status, JSON or text)."""
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.url + path, data=data, headers=headers, timeout=aiohttp.ClientTimeout(total=5)
            ) as resp,
        ):
            try:
                return resp.status, await resp.json(content_type=None)
            except ValueError:
                return resp.status, await resp.text()
