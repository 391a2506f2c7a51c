"""DATABASE_URL: PostgreSQL when set, SQLite at DATABASE_PATH when not; a bad URL or an
unusable server is one line that names the host and database, never the password."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from pydantic import ValidationError

from services.config import Settings, describe_settings_error
from storage.open import open_store
from tests.core.test_config import GOOD_TOKEN, SETTINGS_ENV, run_bot, single_line


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


SHARED_KEY = "a-shared-secret-key-for-every-replica"


def make_settings(**values: object) -> Settings:
    return Settings(_env_file=None, bot_token=GOOD_TOKEN, **values)  # type: ignore[arg-type]


@pytest.mark.usefixtures("clean_env")
def test_unset_or_empty_means_sqlite() -> None:
    assert make_settings().database_url is None
    assert make_settings(database_url="  ").database_url is None


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    "url", ["postgresql://bot:S3cretPw@db:5432/shop", " postgres://bot:S3cretPw@db/shop "]
)
def test_postgres_urls_are_kept_secret(url: str) -> None:
    settings = make_settings(database_url=url, secret_key="a-shared-secret-key")
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == url.strip()
    assert "S3cretPw" not in repr(settings) and "S3cretPw" not in str(settings)


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://bot:S3cretPw@db/shop", "not mysql://"),
        ("postgresql+asyncpg://bot:S3cretPw@db/shop", "not postgresql+asyncpg://"),
        ("bot:S3cretPw@db/shop", "postgresql://"),
        ("sqlite:///data/bot.sqlite3", "not sqlite://"),
    ],
)
def test_another_scheme_is_one_line_without_the_password(url: str, named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_settings(database_url=url)
    line = describe_settings_error(caught.value)
    assert line.startswith("DATABASE_URL is invalid:")
    assert named in line and "DATABASE_PATH" in line
    assert "S3cretPw" not in line and "\n" not in line


def test_python_m_bot_with_another_scheme_says_so(tmp_path: Path) -> None:
    result = run_bot(tmp_path, BOT_TOKEN=GOOD_TOKEN, DATABASE_URL="mysql://u:S3cretPw@h/db")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL" in single_line(result.stderr)
    assert "S3cretPw" not in result.stderr + result.stdout


def test_python_m_bot_with_nobody_listening_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://bot:S3cretPw@127.0.0.1:{port}/shop"
    result = run_bot(tmp_path, BOT_TOKEN=GOOD_TOKEN, DATABASE_URL=url, SECRET_KEY=SHARED_KEY)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = single_line(result.stderr)
    assert line.startswith(
        f"Cannot start with DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:{port}/shop"
    )
    assert "S3cretPw" not in result.stderr + result.stdout
    assert not (tmp_path / "data" / "bot.sqlite3").exists()


def test_python_m_bot_with_a_wrong_password_is_one_line(
    tmp_path: Path, fresh_postgres_url: str
) -> None:
    parts = urlsplit(fresh_postgres_url)
    url = urlunsplit(parts._replace(netloc=f"postgres:WrongPw123@{parts.hostname}:{parts.port}"))
    result = run_bot(tmp_path, BOT_TOKEN=GOOD_TOKEN, DATABASE_URL=url, SECRET_KEY=SHARED_KEY)
    assert result.returncode == 1
    line = single_line(result.stderr)
    assert "refused us: password authentication failed" in line
    assert f"{parts.hostname}:{parts.port}{parts.path}" in line
    assert "WrongPw123" not in result.stderr + result.stdout


async def test_open_store_picks_the_engine(tmp_path: Path, fresh_postgres_url: str) -> None:
    sqlite = await open_store(tmp_path / "data" / "bot.sqlite3")
    try:
        assert (await sqlite.health()).engine == "sqlite"
    finally:
        await sqlite.close()
    postgres = await open_store(tmp_path / "unused" / "bot.sqlite3", fresh_postgres_url)
    try:
        assert (await postgres.health()).engine == "postgresql"
    finally:
        await postgres.close()
    assert not (tmp_path / "unused").exists()
