"""SVG building blocks of the dashboard's charts: palette, ticks, frames, axes, legends.

Why SVG strings and not matplotlib, Altair or Plotly: a matplotlib PNG costs about 200 ms per
frame (five plots would cap the page at one update a second); Altair needs vega scripts that
solara fetches from a CDN (the page must work with no internet); an SVG string of a few hundred
points costs well under a millisecond to build, needs no script at all in the browser and
renders crisply at any size. Every chart receives bounded data (the models record about 500
rows per run) and returns one ``<svg>`` string that a page shows with :func:`app.widgets.Svg`.

The charts themselves are in :mod:`app.charts`; the PNG downloads use matplotlib instead
(:mod:`app.export`); only the live view is SVG.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

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
