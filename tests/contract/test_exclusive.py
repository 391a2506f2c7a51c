"""Exclusive holds (Store.hold_exclusive): one holder per name and database, released by
release(), by close(), and by the death of the process that held it (SIGKILL)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from storage.protocols.store import Store
from tests.contract.engines import LOCATIONS, Opener

REPO_ROOT = Path(__file__).resolve().parents[2]

# Takes the hold in a process of its own, says so, and waits to be killed.
HOLDER = """
import asyncio, sys
from storage.open import open_store

async def main() -> None:
    store = await open_store(sys.argv[1], sys.argv[2] or None)
    hold = await store.hold_exclusive(sys.argv[3])
    print("held" if hold is not None else "refused", flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


async def test_a_second_holder_is_refused_until_the_first_releases(open_store: Opener) -> None:
    first, second = await open_store(), await open_store()
    try:
        hold = await first.hold_exclusive("polling")
        assert hold is not None and hold.held
        assert await second.hold_exclusive("polling") is None
        assert await first.hold_exclusive("polling") is None  # not re-entrant either
        other = await second.hold_exclusive("webhook")  # names are independent
        assert other is not None
        await other.release()

        await hold.release()
        assert not hold.held
        await hold.release()  # twice is harmless
        again = await second.hold_exclusive("polling")
        assert again is not None and again.held
    finally:
        await first.close()
        await second.close()


async def test_closing_the_store_releases_its_holds(open_store: Opener) -> None:
    first = await open_store()
    assert await first.hold_exclusive("polling") is not None
    await first.close()
    second = await open_store()
    try:
        assert await second.hold_exclusive("polling") is not None
    finally:
        await second.close()


async def wait_for_hold(store: Store, name: str, timeout: float = 20) -> None:
    """The server (or kernel) drops a dead session's lock soon, not necessarily at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (hold := await store.hold_exclusive(name)) is None:
        assert loop.time() < deadline, f"{name!r} still held {timeout} s after its holder died"
        await asyncio.sleep(0.1)
    await hold.release()


async def test_a_holder_killed_by_sigkill_leaves_no_hold_behind(
    open_store: Opener, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    engine = request.node.callspec.params["open_store"]
    path, url = LOCATIONS[engine](request, tmp_path)
    store = await open_store()  # creates and migrates the database first
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        path,
        url or "",
        "polling",
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(holder.stdout.readline(), 60)
        assert line.strip() == b"held"
        assert await store.hold_exclusive("polling") is None
        holder.send_signal(signal.SIGKILL)
        await asyncio.wait_for(holder.wait(), 10)
        await wait_for_hold(store, "polling")
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
        await store.close()
