"""A scatter chart of small dots in groups (one colour per group), as SVG and with matplotlib.

The record draws itself: :meth:`ScatterChart.to_svg` for the live page (called by
:func:`app.charts.svg`) and :meth:`ScatterChart.draw` on matplotlib axes for the PNG download
(called by :func:`app.export.charts_png`). Callers bound the points (a few hundred).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.svg import Frame, axes, data_range, escape, legend, legend_height, svg_open
from market.core.figures import PLAIN_NUMBERS

DOT_RADIUS = 3.2


@dataclass(frozen=True)
class PointGroup:
    """Points drawn in one colour, with a legend entry."""

    label: str
    x: np.ndarray
    y: np.ndarray
    color: str


@dataclass(frozen=True)
class ScatterChart:
    """Dots in groups, with axes, a legend and an optional caption under the plot."""

    title: str
    x_label: str
    y_label: str
    groups: tuple[PointGroup, ...]
    test_id: str
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    width: int = 520
    height: int = 300

    def to_svg(self) -> str:
        """The chart as an SVG string."""
        labels = [(g.label, g.color, False) for g in self.groups]
        top = 34 + legend_height(labels, self.width)
        xr = self.x_range or data_range([g.x for g in self.groups])
        yr = self.y_range or data_range([g.y for g in self.groups])
        frame = Frame(self.width, self.height + top - 30, xr, yr, top=top)
        parts = [svg_open(frame.width, frame.height, self.title, self.test_id)]
        parts.append(axes(frame, self.x_label, self.y_label))
        for g in self.groups:
            for x, y in zip(frame.px(g.x), frame.py(g.y), strict=True):
                if np.isfinite(x) and np.isfinite(y):
                    parts.append(
                        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{DOT_RADIUS}" fill="{g.color}" '
                        f'fill-opacity="0.8"><title>{escape(g.label)}</title></circle>'
                    )
        parts.append(legend(labels, self.width, frame.left))
        parts.append("</svg>")
        return "".join(parts)

    def draw(self, ax) -> None:
        """The chart on matplotlib axes."""
        for g in self.groups:
            ax.scatter(g.x, g.y, s=9, color=g.color, alpha=0.8, label=g.label)
        if self.x_range:
            ax.set_xlim(*self.x_range)
        if self.y_range:
            ax.set_ylim(*self.y_range)
        ax.set_xlabel(self.x_label)
        ax.set_ylabel(self.y_label)
        ax.xaxis.set_major_formatter(PLAIN_NUMBERS)
        ax.yaxis.set_major_formatter(PLAIN_NUMBERS)
        if self.groups:
            ax.legend(fontsize=7, markerscale=2)
