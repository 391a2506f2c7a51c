"""gettext catalogs (Babel). Message ids are English; `locales/uk` holds the Ukrainian.

The .po files are compiled at start into a temporary folder, so a clean clone needs no
manual build step and no compiled file is kept in git.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "uk"
LANGUAGES = ("uk", "en")


def compile_catalogs(source: Path = LOCALES_DIR) -> Path:
    target = Path(tempfile.mkdtemp(prefix="bot-locales-"))
    for po_path in source.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        mo_dir = target / locale / "LC_MESSAGES"
        mo_dir.mkdir(parents=True)
        with (mo_dir / f"{DOMAIN}.mo").open("wb") as fh:
            write_mo(fh, catalog)
    return target


_i18n: I18n | None = None


def setup_i18n() -> I18n:
    global _i18n
    if _i18n is None:
        _i18n = I18n(path=compile_catalogs(), default_locale=DEFAULT_LOCALE, domain=DOMAIN)
    I18n.set_current(_i18n)
    return _i18n


def locale_for(telegram_language: str | None) -> str:
    """Ukrainian first; English when Telegram says the user's language is English."""
    if telegram_language and telegram_language.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def t(msgid: str, /, locale: str | None = None, **values: Any) -> str:
    """Translate into the current (or the given) locale and fill `{named}` values."""
    text = (_i18n or setup_i18n()).gettext(msgid, locale=locale)
    return text.format(**values) if values else text


def tn(singular: str, plural: str, n: int, /, locale: str | None = None, **values: Any) -> str:
    """A text about `n` things, in the form the number takes in the locale (Ukrainian has
    three: 1 чек, 2 чеки, 5 чеків); `{n}` is filled in with the number."""
    text = (_i18n or setup_i18n()).gettext(singular, plural, n, locale=locale)
    return text.format(n=n, **values)


def N_(msgid: str) -> str:
    """Mark a message id for extraction where it is translated later."""
    return msgid
