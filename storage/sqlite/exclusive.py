"""Exclusive holds on SQLite: a non-blocking `flock` on a lock file beside the database.

The kernel releases a flock when its file is closed, so also when the process dies
(SIGKILL included): a hold is never left behind by a dead process. The lock file is
`<database>.<name>.lock`, mode 0600, and is never deleted (deleting a lock file races with
whoever opens it next).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class FileHold:
    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the file drops its flock


def lock_path(database: Path, name: str) -> Path:
    return database.with_name(f"{database.name}.{name}.lock")


def try_hold(database: Path, name: str) -> FileHold | None:
    """The hold `name` of the database file, or None while another open file (another
    process, or another store in this one) holds it."""
    fd = os.open(lock_path(database, name), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        with contextlib.suppress(OSError):  # one made open to others, like the database
            os.fchmod(fd, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return FileHold(fd)


class MemoryHold:
    """An in-memory database belongs to one store: its holds are names in that store."""

    def __init__(self, names: set[str], name: str) -> None:
        self._names: set[str] | None = names
        self._name = name
        names.add(name)

    @property
    def held(self) -> bool:
        return self._names is not None

    async def release(self) -> None:
        if self._names is not None:
            self._names.discard(self._name)
            self._names = None
