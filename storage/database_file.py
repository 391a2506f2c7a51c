"""The SQLite file on disk is private to the bot's user: it holds customers' e-mails,
phones and amounts.

The file is created 0600 before SQLite opens it, whatever the umask; SQLite gives the
-wal and -shm files it creates later the database file's mode, so they are private too.
A folder the bot creates is 0700; a folder that already exists (the user chose it, say
/tmp) is left as it is.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")
SQLITE_HEADER = b"SQLite format 3\x00"


def prepare_database_file(path: Path) -> None:
    """Create `path` (and its folder) private if missing, or tighten an existing database's
    files to 0600. Raises OSError when the bot can't use the path (a directory, no access)."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is cut by the umask
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        if _looks_like_a_database(path):
            _make_private(path)
        return  # anything else is SQLite's to refuse; a file chosen by mistake stays as it is
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)


def _looks_like_a_database(path: Path) -> bool:
    """Raises OSError for what SQLite's connect would fail on in a way aiosqlite can't clean
    up after (a directory, no permission)."""
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "it is a directory, not a database file")
    fd = os.open(path, os.O_RDWR)
    try:
        header = os.read(fd, len(SQLITE_HEADER))
    finally:
        os.close(fd)
    return header in (b"", SQLITE_HEADER)


def _make_private(path: Path) -> None:
    """Tighten the database and its companions to 0600, warning once if they were open."""
    tightened: list[str] = []
    for candidate in (path, *(path.with_name(path.name + s) for s in COMPANION_SUFFIXES)):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if not mode & 0o077:
            continue
        try:
            os.chmod(candidate, PRIVATE_FILE_MODE)
        except OSError as exc:
            log.warning(
                "%s is open to other users (mode %04o) and could not be made private (%s)",
                candidate,
                mode,
                exc.strerror,
            )
        else:
            tightened.append(f"{candidate.name} was {mode:04o}")
    if tightened:
        log.warning(
            "The database in %s was open to other users (%s); now 0600",
            path.parent,
            ", ".join(tightened),
        )
