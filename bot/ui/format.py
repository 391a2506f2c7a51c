"""Formatting every feature shares: Telegram HTML escaping and Kyiv time."""

from __future__ import annotations

import html
from datetime import datetime

from services.core.periods import KYIV


def escape(text: str) -> str:
    """Text for Telegram HTML (quotes need no escaping there)."""
    return html.escape(text, quote=False)


def kyiv_time(moment: datetime) -> str:
    return moment.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")
