"""SqliteStore.open: the files it makes are private to the bot's user, and a file that is
not a usable database is refused without leaving aiosqlite's thread running."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.sqlite.store import SqliteStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def companions(db_path: Path) -> list[Path]:
    return [db_path.with_name(db_path.name + suffix) for suffix in ("-wal", "-shm")]


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual 022: without care, files would be 0644 and folders 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def sqlite_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]


def assert_no_sqlite_thread_left(before: list[threading.Thread]) -> None:
    for thread in sqlite_threads():
        if thread not in before:
            thread.join(5)
            assert not thread.is_alive(), "aiosqlite's thread keeps the process alive"


@pytest.mark.usefixtures("loose_umask")
async def test_new_database_folder_and_files_are_private(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "bot.sqlite3"
    store = await SqliteStore.open(db_path)
    try:
        await store.users.set_language(1, "uk")  # a write: the WAL and its index exist now
        assert mode(db_path.parent) == 0o700
        assert mode(db_path) == 0o600
        for path in companions(db_path):
            assert path.exists(), path
            assert mode(path) == 0o600, path
    finally:
        await store.close()


@pytest.mark.usefixtures("loose_umask")
async def test_an_existing_folder_is_left_as_the_user_made_it(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    store = await SqliteStore.open(folder / "bot.sqlite3")
    await store.close()
    assert mode(folder) == 0o755
    assert mode(folder / "bot.sqlite3") == 0o600


@pytest.mark.usefixtures("loose_umask")
async def test_an_existing_database_open_to_others_is_tightened_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = tmp_path / "bot.sqlite3"
    # Made by an older version, 0644; kept open so that its WAL and index stay on disk.
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE leftover (x)")
    for path in [db_path, *companions(db_path)]:
        path.chmod(0o644)
    caplog.set_level(logging.WARNING)
    try:
        store = await SqliteStore.open(db_path)
    finally:
        db.close()
    try:
        assert mode(db_path) == 0o600
        for path in companions(db_path):
            assert mode(path) == 0o600, path
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1, warnings
        assert "other users" in warnings[0].getMessage()
        assert "0644" in warnings[0].getMessage()
    finally:
        await store.close()

    caplog.clear()
    store = await SqliteStore.open(db_path)  # private already: nothing to say
    await store.close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def write_truncated_database(path: Path) -> None:
    full = path.with_name("full.sqlite3")
    with sqlite3.connect(full) as db:
        db.execute("CREATE TABLE t (x)")
        db.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 50)
    db.close()
    path.write_bytes(full.read_bytes()[: 4096 * 3])


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
async def test_a_file_that_is_not_a_database_is_refused_and_closed(
    tmp_path: Path, damage: str
) -> None:
    db_path = tmp_path / "bot.sqlite3"
    if damage == "garbage":
        db_path.write_bytes(b"this is not an SQLite database, only some text\n" * 100)
    else:
        write_truncated_database(db_path)
    db_path.chmod(0o644)
    before = sqlite_threads()
    with pytest.raises(sqlite3.DatabaseError):
        await SqliteStore.open(db_path)
    assert_no_sqlite_thread_left(before)
    if damage == "garbage":  # not a database: a file chosen by mistake keeps its mode
        assert mode(db_path) == 0o644


async def test_a_directory_is_refused_before_sqlite_opens_it(tmp_path: Path) -> None:
    before = sqlite_threads()
    with pytest.raises(IsADirectoryError):
        await SqliteStore.open(tmp_path)
    assert sqlite_threads() == before  # aiosqlite never started: no thread, no stray traceback


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
async def test_an_unreadable_file_is_refused_before_sqlite_opens_it(tmp_path: Path) -> None:
    db_path = tmp_path / "bot.sqlite3"
    db_path.write_bytes(b"")
    db_path.chmod(0)
    before = sqlite_threads()
    with pytest.raises(PermissionError):
        await SqliteStore.open(db_path)
    assert sqlite_threads() == before
