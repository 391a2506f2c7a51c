"""Start-up configuration: the one-line error for a missing or bad BOT_TOKEN, Settings
parsing, and the secret box that encrypts stored keys."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.config import ConfigError, Settings, describe_settings_error, load_settings
from services.core.crypto import KEY_FILE_NAME, SecretBox, SecretKeyMismatch, make_secret_box

REPO = Path(__file__).resolve().parents[2]
GOOD_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SETTINGS_ENV = [name.upper() for name in Settings.model_fields]


# python -m bot without a usable token


def run_bot(cwd: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_ENV}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a guard against a hang, not a timing assertion
        check=False,
    )


def single_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert stderr.strip() == lines[0]
    return lines[0]


def test_missing_token_gives_one_line(tmp_path: Path) -> None:
    assert not (tmp_path / ".env").exists()
    result = run_bot(tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    line = single_line(result.stderr)
    assert "BOT_TOKEN" in line
    assert "BotFather" in line
    assert not (tmp_path / "data").exists()  # nothing was started


def test_malformed_token_gives_one_line_without_echoing_it(tmp_path: Path) -> None:
    bad = "this-is-not-a-token-4f1c2e"
    result = run_bot(tmp_path, BOT_TOKEN=bad)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    line = single_line(result.stderr)
    assert "BOT_TOKEN" in line
    assert "BotFather" in line
    assert "malformed" in line
    assert bad not in result.stderr + result.stdout


def test_malformed_token_from_dotenv_is_reported(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BOT_TOKEN=12345\n", encoding="utf-8")
    result = run_bot(tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "malformed" in single_line(result.stderr)


# Settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the working tree


def make_settings(**values: object) -> Settings:
    return Settings(_env_file=None, bot_token=GOOD_TOKEN, **values)  # type: ignore[arg-type]


@pytest.mark.usefixtures("clean_env")
def test_defaults() -> None:
    settings = make_settings()
    assert settings.bot_token.get_secret_value() == GOOD_TOKEN
    assert settings.liqpay_api_url == "https://www.liqpay.ua/api/"
    assert settings.checkbox_api_url == "https://api.checkbox.ua"
    assert settings.callback_url is None
    assert settings.owner_id_set == frozenset()
    assert settings.max_invoice_kopecks == 100_000 * 100


@pytest.mark.usefixtures("clean_env")
def test_token_is_read_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", f"  {GOOD_TOKEN}  ")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.bot_token.get_secret_value() == GOOD_TOKEN
    assert GOOD_TOKEN not in repr(settings)


@pytest.mark.usefixtures("clean_env")
def test_liqpay_api_url_gains_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_settings(liqpay_api_url="https://lp.test/api").liqpay_api_url == (
        "https://lp.test/api/"
    )
    assert make_settings(liqpay_api_url="https://lp.test/api/").liqpay_api_url == (
        "https://lp.test/api/"
    )
    monkeypatch.setenv("LIQPAY_API_URL", "https://sandbox.test/api")
    assert make_settings().liqpay_api_url == "https://sandbox.test/api/"


@pytest.mark.usefixtures("clean_env")
def test_checkbox_api_url_loses_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_settings(checkbox_api_url="http://127.0.0.1:9/").checkbox_api_url == (
        "http://127.0.0.1:9"
    )
    monkeypatch.setenv("CHECKBOX_API_URL", "https://dev-api.checkbox.test/")
    assert make_settings().checkbox_api_url == "https://dev-api.checkbox.test"


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("", frozenset()),
        ("123", frozenset({123})),
        ("1, 2,3", frozenset({1, 2, 3})),
        (" 10 ,20, ", frozenset({10, 20})),
    ],
)
def test_owner_ids(text: str, ids: frozenset[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OWNER_IDS", text)
    assert make_settings().owner_id_set == ids


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("text", ["abc", "1;2", "12,x", "1.5"])
def test_owner_ids_refused(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OWNER_IDS", text)
    with pytest.raises(ValidationError) as caught:
        make_settings()
    assert describe_settings_error(caught.value).startswith("OWNER_IDS is invalid")


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    "base", ["https://bot.example.com", "https://bot.example.com/", "https://h.example/sub/"]
)
def test_callback_url(base: str) -> None:
    url = make_settings(public_base_url=base).callback_url
    assert url is not None
    assert url == base.rstrip("/") + "/liqpay/callback"
    assert "//liqpay" not in url


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("base", ["", "   "])
def test_empty_public_base_url_means_no_callback(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", base)
    settings = make_settings()
    assert settings.public_base_url is None
    assert settings.callback_url is None


@pytest.mark.usefixtures("clean_env")
def test_empty_secret_key_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "")
    assert make_settings().secret_key is None


@pytest.mark.usefixtures("clean_env")
def test_missing_token_message() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)  # type: ignore[call-arg]
    message = describe_settings_error(caught.value)
    assert "BOT_TOKEN is not set" in message
    assert "BotFather" in message


# secret box


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    first = make_secret_box(None, directory)
    key_file = directory / KEY_FILE_NAME
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    content = key_file.read_bytes()
    token = first.encrypt("sandbox_private_key")

    second = make_secret_box(None, directory)
    assert key_file.read_bytes() == content  # not regenerated
    assert second.decrypt(token) == "sandbox_private_key"


def test_key_files_in_different_directories_differ(tmp_path: Path) -> None:
    token = make_secret_box(None, tmp_path / "a").encrypt("x")
    with pytest.raises(SecretKeyMismatch):
        make_secret_box(None, tmp_path / "b").decrypt(token)


def test_secret_key_setting_as_fernet_key(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    box = make_secret_box(key.decode(), tmp_path)
    assert not (tmp_path / KEY_FILE_NAME).exists()  # no file when the setting is given
    token = box.encrypt("private")
    assert Fernet(key).decrypt(token) == b"private"  # the key is used as is
    assert make_secret_box(f" {key.decode()}\n", tmp_path).decrypt(token) == "private"


def test_secret_key_setting_as_arbitrary_string(tmp_path: Path) -> None:
    box = make_secret_box("correct horse battery staple", tmp_path)
    assert not (tmp_path / KEY_FILE_NAME).exists()
    token = box.encrypt("private")
    assert box.decrypt(token) == "private"
    # Stable across restarts: the same string gives the same key.
    assert make_secret_box("correct horse battery staple", tmp_path).decrypt(token) == "private"
    with pytest.raises(SecretKeyMismatch):
        make_secret_box("another string", tmp_path).decrypt(token)


def test_decrypt_with_another_key_raises_without_the_plaintext() -> None:
    plaintext = "sandbox_TOP_SECRET_private_key_value"
    token = SecretBox(Fernet.generate_key()).encrypt(plaintext)
    other = SecretBox(Fernet.generate_key())
    with pytest.raises(SecretKeyMismatch) as caught:
        other.decrypt(token)
    assert plaintext not in str(caught.value)
    assert plaintext not in repr(caught.value)
    assert "SECRET_KEY" in str(caught.value)


def test_secret_box_repr_hides_key() -> None:
    key = Fernet.generate_key()
    assert key.decode() not in repr(SecretBox(key))


def test_unknown_log_level_gives_one_line(tmp_path: Path) -> None:
    result = run_bot(tmp_path, BOT_TOKEN="123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", LOG_LEVEL="LOUD")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "LOG_LEVEL" in single_line(result.stderr)


def test_unusable_database_path_gives_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    result = run_bot(
        tmp_path,
        BOT_TOKEN="123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        DATABASE_PATH=str(tmp_path / "file" / "bot.sqlite3"),
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "DATABASE_PATH" in result.stderr.strip().splitlines()[-1]


# limits on numbers: refused with one line naming the setting


def refusal(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        make_settings(**values)
    message = describe_settings_error(caught.value)
    assert "\n" not in message
    assert "Value error" not in message  # pydantic's prefix is not for people
    return message


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    "text", ["0.001", "0", "-5", "1e30", "NaN", "inf", "-inf", "1.005", "10000000.01", "abc"]
)
def test_max_invoice_amount_refused(text: str) -> None:
    message = refusal(max_invoice_amount=text)
    assert message.startswith("MAX_INVOICE_AMOUNT is invalid"), message


@pytest.mark.usefixtures("clean_env")
def test_max_invoice_amount_says_what_is_allowed() -> None:
    message = refusal(max_invoice_amount="0.001")
    assert "0.01" in message
    assert "10000000" in message
    assert "two decimals" in message


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    ("text", "kopecks"),
    [("0.01", 1), ("250.50", 25050), ("100.000", 10000), ("1e3", 100000), ("10000000", 10**9)],
)
def test_max_invoice_amount_accepted(text: str, kopecks: int) -> None:
    assert make_settings(max_invoice_amount=text).max_invoice_kopecks == kopecks


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("text", ["inf", "nan", "1e30", "0", "0.5", "-1", "3601", "soon"])
def test_status_poll_interval_refused(text: str) -> None:
    assert refusal(status_poll_interval=text).startswith("STATUS_POLL_INTERVAL is invalid")


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("text", ["1", "60", "3600"])
def test_status_poll_interval_accepted(text: str) -> None:
    assert make_settings(status_poll_interval=text).status_poll_interval == float(text)


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("text", ["abc", "0", "65536", "-1", "80.5", "8080x"])
def test_http_port_refused(text: str) -> None:
    assert refusal(http_port=text).startswith("HTTP_PORT is invalid")


# URLs


URL_SETTINGS = [
    "telegram_api_url",
    "liqpay_api_url",
    "sms_api_url",
    "public_base_url",
    "webhook_url",
]
PUBLIC_URL_SETTINGS = ["public_base_url", "webhook_url"]


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("name", URL_SETTINGS)
@pytest.mark.parametrize(
    "text",
    ["not a url", "localhost:8081", "ftp://files.example", "https://", "https://host:port", "/api"],
)
def test_url_refused(name: str, text: str) -> None:
    message = refusal(**{name: text})
    assert message.startswith(f"{name.upper()} is invalid: must be an absolute"), message
    assert "URL with a host" in message


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("name", PUBLIC_URL_SETTINGS)
@pytest.mark.parametrize("text", ["http://bot.example.com", "http://10.0.0.5:8080/hook"])
def test_public_url_must_be_https_off_this_machine(name: str, text: str) -> None:
    message = refusal(**{name: text})
    assert message.startswith(f"{name.upper()} is invalid"), message
    assert "https" in message
    assert "127.0.0.1" in message
    assert "localhost" in message


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("name", PUBLIC_URL_SETTINGS)
@pytest.mark.parametrize(
    "text",
    ["https://bot.example.com/hook", "http://127.0.0.1:8080/hook", "http://localhost:81/h"],
)
def test_public_url_accepted(name: str, text: str) -> None:
    assert getattr(make_settings(**{name: text}), name) == text


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("name", ["telegram_api_url", "liqpay_api_url", "sms_api_url"])
def test_api_urls_may_be_plain_http(name: str) -> None:
    assert getattr(make_settings(**{name: "http://10.0.0.5:8081/x/"}), name).startswith(
        "http://10.0.0.5:8081/x"
    )


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("text", ["https://bot.example.com/?a=1", "https://bot.example.com/#x"])
def test_public_base_url_takes_no_query(text: str) -> None:
    assert "PUBLIC_BASE_URL is invalid" in refusal(public_base_url=text)


@pytest.mark.usefixtures("clean_env")
def test_a_refused_url_is_not_echoed() -> None:
    message = refusal(sms_api_url="https://user:S3CRET word@sms.example")
    assert "S3CRET" not in message


# .env


@pytest.mark.usefixtures("clean_env")
def test_env_file_with_an_invalid_utf8_byte(tmp_path: Path) -> None:
    # Valid UTF-8 (Кава) up to a Latin-1 byte on line 3, as an editor in cp1252 would save it.
    (tmp_path / ".env").write_bytes(
        f"BOT_TOKEN={GOOD_TOKEN}\n# Кава\nSHOP=caf".encode() + b"\xe9\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message == f"{tmp_path / '.env'} is not UTF-8 text (an invalid byte on line 3): " + (
        "save it as UTF-8."
    )
    assert GOOD_TOKEN not in message


@pytest.mark.usefixtures("clean_env")
def test_env_file_values_are_checked(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={GOOD_TOKEN}\nMAX_INVOICE_AMOUNT=0.001\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith("MAX_INVOICE_AMOUNT is invalid")


@pytest.mark.usefixtures("clean_env")
def test_env_file_is_loaded(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={GOOD_TOKEN}\nMAX_INVOICE_AMOUNT=250.50\n", encoding="utf-8"
    )
    assert load_settings().max_invoice_kopecks == 25050


def test_env_file_with_an_invalid_utf8_byte_gives_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"BOT_TOKEN=" + GOOD_TOKEN.encode() + b"\nX=\xff\n")
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = single_line(result.stderr)
    assert ".env is not UTF-8 text" in line
    assert GOOD_TOKEN not in result.stderr + result.stdout


# several replicas on one database share one SECRET_KEY


@pytest.mark.usefixtures("clean_env")
def test_database_url_without_secret_key_is_refused() -> None:
    message = refusal(database_url="postgresql://bot:S3cretPw@db/shop")
    assert message.startswith("SECRET_KEY is required with DATABASE_URL"), message
    assert "replica" in message
    assert "S3cretPw" not in message


@pytest.mark.usefixtures("clean_env")
def test_database_url_with_secret_key_is_accepted() -> None:
    settings = make_settings(database_url="postgresql://bot:pw@db/shop", secret_key="k" * 32)
    assert settings.database_url is not None


def test_python_m_bot_with_database_url_and_no_secret_key_exits_2(tmp_path: Path) -> None:
    url = "postgresql://bot:S3cretPw@127.0.0.1:1/shop"
    result = run_bot(tmp_path, BOT_TOKEN=GOOD_TOKEN, DATABASE_URL=url)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = single_line(result.stderr)
    assert line.startswith("SECRET_KEY is required with DATABASE_URL"), line
    assert "S3cretPw" not in result.stderr + result.stdout
    assert not (tmp_path / "data").exists()  # nothing was started
