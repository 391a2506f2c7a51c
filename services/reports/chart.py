"""A PNG bar chart of paid totals per Kyiv day, sized and lettered for a phone screen.

Every word on it comes from the caller's `ChartLabels`, so it is in the reader's language;
the module itself only writes numbers. It draws on its own `Figure` with the Agg canvas and
never touches pyplot or the global rcParams, so no display is needed and renders do not
share state. Rendering takes a CPU-bound ~0.1–0.3 s: call it through `asyncio.to_thread`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported on the first render: it adds seconds to start-up
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

WIDTH_PX, HEIGHT_PX = 1080, 720
_DPI = 100


@cache
def _font() -> FontProperties:
    """DejaVu Sans ships with matplotlib and has Cyrillic; naming it skips the font search."""
    from matplotlib.font_manager import FontProperties

    return FontProperties(family="DejaVu Sans")


_TITLE_SIZE, _CAPTION_SIZE, _TICK_SIZE, _SMALL_TICK_SIZE, _NOTE_SIZE = 26, 18, 16, 13, 24
_BAR_COLOUR, _GRID_COLOUR, _TEXT_COLOUR = "#2e7d32", "#d0d0d0", "#212121"
_MAX_DATE_LABELS = 10  # "d.mm" labels that fit side by side


@dataclass(frozen=True)
class ChartLabels:
    """Every text on the chart, in the reader's language."""

    title: str  # e.g. "Paid, 01.11.2026–30.11.2026"
    y_caption: str  # e.g. "Amount"; the currency is appended: "Amount, UAH"
    x_caption: str  # e.g. "Day"
    currency: str  # e.g. "UAH" or "грн"
    empty_note: str = ""  # shown across an empty chart, e.g. "No payments"


def group_thousands(units: float, decimals: int = 0) -> str:
    """A y-axis amount: 1250 -> "1 250", (2.5, 2) -> "2,50"; a no-break space between
    groups and a decimal comma, like services.core.money.format_amount."""
    text = f"{units:,.{decimals}f}".replace(",", "\u00a0")
    return text.replace(".", ",")


def day_ticks(days: Sequence[date]) -> tuple[list[int], list[str]]:
    """Where the x axis is labelled, and with what: each bar's day number up to a month of
    bars (with "d.mm" at the first bar and at each 1st when the period spans months, the
    bars beside those unlabelled), every
    n-th "d.mm" up to two months, and the 1st of each month beyond that."""
    if len(days) <= 31:
        spans_months = (days[0].year, days[0].month) != (days[-1].year, days[-1].month)
        dated = {i for i, d in enumerate(days) if spans_months and (i == 0 or d.day == 1)}
        labels = [
            f"{d.day}.{d.month:02d}" if i in dated
            # a "d.mm" is wider than a bar: its neighbours stay blank so nothing overlaps
            else "" if i - 1 in dated or i + 1 in dated
            else str(d.day)
            for i, d in enumerate(days)
        ]  # fmt: skip
        return list(range(len(days))), labels
    if len(days) <= 62:
        shown = list(range(0, len(days), math.ceil(len(days) / _MAX_DATE_LABELS)))
    else:
        shown = [i for i, d in enumerate(days) if d.day == 1]
    return shown, [f"{days[i].day}.{days[i].month:02d}" for i in shown]


def build_figure(daily_kopecks: Mapping[date, int], labels: ChartLabels) -> Figure:
    """The chart as a matplotlib Figure (bars in the mapping's order, one per day)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    font = _font()
    days = list(daily_kopecks)
    amounts = [daily_kopecks[d] / 100 for d in days]  # units only for drawing; sums stay exact
    figure = Figure(figsize=(WIDTH_PX / _DPI, HEIGHT_PX / _DPI), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.13, 0.14, 0.84, 0.74))
    positions = list(range(len(days)))
    if len(days) <= 62:
        axes.bar(positions, amounts, width=0.75, color=_BAR_COLOUR, zorder=2)
    else:  # hundreds of hairline bars: one filled outline draws several times faster
        edges = [p - 0.5 for p in positions] + [len(days) - 0.5]
        axes.stairs(amounts, edges, fill=True, color=_BAR_COLOUR, zorder=2)

    shown, tick_labels = day_ticks(days) if days else ([], [])
    axes.set_xticks(shown, tick_labels)
    axes.set_xlim(-0.6, max(len(days), 1) - 0.4)

    top = max(amounts, default=0)
    axes.set_ylim(0, top * 1.1 if top > 0 else 1)
    whole = top >= 10  # small sums get kopecks on the axis, all ticks alike
    decimals = 0 if whole else 2
    axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=whole, min_n_ticks=3))
    axes.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: group_thousands(value, decimals))
    )
    axes.grid(axis="y", color=_GRID_COLOUR, zorder=0)
    axes.tick_params(labelsize=_TICK_SIZE, colors=_TEXT_COLOUR)
    for tick in axes.get_yticklabels():
        tick.set_fontproperties(font)
        tick.set_fontsize(_TICK_SIZE)
    x_size = _TICK_SIZE if len(shown) <= 16 else _SMALL_TICK_SIZE  # 31 labels must not touch
    for tick in axes.get_xticklabels():
        tick.set_fontproperties(font)
        tick.set_fontsize(x_size)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)

    axes.set_title(labels.title, fontproperties=font, fontsize=_TITLE_SIZE, pad=18)
    y_caption = f"{labels.y_caption}, {labels.currency}" if labels.y_caption else labels.currency
    axes.set_ylabel(y_caption, fontproperties=font, fontsize=_CAPTION_SIZE)
    axes.set_xlabel(labels.x_caption, fontproperties=font, fontsize=_CAPTION_SIZE)
    if top == 0 and labels.empty_note:
        axes.text(
            0.5,
            0.5,
            labels.empty_note,
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontproperties=font,
            fontsize=_NOTE_SIZE,
            color="#757575",
        )
    return figure


def render_paid_chart(daily_kopecks: Mapping[date, int], labels: ChartLabels) -> bytes:
    """PNG bytes, WIDTH_PX × HEIGHT_PX: one bar per day of `daily_kopecks` (in its order,
    e.g. `Report.paid_kopecks_by_day`), amounts in `labels.currency` units on the y axis."""
    figure = build_figure(daily_kopecks, labels)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=_DPI, facecolor="white")
    return out.getvalue()
