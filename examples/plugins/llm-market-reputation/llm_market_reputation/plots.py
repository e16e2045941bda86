"""Figures of the reputation market (matplotlib Figures on the Agg canvas, no pyplot).

Built like the shipped games' figures with :func:`market.core.figures.new_figure`; callers
render them with :func:`market.core.output.png_bytes` (``llm-market reputation run --out``).

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from market.core.figures import PLAIN_NUMBERS, new_figure
from market.core.providers import provider_column


def run_figure(history: pd.DataFrame, strategies: Sequence[str], title: str):
    """Each provider's cumulative profit and rating over the rounds, side by side.

    Args:
        history: The model's :meth:`~llm_market_reputation.model.ReputationMarket.history`
            (``step``, ``profit[Provider k]``, ``rating[Provider k]``).
        strategies: Each provider's strategy, Provider 1 first (the legend's labels).
        title: The figure's title (the run: preset, mechanism, seed).

    Returns:
        The figure, two panels: cumulative profit (price units) and rating, against rounds.
    """
    figure = new_figure(11.0, 4.2)
    profit_axes, rating_axes = figure.subplots(1, 2)
    rounds = history["step"].to_numpy()
    for k, strategy in enumerate(strategies, start=1):
        label = f"Provider {k} ({strategy})"
        profit_axes.plot(rounds, history[provider_column("profit", k)].to_numpy(), label=label)
        rating_axes.plot(rounds, history[provider_column("rating", k)].to_numpy(), label=label)
    profit_axes.set_ylabel("cumulative profit (price units)")
    profit_axes.yaxis.set_major_formatter(PLAIN_NUMBERS)
    rating_axes.set_ylabel("rating on the platform (mean user rating)")
    for axes in (profit_axes, rating_axes):
        axes.set_xlabel("round")
        axes.grid(alpha=0.3)
    rating_axes.legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    return figure
