"""Matplotlib figures without pyplot: safe in worker processes, threads and the dashboard.

Every game's plots build a :class:`~matplotlib.figure.Figure` on the Agg canvas with
:func:`new_figure` and hand it back; callers render it with
:func:`market.core.output.png_bytes` (files) or show it in the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FuncFormatter

DPI = 120


def new_figure(
    width: float, height: float, dpi: int = DPI, layout: str | None = "constrained"
) -> Figure:
    """An empty figure of ``width`` x ``height`` inches on an Agg canvas.

    ``layout`` is constrained layout by default; ``None`` for a figure whose panels are placed
    with :func:`panel_grid`.
    """
    figure = Figure(figsize=(width, height), dpi=dpi, layout=layout)
    FigureCanvasAgg(figure)
    return figure


@dataclass(frozen=True)
class Margins:
    """Room around and between a grid of panels, in inches (a fixed layout).

    Constrained layout measures every artist twice before a figure is drawn: about 40 % of the
    time to draw a grid of bar charts. A figure whose margins can be worked out from the few
    texts that reach into them (:func:`text_inches`) is placed with these instead.

    Attributes:
        left, right, top, bottom: around the grid.
        across: between the panels of a row.
        down: between rows.
    """

    left: float
    right: float
    top: float
    bottom: float
    across: float
    down: float


def panel_grid(figure: Figure, rows: int, cols: int, margins: Margins) -> np.ndarray:
    """A ``rows`` x ``cols`` array of axes placed with ``margins`` (no layout engine)."""
    width, height = figure.get_size_inches()
    panel_width = (width - margins.left - margins.right - (cols - 1) * margins.across) / cols
    panel_height = (height - margins.top - margins.bottom - (rows - 1) * margins.down) / rows
    return figure.subplots(
        rows,
        cols,
        squeeze=False,
        gridspec_kw={
            "left": margins.left / width,
            "right": 1 - margins.right / width,
            "bottom": margins.bottom / height,
            "top": 1 - margins.top / height,
            "wspace": margins.across / panel_width,
            "hspace": margins.down / panel_height,
        },
    )


def text_inches(figure: Figure, text: str, fontsize: float) -> tuple[float, float]:
    """Width and height (inches) of one line of ``text`` drawn on ``figure``'s canvas."""
    renderer = figure.canvas.get_renderer()
    width, height, _ = renderer.get_text_width_height_descent(
        text, FontProperties(size=fontsize), ismath=False
    )
    return width / figure.dpi, height / figure.dpi


def plain_number(value: float, _position: int) -> str:
    """A tick label without mathtext (``1e+06``, ``64``): typesetting powers costs ~0.5 s."""
    return f"{value:g}"


PLAIN_NUMBERS = FuncFormatter(plain_number)


def warm_up() -> None:
    """Draw one small figure with text and bars, to load the fonts and fill matplotlib's caches.

    The first figure a process draws is about 0.2 s slower than the next ones; a helper that
    waits to draw (:mod:`market.core.renderer`) pays that while it would otherwise be idle.
    """
    from market.core.output import png_bytes

    figure = new_figure(2, 1.5)
    axes = figure.subplots()
    bars = axes.bar(range(3), [1.0, 2.0, 3.0], edgecolor="black")
    axes.bar_label(bars, labels=["1", "2", "3"], fontsize=7)
    axes.set_xticks(range(3), ["a", "b", "c"], rotation=35, ha="right", fontsize=8)
    axes.set_title("warm-up", fontsize=10)
    figure.suptitle("warm-up", fontsize=11)
    png_bytes(figure)
