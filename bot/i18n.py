"""gettext catalogs (Babel). Message ids are English; `locales/uk` holds the Ukrainian.

The .po files are compiled in memory at start, so a clean clone needs no manual build step,
no compiled file is kept in git, and nothing is written to disk.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path
from typing import Any

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "uk"
LANGUAGES = ("uk", "en")


def load_catalogs(source: Path = LOCALES_DIR) -> dict[str, gettext.GNUTranslations]:
    """Every `<locale>/LC_MESSAGES/messages.po` under `source`, compiled in memory."""
    translations: dict[str, gettext.GNUTranslations] = {}
    for po_path in source.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        translations[locale] = gettext.GNUTranslations(compiled)
    return translations


class SourceI18n(I18n):
    """aiogram's I18n, reading the .po sources instead of compiled .mo files."""

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        return load_catalogs(self.path)


_i18n: I18n | None = None


def setup_i18n() -> I18n:
    global _i18n
    if _i18n is None:
        _i18n = SourceI18n(path=LOCALES_DIR, default_locale=DEFAULT_LOCALE, domain=DOMAIN)
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
