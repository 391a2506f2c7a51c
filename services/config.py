"""Configuration from the environment and an optional `.env` file."""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,20}$")
POSTGRES_SCHEMES = ("postgresql", "postgres")

ENV_FILE = ".env"

# No LiqPay limit is documented; a small shop's invoice above ten million (UAH, USD or EUR)
# is a typo, and a bound keeps kopeck counts far from anything that overflows.
MAX_INVOICE_AMOUNT_LIMIT = Decimal(10_000_000)
MIN_INVOICE_AMOUNT = Decimal("0.01")
# Sweeps faster than a second hammer LiqPay; slower than an hour leave payments unseen for
# too long when polling is the only way to learn of them.
POLL_INTERVAL_RANGE = (1.0, 3600.0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    liqpay_api_url: str = "https://www.liqpay.ua/api/"
    sms_api_url: str = "https://api.turbosms.ua"
    checkbox_api_url: str = "https://api.checkbox.ua"
    database_path: Path = Path("data/bot.sqlite3")
    database_url: SecretStr | None = None  # PostgreSQL; may hold a password: never shown
    redis_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    public_base_url: str | None = None
    webhook_url: str | None = None
    secret_key: SecretStr | None = None
    owner_ids: str = ""
    status_poll_interval: float = Field(default=60.0, allow_inf_nan=False)
    max_invoice_amount: Decimal = Field(default=Decimal(100000), allow_inf_nan=False)
    log_level: str = "INFO"

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("malformed")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("liqpay_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        value = absolute_url(value, example="https://www.liqpay.ua/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("telegram_api_url", "sms_api_url", "checkbox_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str, info: ValidationInfo) -> str:
        example = str(cls.model_fields[info.field_name or ""].default)
        return absolute_url(value, example=example).rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        url = value.get_secret_value().strip()
        try:
            scheme = urlsplit(url).scheme
        except ValueError:
            scheme = ""
        if scheme.lower() not in POSTGRES_SCHEMES:
            # The scheme is no secret; the rest (user, password, host) is never echoed.
            named = f", not {scheme}://" if _SCHEME_RE.match(scheme) else ""
            raise ValueError(
                f"use postgresql://user:password@host:5432/database{named} "
                "(or leave it unset for SQLite at DATABASE_PATH)"
            )
        return SecretStr(url)

    @field_validator(
        "public_base_url",
        "webhook_url",
        "secret_key",
        "database_url",
        "redis_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_base_url", "webhook_url")
    @classmethod
    def _public_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        # LiqPay and Telegram post payments and updates there: only TLS keeps them private.
        if info.field_name == "public_base_url":
            return absolute_url(value, example="https://bot.example.com", public=True, base=True)
        return absolute_url(value, example="https://bot.example.com/telegram/webhook", public=True)

    @field_validator("status_poll_interval")
    @classmethod
    def _sane_interval(cls, value: float) -> float:
        low, high = POLL_INTERVAL_RANGE
        if not low <= value <= high:
            raise ValueError(f"seconds between sweeps, from {low:g} to {high:g}")
        return value

    @field_validator("max_invoice_amount")
    @classmethod
    def _sane_amount(cls, value: Decimal) -> Decimal:
        if not MIN_INVOICE_AMOUNT <= value <= MAX_INVOICE_AMOUNT_LIMIT or value != value.quantize(
            MIN_INVOICE_AMOUNT
        ):
            raise ValueError(
                f"an amount in the shop's currency from {MIN_INVOICE_AMOUNT} to "
                f"{MAX_INVOICE_AMOUNT_LIMIT} with at most two decimals, e.g. 100000 or 2500.50"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_shape(cls, value: str | None) -> str | None:
        # The message never repeats the value: a Redis URL may carry a password.
        if value is None:
            return None
        value = value.strip()
        shape = "use redis://[:password@]host[:port][/db], rediss://… or unix:///path/to/socket"
        try:
            parts = urlsplit(value)
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            raise ValueError(shape) from None
        if parts.scheme in ("redis", "rediss"):
            db = parts.path.lstrip("/")
            if not parts.hostname or not port_ok or (db and not db.isdigit()):
                raise ValueError(shape)
        elif parts.scheme == "unix":
            if not parts.path:
                raise ValueError(shape)
        else:
            raise ValueError(shape)
        return value

    @field_validator("owner_ids")
    @classmethod
    def _owner_ids_are_numbers(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip() and not part.strip().lstrip("-").isdigit():
                raise ValueError(f"not a Telegram user id: {part.strip()!r}")
        return value

    @model_validator(mode="after")
    def _shared_database_needs_secret_key(self) -> Settings:
        # Replicas on one database must read each other's encrypted LiqPay keys: a key file
        # generated by each process would make every other replica's keys unreadable.
        if self.database_url is not None and self.secret_key is None:
            raise ValueError(REPLICAS_NEED_ONE_CIPHER)
        return self

    @property
    def owner_id_set(self) -> frozenset[int]:
        return frozenset(int(p) for p in self.owner_ids.split(",") if p.strip())

    @property
    def callback_url(self) -> str | None:
        if not self.public_base_url:
            return None
        return self.public_base_url.rstrip("/") + CALLBACK_PATH

    @property
    def max_invoice_kopecks(self) -> int:
        return int(self.max_invoice_amount * 100)


CALLBACK_PATH = "/liqpay/callback"
REPLICAS_NEED_ONE_CIPHER = (
    "SECRET_KEY is required with DATABASE_URL: every replica on that database must encrypt "
    "and read the shops' LiqPay keys with the same key (a key file made by each process "
    "would not be shared); set SECRET_KEY to one long random string on every replica."
)


def describe_settings_error(exc: Exception) -> str:
    """One line for a person, never echoing a secret's value."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        for err in errors():
            field = str(err["loc"][0]).upper() if err.get("loc") else ""
            if field == "BOT_TOKEN":
                if err["type"] == "missing":
                    return (
                        "BOT_TOKEN is not set: create a bot with @BotFather "
                        "(https://t.me/BotFather) and put its token in .env or the environment."
                    )
                return (
                    "BOT_TOKEN is malformed: it looks like 123456789:AA... and comes from "
                    "@BotFather (https://t.me/BotFather)."
                )
            if not field and REPLICAS_NEED_ONE_CIPHER in str(err.get("msg", "")):
                return REPLICAS_NEED_ONE_CIPHER
            if field:
                message = str(err.get("msg", "bad value")).removeprefix("Value error, ")
                return f"{field} is invalid: {message}"
    return f"Configuration error: {type(exc).__name__}"


def absolute_url(value: str, *, example: str, public: bool = False, base: bool = False) -> str:
    """`value` if it is an absolute http(s) URL with a host, else a ValueError saying what is
    expected (never echoing the value). A `public` one is https (plain http only on this
    machine); a `base` one has no query or fragment, as paths are appended to it."""
    value = value.strip()
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - parsing it is the check
        well_formed = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a port that is not a number
        well_formed = False
    if any(ch.isspace() for ch in value) or not well_formed:
        if public:
            raise ValueError(
                f"must be an absolute https URL with a host, e.g. {example} "
                "(http only for 127.0.0.1 or localhost)"
            )
        raise ValueError(f"must be an absolute http(s) URL with a host, e.g. {example}")
    if public and parts.scheme != "https" and not _is_loopback(parts.hostname or ""):
        raise ValueError(
            "must be an https URL: plain http is allowed only for 127.0.0.1 or localhost"
        )
    if base and (parts.query or parts.fragment):
        raise ValueError("must be a base address without ?query or #fragment")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConfigError(Exception):
    """A setting a person must fix, said in one line that never echoes a value."""


def load_settings() -> Settings:
    """Settings from the environment and `.env`, or a ConfigError saying what to fix."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(describe_settings_error(exc)) from None
    except UnicodeDecodeError:
        raise ConfigError(_describe_undecodable_env_file()) from None
    except OSError as exc:
        path = Path.cwd() / ENV_FILE
        raise ConfigError(f"{path} cannot be read ({exc.strerror or exc}).") from None


def _describe_undecodable_env_file() -> str:
    path = Path.cwd() / ENV_FILE
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        return f"{path} is not UTF-8 text (an invalid byte on line {line}): save it as UTF-8."
    except OSError:
        pass
    return f"The configuration is not UTF-8 text: save {path} as UTF-8."
