"""Figures of the test-time compute experiments (Velasco et al. 2026, Section 5).

Each function returns a matplotlib :class:`~matplotlib.figure.Figure` built with
:func:`market.core.figures.new_figure` (the Agg canvas, no pyplot state); callers render it
(:func:`market.core.output.png_bytes`) or show it. Figures of games built from digitised curves
carry the approximate note in their title.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from market.core.figures import PLAIN_NUMBERS, new_figure
from market.ttc.curves import APPROXIMATE_NOTE


def titled(title: str, approximate: bool) -> str:
    """``title``, with the approximate note on a second line for digitised curves."""
    return f"{title}\n{APPROXIMATE_NOTE}" if approximate else title


def plot_dynamics(
    history: pd.DataFrame,
    providers: Sequence[str],
    *,
    title: str = "Better-response dynamics",
    approximate: bool = False,
) -> Figure:
    """Figure 2: compute levels over iterations with the inefficiency, and market shares.

    The inefficiency ``max W / W(theta_t)`` is the dashed black curve on the right axis.

    Args:
        history: :meth:`market.ttc.model.TTCMarket.history` (columns ``step``,
            ``inefficiency``, ``theta[NAME]``, ``share[NAME]``).
        providers: provider names, in order.
        title: figure title.
        approximate: add the "approximate (digitised curves)" note.

    Returns:
        The figure.

    References:
        Velasco et al. (2026), Figure 2.
    """
    figure = new_figure(8, 7)
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
    top.set_title(titled(title, approximate))
    return figure


def plot_poa_vs_beta(
    sweep: pd.DataFrame,
    *,
    title: str = "Price of anarchy against user rationality",
    approximate: bool = False,
) -> Figure:
    """The price of anarchy at the reached equilibrium against ``beta`` (log axis).

    Args:
        sweep: columns ``beta`` and ``poa``.
        title: figure title.
        approximate: add the "approximate (digitised curves)" note.

    Returns:
        The figure.

    References:
        Velasco et al. (2026), Section 5 (the price of anarchy against beta).
    """
    figure = new_figure(7, 4)
    axes = figure.subplots()
    poa = sweep["poa"].to_numpy(dtype=float)
    axes.plot(sweep["beta"], np.where(np.isfinite(poa), poa, np.nan), "o-", markersize=3)
    axes.axhline(1.0, color="grey", linewidth=0.8)
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(PLAIN_NUMBERS)
    axes.set_xlabel("user rationality beta")
    axes.set_ylabel("price of anarchy")
    axes.set_title(titled(title, approximate))
    return figure
