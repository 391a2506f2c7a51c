"""Entry point: `python -m bot`."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from services.settings import Settings, describe_settings_error


class _RedactFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def _url_secrets(settings: Settings) -> list[str]:
    """DATABASE_URL and its password, which no log line may show."""
    if settings.database_url is None:
        return []
    url = settings.database_url.get_secret_value()
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    # a password of a few characters would blank out ordinary words: redact the URL only
    return [url, unquote(password)] if password and len(password) >= 4 else [url]


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        print(describe_settings_error(exc), file=sys.stderr)
        raise SystemExit(2) from None
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact = _RedactFilter([settings.bot_token.get_secret_value(), *_url_secrets(settings)])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)

    from bot.app import StartupError, run
    from storage.open import DatabaseUnavailable

    try:
        asyncio.run(run(settings))
    except KeyboardInterrupt:
        pass
    except StartupError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
    except DatabaseUnavailable as exc:
        print(f"Cannot start with DATABASE_URL: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except (OSError, sqlite3.Error) as exc:  # e.g. the database can't be created or opened
        reason = getattr(exc, "strerror", None) or exc
        print(
            f"Cannot start with DATABASE_PATH={settings.database_path}: {reason}", file=sys.stderr
        )
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
