"""The QR picture: written by services/core/qr.py itself, pixel for pixel what segno draws."""

from __future__ import annotations

import io

import pytest
import segno
from PIL import Image

from services.core.qr import BORDER, SCALE, DataOverflowError, qr_png


@pytest.mark.parametrize(
    "url",
    [
        "https://www.liqpay.ua/apipay/invoice/abc123",
        "https://www.liqpay.ua/apipay/invoice/" + "x" * 300,  # a bigger symbol
    ],
)
def test_the_png_is_segnos_picture(url: str) -> None:
    ours = Image.open(io.BytesIO(qr_png(url)))
    theirs_png = io.BytesIO()
    segno.make(url, error="m").save(theirs_png, kind="png", scale=SCALE, border=BORDER)
    theirs = Image.open(theirs_png)
    assert ours.format == "PNG"
    assert ours.size == theirs.size
    assert ours.convert("L").tobytes() == theirs.convert("L").tobytes()


def test_a_link_too_long_for_a_code_says_so() -> None:
    with pytest.raises(DataOverflowError):
        qr_png("https://example.com/" + "x" * 5000)
