"""Entry point: `python -m bot`."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import sys
from urllib.parse import unquote, urlsplit

from services.config import ConfigError, Settings, load_settings

# Everything this process creates holds customers' data or secrets: the data folder, the
# database and the -wal/-shm files SQLite adds later, secret.key. The store and the key file
# set their own modes (0600, folder 0700) whatever the umask; this makes any other file the
# bot may write private too, instead of 0644 under a usual shell's umask of 022.
PRIVATE_UMASK = 0o077


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
    os.umask(PRIVATE_UMASK)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact = _RedactFilter([settings.bot_token.get_secret_value(), *_url_secrets(settings)])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)

    from bot.app import AlreadyRunning, run
    from bot.wiring import StartupError
    from storage.open import DatabaseUnavailable

    try:
        asyncio.run(run(settings))
    except KeyboardInterrupt:
        pass
    except AlreadyRunning as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    except StartupError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
    except DatabaseUnavailable as exc:
        print(f"Cannot start with DATABASE_URL: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except (OSError, sqlite3.Error) as exc:  # the store and key file say it better; a safety net
        reason = getattr(exc, "strerror", None) or exc
        print(f"Cannot start: {reason}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
