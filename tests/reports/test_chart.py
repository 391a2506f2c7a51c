"""The paid-per-day chart: a real PNG of the right size, lettered only by the caller."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import numpy as np
import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from services.reports.chart import (
    HEIGHT_PX,
    WIDTH_PX,
    ChartLabels,
    build_figure,
    day_ticks,
    group_thousands,
    render_paid_chart,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UK = ChartLabels(
    title="Оплачено, 01.11.2026–30.11.2026",
    y_caption="Сума",
    x_caption="День",
    currency="грн",
    empty_note="Оплат немає",
)


def month(first: date = date(2026, 11, 1), count: int = 30) -> dict[date, int]:
    return {first + timedelta(days=i): (i * 7919 % 50) * 12_345 for i in range(count)}


def decode(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def colours(pixels: np.ndarray) -> int:
    packed = pixels.astype(np.uint32)
    return len(np.unique(packed[..., 0] << 16 | packed[..., 1] << 8 | packed[..., 2]))


def test_month_chart_is_a_png_of_phone_size() -> None:
    png = render_paid_chart(month(), UK)
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 10_000
    pixels = decode(png)
    assert pixels.shape == (HEIGHT_PX, WIDTH_PX, 3) == (720, 1080, 3)
    assert colours(pixels) > 20  # bars, text, grid: not a blank picture
    bar_green = np.all(pixels == (0x2E, 0x7D, 0x32), axis=-1)
    assert bar_green.mean() > 0.05  # the bars take real room


def test_one_bar_per_day_with_the_day_numbers() -> None:
    figure = build_figure(month(count=31, first=date(2026, 12, 1)), UK)
    axes = figure.axes[0]
    bars = [p for p in axes.patches if isinstance(p, Rectangle)]
    assert len(bars) == 31
    figure.canvas.draw()
    ticks = [t.get_text() for t in axes.get_xticklabels()]
    assert ticks == [str(d) for d in range(1, 32)]


def test_bar_heights_are_the_amounts_in_currency_units() -> None:
    daily = {date(2026, 11, 1): 125_050, date(2026, 11, 2): 0, date(2026, 11, 3): 1}
    bars = build_figure(daily, UK).axes[0].patches
    assert [b.get_height() for b in bars] == pytest.approx([1250.5, 0, 0.01])


def test_every_word_comes_from_the_labels() -> None:
    """No English (or any other words) baked in: the rest is numbers."""
    figure = build_figure(month(), UK)
    figure.canvas.draw()
    texts = {t.get_text() for t in figure.findobj(Text) if t.get_text()}
    worded = {t for t in texts if not re.fullmatch(r"[\d\s.,\u00a0]+", t)}
    assert worded == {UK.title, "Сума, грн", UK.x_caption}
    assert any("\u00a0" in t for t in texts)  # grouped thousands on the y axis


def test_y_axis_amounts_are_grouped_hryvnias() -> None:
    figure = build_figure({date(2026, 11, 1): 4_000_000_00}, UK)  # 4 000 000 UAH
    figure.canvas.draw()
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels() if t.get_text()]
    assert "0" in ticks
    assert "4\u00a0000\u00a0000" in ticks
    assert all(re.fullmatch(r"\d{1,3}(\u00a0\d{3})*", t) for t in ticks)


def test_small_sums_show_kopecks_on_every_tick() -> None:
    figure = build_figure({date(2026, 11, 1): 350, date(2026, 11, 2): 120}, UK)
    figure.canvas.draw()
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels() if t.get_text()]
    assert ticks
    assert all(re.fullmatch(r"\d+,\d{2}", t) for t in ticks)


def test_empty_period_still_renders_with_the_note() -> None:
    empty = dict.fromkeys(month(), 0)
    with_note = render_paid_chart(empty, UK)
    assert with_note.startswith(PNG_SIGNATURE)
    pixels = decode(with_note)
    assert pixels.shape == (720, 1080, 3)
    assert colours(pixels) > 5
    without_note = decode(render_paid_chart(empty, ChartLabels("Оплачено", "Сума", "День", "грн")))
    assert not np.array_equal(pixels, without_note)  # the note is drawn
    texts = {t.get_text() for t in build_figure(empty, UK).findobj(Text)}
    assert UK.empty_note in texts


def test_no_days_at_all_still_renders() -> None:
    png = render_paid_chart({}, UK)
    assert decode(png).shape == (720, 1080, 3)


def test_the_note_is_not_drawn_over_payments() -> None:
    texts = {t.get_text() for t in build_figure(month(), UK).findobj(Text)}
    assert UK.empty_note not in texts


def test_ticks_for_a_range_across_months() -> None:
    days = [date(2026, 10, 30) + timedelta(days=i) for i in range(5)]
    positions, labels = day_ticks(days)
    assert positions == [0, 1, 2, 3, 4]
    assert labels == ["30.10", "", "1.11", "", "3"]


def test_ticks_for_long_ranges() -> None:
    days = [date(2026, 10, 1) + timedelta(days=i) for i in range(50)]
    positions, labels = day_ticks(days)
    assert len(labels) <= 10
    assert labels[0] == "1.10"
    year = [date(2025, 11, 28) + timedelta(days=i) for i in range(366)]
    positions, labels = day_ticks(year)
    assert labels == ["1.12", "1.01", *(f"1.{m:02d}" for m in range(2, 12))]
    assert all(year[p].day == 1 for p in positions)


def test_a_year_renders() -> None:
    year = {date(2025, 11, 28) + timedelta(days=i): i * 100 for i in range(366)}
    assert decode(render_paid_chart(year, UK)).shape == (720, 1080, 3)


@pytest.mark.parametrize(
    ("units", "decimals", "text"),
    [
        (0, 0, "0"),
        (999, 0, "999"),
        (1250, 0, "1\u00a0250"),
        (4_000_000, 0, "4\u00a0000\u00a0000"),
        (2.5, 2, "2,50"),
        (1234.5, 2, "1\u00a0234,50"),
    ],
)
def test_group_thousands(units: float, decimals: int, text: str) -> None:
    assert group_thousands(units, decimals) == text
