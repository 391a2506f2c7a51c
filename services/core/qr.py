"""The QR code a customer scans to pay, as a PNG.

Written here from segno's module matrix rather than by segno's PNG writer: that one walks
every pixel in Python (about 20 ms for one code, on the event loop); this scales whole rows
as bytes and takes well under a millisecond. The picture is the same: black modules on
white, `SCALE` pixels a module, a quiet zone of `BORDER` modules.
"""

from __future__ import annotations

import struct
import zlib

import segno
from segno import DataOverflowError

__all__ = ["BORDER", "SCALE", "DataOverflowError", "qr_png"]

SCALE = 8  # pixels a module: big enough to scan off a phone screen
BORDER = 3  # modules of quiet zone on each side


def qr_png(url: str) -> bytes:
    """A PNG QR code (1-bit greyscale) big enough to scan off a phone screen."""
    matrix = segno.make(url, error="m").matrix
    modules = len(matrix) + 2 * BORDER
    width = modules * SCALE
    white_row = b"\x00" + _packed([0] * modules)  # filter byte "none", then the pixels
    rows = [white_row] * (BORDER * SCALE)
    for line in matrix:
        row = b"\x00" + _packed([0] * BORDER + [1 if dark else 0 for dark in line] + [0] * BORDER)
        rows += [row] * SCALE
    rows += [white_row] * (BORDER * SCALE)
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )


def _packed(dark: list[int]) -> bytes:
    """One pixel row, `SCALE` pixels a module, 8 pixels a byte; 0 is black in greyscale."""
    bits = "".join(("0" if d else "1") * SCALE for d in dark)
    bits += "0" * (-len(bits) % 8)  # padding bits of the last byte (not shown)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
