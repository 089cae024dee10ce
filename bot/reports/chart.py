"""The chart: items by topic this period against the previous one, as a PNG.

Drawn on matplotlib's Agg canvas directly (no pyplot: no global figure state, no display),
with DejaVu Sans set explicitly because it has every Vietnamese letter; the default font
chain may pick a font without them on some machines.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from config import reports as texts
from handlers.digest import Digest
from handlers.digest_text import active_rows, period_phrase

WIDTH_INCHES = 10.0
_CURRENT_COLOUR, _PREVIOUS_COLOUR = "#c0392b", "#95a5a6"


def _figure(digest: Digest) -> Figure:
    rows = list(reversed(active_rows(digest.by_topic)))  # barh draws bottom-up: largest on top
    height = max(3.0, 1.8 + 0.55 * len(rows))
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=texts.CHART_DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(texts.CHART_TITLE.format(period=period_phrase(digest.period)), fontsize=13)
    if not rows:
        axes.set_axis_off()
        axes.text(0.5, 0.5, texts.CHART_EMPTY, ha="center", va="center", fontsize=12)
        return figure
    positions = range(len(rows))
    bar = 0.38
    current = axes.barh(
        [y + bar / 2 for y in positions],
        [row.current for row in rows],
        height=bar,
        color=_CURRENT_COLOUR,
        label=texts.CHART_CURRENT.format(label=digest.period.label),
    )
    previous = axes.barh(
        [y - bar / 2 for y in positions],
        [row.previous for row in rows],
        height=bar,
        color=_PREVIOUS_COLOUR,
        label=texts.CHART_PREVIOUS.format(label=digest.period.previous().label),
    )
    axes.bar_label(current, padding=3, fontsize=9)
    axes.bar_label(previous, padding=3, fontsize=9)
    axes.set_yticks(list(positions), [textwrap.fill(row.label, 32) for row in rows], fontsize=10)
    axes.set_xlabel(texts.CHART_X_LABEL)
    top = max(max(row.current, row.previous) for row in rows)
    axes.set_xlim(0, max(1, top) * 1.15)  # room for the value labels
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_ylim(-0.7, len(rows) - 0.3)  # one topic must not become one giant bar
    # Outside the axes, so it never hides a bar.
    figure.legend(loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    return figure


def write_chart(digest: Digest, path: Path) -> Path:
    """Draw items by topic, this period against the previous, as a PNG; returns `path`."""
    path = Path(path)
    with matplotlib.rc_context({"font.family": texts.CHART_FONT}):
        figure = _figure(digest)
        FigureCanvasAgg(figure).print_png(str(path))
    return path
