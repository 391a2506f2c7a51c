"""Names people type or Telegram gives, as others will read them."""

from __future__ import annotations

import re

# Bidi controls (embeddings, overrides, isolates, marks) reorder what a client shows, and
# zero-width characters hide what is there: "Кава\u202e052" reads as another name. Control
# characters print as nothing (and PostgreSQL text can't hold NUL).
_INVISIBLE_RE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"  # bidi controls
    "\u200b-\u200d\u2060\ufeff"  # zero-width characters
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # control characters but tab and line ends
)


def clean_name(text: str) -> str:
    """The text on one line as it shows: bidi controls and zero-width characters removed,
    each run of whitespace one space. Empty when nothing visible was there."""
    return " ".join(_INVISIBLE_RE.sub("", text).split())
