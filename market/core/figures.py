"""Matplotlib figures without pyplot: safe in worker processes, threads and the dashboard.

Every game's plots build a :class:`~matplotlib.figure.Figure` on the Agg canvas with
:func:`new_figure` and hand it back; callers render it with
:func:`market.core.output.png_bytes` (files) or show it in the dashboard.
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

DPI = 120


def new_figure(width: float, height: float, dpi: int = DPI) -> Figure:
    """An empty figure of ``width`` x ``height`` inches on an Agg canvas (constrained layout)."""
    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def plain_number(value: float, _position: int) -> str:
    """A tick label without mathtext (``1e+06``, ``64``): typesetting powers costs ~0.5 s."""
    return f"{value:g}"


PLAIN_NUMBERS = FuncFormatter(plain_number)
