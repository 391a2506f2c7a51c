"""The real bot process at start-up: what a person can fix (a file that is not a database,
a .env that is not UTF-8, an absurd limit, a URL that is not one) stops it at once with one
line on stderr and no traceback; what it creates on disk is private to its user."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.sqlite.store import SqliteStore
from tests.e2e.harness import BOT_TOKEN, SECRET_KEY, BotProcess, Exited

# A hang never ends; a refusal costs one interpreter start, slow on a shared, loaded machine.
EXIT_WITHIN = 30


def refusal_line(exited: Exited) -> str:
    assert exited.code != 0, exited
    everything = exited.stdout + exited.stderr
    assert "Traceback" not in everything, everything
    assert BOT_TOKEN not in everything
    assert SECRET_KEY not in everything
    lines = [line for line in exited.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, exited.stderr
    return lines[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def write_truncated_database(path: Path) -> None:
    """The bot's own database, cut after three pages (a copy interrupted, a full disk)."""
    whole = path.with_name("whole.sqlite3")
    store = await SqliteStore.open(whole)
    await store.users.set_language(1, "uk")
    await store.close()
    cut_after(whole, path, 3 * 4096)


def cut_after(source: Path, target: Path, size: int) -> None:
    target.write_bytes(source.read_bytes()[:size])
    target.chmod(0o600)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "directory"])
async def test_an_unusable_database_stops_the_bot_with_one_line(
    bot_process: BotProcess, damage: str
) -> None:
    db_path = bot_process.database_path
    db_path.parent.mkdir(mode=0o700)
    if damage == "garbage":
        db_path.write_bytes(b"my shop's notes, not a database\n" * 200)
    elif damage == "truncated":
        await write_truncated_database(db_path)
    else:
        db_path.mkdir()
    before = b"" if damage == "directory" else db_path.read_bytes()

    exited = await bot_process.run_to_exit(EXIT_WITHIN)

    line = refusal_line(exited)
    assert f"DATABASE_PATH={db_path}" in line
    assert "Point DATABASE_PATH at" in line
    if damage != "directory":
        assert db_path.read_bytes() == before  # nothing written to it


async def test_a_damaged_key_file_stops_the_bot_with_one_line(bot_process: BotProcess) -> None:
    bot_process.env["SECRET_KEY"] = ""  # the key is read from secret.key beside the database
    bot_process.database_path.parent.mkdir(mode=0o700)
    (bot_process.database_path.parent / "secret.key").write_text("not a Fernet key\n")

    line = refusal_line(await bot_process.run_to_exit(EXIT_WITHIN))
    assert "secret.key" in line
    assert "SECRET_KEY" in line


async def test_a_port_in_use_stops_the_bot_with_one_line(bot_process: BotProcess) -> None:
    # The store, both HTTP sessions and the web runner are open by then: all must close.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", bot_process.port))
        taken.listen()
        exited = await bot_process.run_to_exit(EXIT_WITHIN)
    assert exited.code == 1
    line = refusal_line(exited)
    assert f"Cannot listen on 127.0.0.1:{bot_process.port}" in line
    assert "HTTP_PORT" in line


async def test_an_env_file_that_is_not_utf8_stops_the_bot_with_one_line(
    bot_process: BotProcess, tmp_path: Path
) -> None:
    folder = tmp_path / "run-here"
    folder.mkdir()
    # Saved by an editor in cp1252: "café" with a Latin-1 byte on line 2.
    (folder / ".env").write_bytes(b"MAX_INVOICE_AMOUNT=5000\nSHOP_NOTE=caf\xe9\n")
    del bot_process.env["MAX_INVOICE_AMOUNT"]
    bot_process.cwd = folder

    exited = await bot_process.run_to_exit(EXIT_WITHIN)
    assert exited.code == 2
    line = refusal_line(exited)
    assert line == f"{folder / '.env'} is not UTF-8 text (an invalid byte on line 2): " + (
        "save it as UTF-8."
    )
    assert not bot_process.database_path.exists()  # nothing was started


async def test_a_limit_in_env_file_is_checked(bot_process: BotProcess, tmp_path: Path) -> None:
    folder = tmp_path / "run-here"
    folder.mkdir()
    (folder / ".env").write_text("MAX_INVOICE_AMOUNT=0.001\n", encoding="utf-8")
    del bot_process.env["MAX_INVOICE_AMOUNT"]
    bot_process.cwd = folder

    exited = await bot_process.run_to_exit(EXIT_WITHIN)
    assert exited.code == 2
    assert refusal_line(exited).startswith("MAX_INVOICE_AMOUNT is invalid")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MAX_INVOICE_AMOUNT", "0.001", "from 0.01 to 10000000 with at most two decimals"),
        ("MAX_INVOICE_AMOUNT", "1e30", "from 0.01 to 10000000 with at most two decimals"),
        ("PUBLIC_BASE_URL", "not a url", "must be an absolute https URL with a host"),
        ("STATUS_POLL_INTERVAL", "inf", "finite"),
    ],
)
async def test_an_absurd_setting_stops_the_bot_with_one_line(
    bot_process: BotProcess, name: str, value: str, expected: str
) -> None:
    bot_process.env[name] = value
    exited = await bot_process.run_to_exit(EXIT_WITHIN)
    assert exited.code == 2
    line = refusal_line(exited)
    assert line.startswith(f"{name} is invalid: "), line
    assert expected in line
    assert not bot_process.database_path.exists()


# data at rest


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The child inherits 022, as from a usual shell: files 0644 unless the bot cares."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
async def test_the_data_folder_and_files_are_private_to_the_bot(bot_process: BotProcess) -> None:
    bot_process.env["SECRET_KEY"] = ""  # let it generate secret.key too
    await bot_process.start()
    data = bot_process.database_path.parent
    db_path = bot_process.database_path
    try:
        assert mode(data) == 0o700
        for path in (db_path, db_path.with_name(db_path.name + "-wal"), data / "secret.key"):
            assert mode(path) == 0o600, path
        shm = db_path.with_name(db_path.name + "-shm")
        assert mode(shm) == 0o600
    finally:
        await bot_process.stop()
    assert mode(db_path) == 0o600


@pytest.mark.usefixtures("usual_umask")
async def test_a_database_left_open_to_others_is_tightened_and_reported(
    bot_process: BotProcess, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"  # a folder the user chose; it stays as it is
    shared.mkdir()
    shared.chmod(0o755)
    db_path = shared / "bot.sqlite3"
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE leftover (x)")
    db.close()
    db_path.chmod(0o644)
    bot_process.env["DATABASE_PATH"] = str(db_path)

    await bot_process.start()
    try:
        assert mode(db_path) == 0o600
        for suffix in ("-wal", "-shm"):
            assert mode(db_path.with_name(db_path.name + suffix)) == 0o600
        assert mode(shared) == 0o755
        log = bot_process.log_text()
        assert log.count("open to other users") == 1, log
        assert "bot.sqlite3 was 0644" in log
    finally:
        await bot_process.stop()


async def test_a_start_and_stop_leave_nothing_in_the_temp_folder(
    bot_process: BotProcess, tmp_path: Path
) -> None:
    """Each start used to leave a bot-locales-* folder of compiled catalogs behind."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    bot_process.env["TMPDIR"] = str(temp)
    await bot_process.start()
    await bot_process.stop()
    assert list(temp.iterdir()) == []
