"""Small SVG charts for the dashboard: lines, a service timeline, bars and networks.

Why SVG strings and not matplotlib, Altair or Plotly: a matplotlib PNG costs about 200 ms per
frame (five plots would cap the page at one update a second); Altair needs vega scripts that
solara fetches from a CDN (the page must work with no internet); an SVG string of a few hundred
points costs well under a millisecond to build, needs no script at all in the browser and
renders crisply at any size. Every chart receives bounded data (the models record about 500
rows per run) and returns one ``<svg>`` string that a page shows with :func:`app.widgets.Svg`.

The PNG downloads use matplotlib instead (:mod:`app.export`); only the live view is SVG.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: Provider colours (colour-blind safe, Okabe-Ito), in provider order.
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#999999",
)
GRID = "#e0e0e0"
INK = "#333333"
FONT = "font-family:Roboto,Helvetica,Arial,sans-serif"


def color(index: int) -> str:
    """The palette colour of series ``index`` (cycling)."""
    return PALETTE[index % len(PALETTE)]


def escape(text: object) -> str:
    """Text safe inside SVG/HTML."""
    return html.escape(str(text), quote=True)


def short_number(value: float) -> str:
    """A compact axis label: 1.2M, 35k, 0.25, 1e-05."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.3g}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.3g}k"
    if magnitude == 0 or magnitude >= 1e-3:
        return f"{value:.4g}"
    return f"{value:.2g}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering [low, high] (1, 2, 5 x 10^k steps)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        return [low]
    raw = (high - low) / max(1, count)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    ticks = []
    for k in range(first, first + 50):
        value = k * step
        if value > high + step * 1e-9:
            break
        ticks.append(value)
    return ticks


@dataclass(frozen=True)
class Series:
    """One line of a chart.

    Attributes:
        label: legend text.
        x: x values (bounded: a few hundred points).
        y: y values, same length.
        color: CSS colour.
        dashed: draw dashed (reference lines).
        steps: draw as a step function (levels that jump).
        points: draw markers only (e.g. the current choices on a curve).
    """

    label: str
    x: np.ndarray
    y: np.ndarray
    color: str = PALETTE[0]
    dashed: bool = False
    steps: bool = False
    points: bool = False


@dataclass(frozen=True)
class Frame:
    """Plot area of a chart and the mapping from data to pixels."""

    width: int
    height: int
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    left: int = 58
    right: int = 12
    top: int = 30
    bottom: int = 38

    def px(self, x: np.ndarray) -> np.ndarray:
        """Pixel x of data x."""
        lo, hi = self.x_range
        span = hi - lo or 1.0
        return self.left + (np.asarray(x, float) - lo) / span * (
            self.width - self.left - self.right
        )

    def py(self, y: np.ndarray) -> np.ndarray:
        """Pixel y of data y."""
        lo, hi = self.y_range
        span = hi - lo or 1.0
        inner = self.height - self.top - self.bottom
        return self.height - self.bottom - (np.asarray(y, float) - lo) / span * inner


def data_range(arrays: Sequence[np.ndarray], pad: float = 0.05) -> tuple[float, float]:
    """Finite min and max over ``arrays``, padded a little (0..1 when there is no data)."""
    values = [np.asarray(a, float) for a in arrays if np.size(a)]
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.empty(0)
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if high == low:
        return low - 0.5 if low else -0.5, high + 0.5 if high else 0.5
    margin = (high - low) * pad
    return low - margin, high + margin


def svg_open(width: int, height: int, title: str, test_id: str) -> str:
    """The opening ``<svg>`` tag and the chart title."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px;{FONT}" data-testid="{escape(test_id)}" '
        f'role="img" aria-label="{escape(title)}">'
        f'<text x="{width / 2}" y="17" text-anchor="middle" font-size="13" font-weight="600" '
        f'fill="{INK}">{escape(title)}</text>'
    )


def axes(frame: Frame, x_label: str, y_label: str, x_ticks=None, y_ticks=None) -> str:
    """Grid lines, tick labels and axis titles."""
    parts = []
    y_ticks = nice_ticks(*frame.y_range) if y_ticks is None else y_ticks
    x_ticks = nice_ticks(*frame.x_range) if x_ticks is None else x_ticks
    x0, x1 = frame.left, frame.width - frame.right
    y0, y1 = frame.height - frame.bottom, frame.top
    for tick in y_ticks:
        y = float(frame.py(tick))
        parts.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="{INK}">{escape(short_number(tick))}</text>'
        )
    for tick in x_ticks:
        label = tick if isinstance(tick, tuple) else (tick, short_number(tick))
        x = float(frame.px(label[0]))
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{y0 + 13}" text-anchor="middle" font-size="10" '
            f'fill="{INK}">{escape(label[1])}</text>'
        )
    parts.append(
        f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="none" stroke="#999"/>'
    )
    parts.append(
        f'<text x="{(x0 + x1) / 2}" y="{frame.height - 6}" text-anchor="middle" font-size="11" '
        f'fill="{INK}">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text transform="translate(12,{(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" '
        f'font-size="11" fill="{INK}">{escape(y_label)}</text>'
    )
    return "".join(parts)


def polyline_points(frame: Frame, x: np.ndarray, y: np.ndarray, steps: bool) -> str:
    """The ``points`` attribute of a line (finite points only; steps hold until the next x)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if steps and x.size > 1:
        x = np.repeat(x, 2)[1:]
        y = np.repeat(y, 2)[:-1]
    px, py = frame.px(x), frame.py(y)
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))


def markers(frame: Frame, series: Series) -> str:
    """Circles at the series' points."""
    return "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{series.color}" stroke="#000" '
        f'stroke-width="1.5"><title>{escape(series.label)}</title></circle>'
        for x, y in zip(frame.px(series.x), frame.py(series.y), strict=True)
        if math.isfinite(x) and math.isfinite(y)
    )


def legend_layout(labels: Sequence[tuple[str, str, bool]], width: int) -> list[list]:
    """Legend entries split into rows that fit ``width`` pixels (about 6 px per character)."""
    rows: list[list[tuple[str, str, bool]]] = [[]]
    used = 0
    for entry in labels:
        need = 28 + 6 * len(entry[0])
        if rows[-1] and used + need > width - 70:
            rows.append([])
            used = 0
        rows[-1].append(entry)
        used += need
    return rows if rows[0] else []


def legend(labels: Sequence[tuple[str, str, bool]], width: int, left: int, top: int = 34) -> str:
    """Legend rows under the title: (label, colour, dashed) entries, 14 px per row."""
    parts = []
    for r, row in enumerate(legend_layout(labels, width)):
        x, y = left, top + 14 * r
        for label, colour, dashed in row:
            dash = ' stroke-dasharray="5,3"' if dashed else ""
            parts.append(
                f'<line x1="{x}" x2="{x + 16}" y1="{y - 3}" y2="{y - 3}" stroke="{colour}" '
                f'stroke-width="2.5"{dash}/><text x="{x + 20}" y="{y}" font-size="10" '
                f'fill="{INK}">{escape(label)}</text>'
            )
            x += 28 + 6 * len(label)
    return "".join(parts)


def legend_height(labels: Sequence[tuple[str, str, bool]], width: int) -> int:
    """Pixels the legend takes."""
    return 14 * len(legend_layout(labels, width))


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
    """The SVG string of any chart record above."""
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
