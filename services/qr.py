from __future__ import annotations

import io

import segno
from segno import DataOverflowError

__all__ = ["DataOverflowError", "qr_png"]


def qr_png(url: str) -> bytes:
    """A PNG QR code big enough to scan off a phone screen."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=3)
    return buffer.getvalue()
