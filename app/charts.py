"""Small SVG charts for the dashboard: lines, a service timeline, bars and networks.

Each chart is a frozen record (:class:`LineChart`, :class:`TimelineChart`,
:class:`NetworkChart`, :class:`BarChart`) drawn by :func:`svg` for the live page, or with
matplotlib for the PNG download (:mod:`app.export`). Other records may draw themselves (a
``to_svg()`` and a ``draw(ax)`` method), e.g. :class:`app.scatter.ScatterChart`. The building
blocks (ticks, frames, axes, legends; why SVG) are in :mod:`app.svg`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.svg import (
    INK,
    PALETTE,
    Frame,
    Series,
    axes,
    data_range,
    escape,
    legend,
    legend_height,
    markers,
    polyline_points,
    short_number,
    svg_open,
)


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    test_id: str,
    width: int = 520,
    height: int = 270,
    y_range: tuple[float, float] | None = None,
    x_range: tuple[float, float] | None = None,
    y_ticks: Sequence | None = None,
) -> str:
    """A line chart of bounded series, with a legend and axes; returns an SVG string."""
    labels = [(s.label, s.color, s.dashed) for s in series if not s.points]
    top = 34 + legend_height(labels, width)
    xr = x_range or data_range([s.x for s in series], pad=0.0)
    yr = y_range or data_range([s.y for s in series])
    frame = Frame(width, height + top - 30, xr, yr, top=top)
    parts = [svg_open(frame.width, frame.height, title, test_id)]
    parts.append(axes(frame, x_label, y_label, y_ticks=y_ticks))
    for s in series:
        if s.points:
            parts.append(markers(frame, s))
            continue
        dash = ' stroke-dasharray="6,4"' if s.dashed else ""
        points = polyline_points(frame, s.x, s.y, s.steps)
        parts.append(
            f'<polyline fill="none" stroke="{s.color}" stroke-width="2"{dash} '
            f'points="{points}"><title>{escape(s.label)}</title></polyline>'
        )
    parts.append(legend(labels, width, frame.left))
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Band:
    """One stretch of a timeline row: from query ``start`` to ``end`` in a category."""

    row: int
    start: float
    end: float
    category: str
    tooltip: str = ""


def timeline_chart(
    rows: Sequence[str],
    bands: Sequence[Band],
    categories: dict[str, str],
    *,
    title: str,
    x_label: str,
    x_range: tuple[float, float],
    test_id: str,
    marks: Sequence[tuple[float, str]] = (),
    width: int = 520,
) -> str:
    """Horizontal bands per row (who is served, and how), with labelled vertical marks."""
    swatches = [(name, colour, False) for name, colour in categories.items()]
    top = 48 + legend_height(swatches, width)
    height = top + 34 + 26 * len(rows)
    frame = Frame(width, height, x_range, (0.0, float(len(rows))), left=78, top=top)
    parts = [svg_open(width, height, title, test_id)]
    parts.append(axes(frame, x_label, "", y_ticks=[]))
    for i, name in enumerate(rows):
        y = float(frame.py(len(rows) - i - 0.5))
        parts.append(
            f'<text x="{frame.left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="{INK}">{escape(name)}</text>'
        )
    row_height = (frame.height - frame.top - frame.bottom) / max(1, len(rows))
    for band in bands:
        x0, x1 = float(frame.px(band.start)), float(frame.px(band.end))
        y = float(frame.py(len(rows) - band.row)) + 3
        parts.append(
            f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 1.5):.1f}" '
            f'height="{row_height - 6:.1f}" fill="{categories.get(band.category, "#999")}" '
            f'data-category="{escape(band.category)}"><title>{escape(band.tooltip)}</title></rect>'
        )
    for k, (x, label) in enumerate(marks):
        px = float(frame.px(x))
        parts.append(
            f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{frame.top - 12 + 10 * (k % 2)}" '
            f'y2="{frame.height - frame.bottom}" stroke="{INK}" stroke-dasharray="3,3"/>'
            f'<text x="{px + 2:.1f}" y="{frame.top - 3 - 10 * (k % 2)}" font-size="9" '
            f'fill="{INK}">{escape(label)}</text>'
        )
    parts.append(legend(swatches, width, frame.left))
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Node:
    """A network node: position in [0, 1]^2, label, colour, radius and tooltip."""

    key: object
    x: float
    y: float
    label: str
    color: str = PALETTE[0]
    radius: float = 16.0
    tooltip: str = ""
    ring: bool = False


@dataclass(frozen=True)
class Edge:
    """A network edge from ``source`` to ``target`` (keys), drawn ``width`` pixels wide."""

    source: object
    target: object
    width: float = 1.5
    label: str = ""
    arrow: bool = False
    color: str = "#888888"


@dataclass(frozen=True)
class Network:
    """Nodes and edges to draw."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = field(default_factory=tuple)


