"""Configuration from the environment and an optional `.env` file."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    liqpay_api_url: str = "https://www.liqpay.ua/api/"
    sms_api_url: str = "https://api.turbosms.ua"
    database_path: Path = Path("data/bot.sqlite3")
    redis_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    public_base_url: str | None = None
    webhook_url: str | None = None
    secret_key: SecretStr | None = None
    owner_ids: str = ""
    status_poll_interval: float = Field(default=60.0, gt=0)
    max_invoice_amount: Decimal = Field(default=Decimal(100000), gt=0)
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
        return value if value.endswith("/") else value + "/"

    @field_validator("telegram_api_url", "sms_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("public_base_url", "webhook_url", "secret_key", "redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

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
            if field:
                return f"{field} is invalid: {err.get('msg', 'bad value')}"
    return f"Configuration error: {type(exc).__name__}"
