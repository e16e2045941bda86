"""Figures of the test-time compute experiments (Velasco et al. 2026, Section 5).

Matplotlib with the Agg canvas only (no pyplot state, safe in threads and on servers):
Figure 2 (levels over iterations with the inefficiency curve, and market shares) and the price
of anarchy against user rationality on a log axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter


def plain_number(value: float, _position: int) -> str:
    """A tick label without mathtext (``1e+06``, ``64``): typesetting powers costs ~0.5 s."""
    return f"{value:g}"


PLAIN_NUMBERS = FuncFormatter(plain_number)

APPROXIMATE_NOTE = "approximate (digitised curves)"


def _titled(title: str, approximate: bool) -> str:
    return f"{title}\n{APPROXIMATE_NOTE}" if approximate else title


def plot_dynamics(
    history: pd.DataFrame,
    providers: Sequence[str],
    path: str | Path,
    *,
    title: str = "Better-response dynamics",
    approximate: bool = False,
) -> Path:
    """Figure 2: compute levels over iterations with the inefficiency, and market shares.

    The inefficiency ``max W / W(theta_t)`` is the dashed black curve on the right axis.

    Args:
        history: :meth:`market.ttc.model.TTCMarket.history` (columns ``step``,
            ``inefficiency``, ``theta[NAME]``, ``share[NAME]``).
        providers: provider names, in order.
        path: PNG file to write.
        title: figure title.
        approximate: add the "approximate (digitised curves)" note.

    Returns:
        The path written.
    """
    figure = Figure(figsize=(8, 7), constrained_layout=True)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    steps = history["step"].to_numpy()
    colours = [f"C{k % 10}" for k in range(len(providers))]
    for colour, name in zip(colours, providers, strict=True):
        top.step(steps, history[f"theta[{name}]"], where="post", color=colour, label=name)
        bottom.step(steps, history[f"share[{name}]"], where="post", color=colour, label=name)
    top.set_ylabel("compute level theta")
    thetas = history.filter(like="theta[").to_numpy()
    if (thetas > 0).all() and thetas.max() >= 16 * thetas.min():  # e.g. best-of-n 1..64
        top.set_yscale("log", base=2)
        top.yaxis.set_major_formatter(PLAIN_NUMBERS)
    inefficiency = history["inefficiency"].to_numpy(dtype=float)
    if np.isfinite(inefficiency).any():  # not available for simulated heterogeneous users
        ratio = top.twinx()
        ratio.plot(steps, inefficiency, "k--", label="max W / W(theta_t)")
        ratio.set_ylabel("inefficiency max W / W(theta_t)")
        ratio.legend(fontsize="small", loc="upper right")
    bottom.set_ylabel("market share")
    bottom.set_xlabel("iteration t")
    bottom.set_ylim(-0.02, 1.02)
    top.legend(fontsize="small", ncol=2, loc="upper left")
    top.set_title(_titled(title, approximate))
    figure.savefig(path, dpi=120)
    return Path(path)


def plot_poa_vs_beta(
    sweep: pd.DataFrame,
    path: str | Path,
    *,
    title: str = "Price of anarchy against user rationality",
    approximate: bool = False,
) -> Path:
    """The price of anarchy at the reached equilibrium against ``beta`` (log axis).

    Args:
        sweep: columns ``beta`` and ``poa``.
        path: PNG file to write.
        title: figure title.
        approximate: add the "approximate (digitised curves)" note.

    Returns:
        The path written.
    """
    figure = Figure(figsize=(7, 4), constrained_layout=True)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    poa = sweep["poa"].to_numpy(dtype=float)
    axes.plot(sweep["beta"], np.where(np.isfinite(poa), poa, np.nan), "o-", markersize=3)
    axes.axhline(1.0, color="grey", linewidth=0.8)
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(PLAIN_NUMBERS)
    axes.set_xlabel("user rationality beta")
    axes.set_ylabel("price of anarchy")
    axes.set_title(_titled(title, approximate))
    figure.savefig(path, dpi=120)
    return Path(path)