def network_chart(
    network: Network,
    *,
    title: str,
    test_id: str,
    width: int = 520,
    height: int = 300,
    caption: str = "",
) -> str:
    """Nodes at given positions joined by edges of given widths (arrows optional)."""
    pad = 40
    where = {
        n.key: (pad + n.x * (width - 2 * pad), 36 + pad / 2 + (1 - n.y) * (height - 36 - 1.5 * pad))
        for n in network.nodes
    }
    radius = {n.key: n.radius for n in network.nodes}
    parts = [svg_open(width, height, title, test_id)]
    parts.append(
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#666"/></marker></defs>'
    )
    for e in network.edges:
        (x0, y0), (x1, y1) = where[e.source], where[e.target]
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        r0, r1 = radius[e.source], radius[e.target] + (2 if e.arrow else 0)
        a = (x0 + ux * r0, y0 + uy * r0)
        b = (x1 - ux * r1, y1 - uy * r1)
        marker = ' marker-end="url(#arrow)"' if e.arrow else ""
        parts.append(
            f'<line x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}" '
            f'stroke="{e.color}" stroke-width="{e.width:.2f}" stroke-linecap="round"{marker}>'
            f"<title>{escape(e.label)}</title></line>"
        )
        if e.label and not e.arrow:
            mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
            parts.append(
                f'<text x="{mx:.1f}" y="{my - 5:.1f}" text-anchor="middle" font-size="10" '
                f'fill="{INK}" paint-order="stroke" stroke="white" stroke-width="3">'
                f"{escape(e.label)}</text>"
            )
    for n in network.nodes:
        x, y = where[n.key]
        ring = ' stroke="#000" stroke-width="3"' if n.ring else ' stroke="white" stroke-width="1"'
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{n.radius}" fill="{n.color}"{ring}>'
            f"<title>{escape(n.tooltip or n.label)}</title></circle>"
            f'<text x="{x:.1f}" y="{y + n.radius + 12:.1f}" text-anchor="middle" font-size="10" '
            f'fill="{INK}">{escape(n.label)}</text>'
        )
    if caption:
        parts.append(
            f'<text x="{width / 2}" y="{height - 4}" text-anchor="middle" font-size="10" '
            f'fill="#666">{escape(caption)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    groups: Sequence[str],
    bars: Sequence[tuple[str, Sequence[float], str]],
    *,
    title: str,
    y_label: str,
    test_id: str,
    width: int = 520,
    height: int = 270,
) -> str:
    """Grouped bars: one group per entry of ``groups``; ``bars`` are (label, values, colour)."""
    values = np.array([v for _, vs, _ in bars for v in vs] + [0.0], float)
    labels = [(label, colour, False) for label, _, colour in bars]
    top = 40 + legend_height(labels, width)
    frame = Frame(width, height, (0.0, float(len(groups))), data_range([values], pad=0.1), top=top)
    parts = [svg_open(width, height, title, test_id)]
    ticks = [(i + 0.5, g) for i, g in enumerate(groups)]
    parts.append(axes(frame, "", y_label, x_ticks=ticks))
    slot = 0.8 / max(1, len(bars))
    base = float(frame.py(0.0))
    for b, (label, vals, colour) in enumerate(bars):
        for i, v in enumerate(vals):
            x0 = float(frame.px(i + 0.1 + b * slot))
            x1 = float(frame.px(i + 0.1 + (b + 1) * slot))
            y = float(frame.py(v))
            upper, size = min(y, base), abs(base - y)
            parts.append(
                f'<rect x="{x0:.1f}" y="{upper:.1f}" width="{x1 - x0 - 2:.1f}" height="{size:.1f}" '
                f'fill="{colour}"><title>{escape(label)}: {escape(short_number(v))}</title></rect>'
            )
    parts.append(legend(labels, width, frame.left))
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class LineChart:
    """A line chart to draw as SVG (live) or with matplotlib (PNG download)."""

    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    test_id: str
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class TimelineChart:
    """A timeline of bands per row, with vertical marks."""

    title: str
    x_label: str
    rows: tuple[str, ...]
    bands: tuple[Band, ...]
    categories: dict[str, str]
    x_range: tuple[float, float]
    test_id: str
    marks: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class NetworkChart:
    """Nodes and edges at fixed positions."""

    title: str
    network: Network
    test_id: str
    caption: str = ""


@dataclass(frozen=True)
class BarChart:
    """Grouped bars."""

    title: str
    y_label: str
    groups: tuple[str, ...]
    bars: tuple[tuple[str, tuple[float, ...], str], ...]
    test_id: str


def svg(chart) -> str:
    """The SVG string of any chart record above, or of a record that draws itself.

    A record with ``to_svg()`` and ``draw(ax)`` methods (e.g. :class:`app.scatter.ScatterChart`)
    draws itself, live and in the PNG download.
    """
    if hasattr(chart, "to_svg"):
        return chart.to_svg()
    if isinstance(chart, LineChart):
        return line_chart(
            chart.series,
            title=chart.title,
            x_label=chart.x_label,
            y_label=chart.y_label,
            test_id=chart.test_id,
            x_range=chart.x_range,
            y_range=chart.y_range,
        )
    if isinstance(chart, TimelineChart):
        return timeline_chart(
            chart.rows,
            chart.bands,
            chart.categories,
            title=chart.title,
            x_label=chart.x_label,
            x_range=chart.x_range,
            test_id=chart.test_id,
            marks=chart.marks,
        )
    if isinstance(chart, NetworkChart):
        return network_chart(
            chart.network, title=chart.title, test_id=chart.test_id, caption=chart.caption
        )
    if isinstance(chart, BarChart):
        return bar_chart(
            chart.groups,
            chart.bars,
            title=chart.title,
            y_label=chart.y_label,
            test_id=chart.test_id,
        )
    raise TypeError(f"not a chart: {chart!r}")
