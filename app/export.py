"""Downloads: the current data as CSV and the current plots as one PNG.

The live page draws SVG (:mod:`app.charts`); the PNG download draws the same chart records
with matplotlib (on the Agg canvas, no pyplot), only when the user asks for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from app.charts import BarChart, LineChart, NetworkChart, TimelineChart
from market.core.figures import PLAIN_NUMBERS, new_figure
from market.core.output import csv_bytes, png_bytes


def draw_line(ax, chart: LineChart) -> None:
    """A line chart on matplotlib axes (markers named like a line share its legend entry)."""
    lines = {s.label for s in chart.series if not s.points}
    for s in chart.series:
        if s.points:
            label = None if s.label in lines else s.label
            ax.scatter(s.x, s.y, s=50, color=s.color, edgecolors="black", zorder=3, label=label)
            continue
        style = "--" if s.dashed else "-"
        draw = ax.step if s.steps else ax.plot
        kwargs = {"where": "post"} if s.steps else {}
        draw(s.x, s.y, style, color=s.color, label=s.label, linewidth=1.6, **kwargs)
    if chart.x_range:
        ax.set_xlim(*chart.x_range)
    if chart.y_range:
        ax.set_ylim(*chart.y_range)
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(chart.y_label)
    ax.xaxis.set_major_formatter(PLAIN_NUMBERS)
    ax.yaxis.set_major_formatter(PLAIN_NUMBERS)
    if chart.series:
        ax.legend(fontsize=7)


def draw_timeline(ax, chart: TimelineChart) -> None:
    """Bands per row (broken bars) and vertical marks."""
    n = len(chart.rows)
    for band in chart.bands:
        ax.broken_barh(
            [(band.start, band.end - band.start)],
            (n - band.row - 1 + 0.1, 0.8),
            color=chart.categories.get(band.category, "#999"),
        )
    for x, label in chart.marks:
        ax.axvline(x, color="#333", linestyle=":", linewidth=0.8)
        ax.text(x, n + 0.05, label, fontsize=6, rotation=20)
    ax.set_yticks([n - i - 0.5 for i in range(n)], chart.rows)
    ax.set_xlim(*chart.x_range)
    ax.set_ylim(0, n + 0.6)
    ax.set_xlabel(chart.x_label)
    ax.xaxis.set_major_formatter(PLAIN_NUMBERS)
    handles = [ax.bar(0, 0, color=c, label=name) for name, c in chart.categories.items()]
    ax.legend(handles=handles, fontsize=6, loc="lower right")


def draw_network(ax, chart: NetworkChart) -> None:
    """Nodes and edges at their positions."""
    where = {n.key: (n.x, n.y) for n in chart.network.nodes}
    for e in chart.network.edges:
        (x0, y0), (x1, y1) = where[e.source], where[e.target]
        if e.arrow:
            ax.annotate(
                "",
                (x1, y1),
                (x0, y0),
                arrowprops={"arrowstyle": "->", "color": e.color, "lw": e.width / 2},
            )
        else:
            ax.plot([x0, x1], [y0, y1], color=e.color, linewidth=e.width / 1.5)
    for n in chart.network.nodes:
        ax.scatter(
            [n.x],
            [n.y],
            s=n.radius**2 * 1.5,
            color=n.color,
            zorder=3,
            edgecolors="black" if n.ring else "white",
            linewidths=2 if n.ring else 0.5,
        )
        ax.annotate(
            n.label,
            (n.x, n.y),
            textcoords="offset points",
            xytext=(0, -n.radius - 6),
            ha="center",
            fontsize=6,
        )
    ax.set_xlim(-0.1, 1.1)
    ax.set_ylim(-0.15, 1.1)
    ax.set_axis_off()
    if chart.caption:
        ax.set_xlabel(chart.caption)


def draw_bars(ax, chart: BarChart) -> None:
    """Grouped bars."""
    width = 0.8 / max(1, len(chart.bars))
    x = np.arange(len(chart.groups))
    for b, (label, values, colour) in enumerate(chart.bars):
        ax.bar(x - 0.4 + (b + 0.5) * width, values, width, color=colour, label=label)
    ax.set_xticks(x, chart.groups, fontsize=7)
    ax.set_ylabel(chart.y_label)
    ax.legend(fontsize=7)


DRAWERS = {
    LineChart: draw_line,
    TimelineChart: draw_timeline,
    NetworkChart: draw_network,
    BarChart: draw_bars,
}


def charts_png(charts: Sequence, title: str) -> bytes:
    """All ``charts`` in one PNG, two per row."""
    columns = 2
    rows = max(1, math.ceil(len(charts) / columns))
    figure = new_figure(11, 3.6 * rows)
    figure.suptitle(title, fontsize=10)
    for i, chart in enumerate(charts):
        ax = figure.add_subplot(rows, columns, i + 1)
        if type(chart) in DRAWERS:
            DRAWERS[type(chart)](ax, chart)
        else:
            chart.draw(ax)  # a record that draws itself
        ax.set_title(chart.title, fontsize=9)
    return png_bytes(figure)


def table_csv(table) -> bytes:
    """A DataFrame as CSV bytes."""
    return csv_bytes(table)
