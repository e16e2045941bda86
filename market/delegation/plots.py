"""Plots of the delegation game's experiments in the style of Cao et al. (2026), Figures 2-4.

Every function returns a :class:`matplotlib.figure.Figure` built on the Agg canvas (no pyplot
state, safe in workers, tests and the dashboard); :func:`market.core.output.png_bytes` renders
one to PNG bytes so callers write files only once everything is computed.

References:
    Cao et al. (2026), Section 6: Figure 2 (provider 1 by strategy, averaged over the others'
    profiles), Figure 3 (providers 2 and 3 by strategy while provider 1 plays "ours"),
    Figure 4 (provider 1's delivered user utility against T, with u_SB).
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from market.core.figures import new_figure

PANELS = (
    ("provider_utility", "Provider utility"),
    ("user_utility", "User utility"),
    ("delegations", "Delegations"),
)


def strategy_bars(axes, table: pd.DataFrame, column: str, title: str) -> None:
    """One panel: a bar per strategy, its value written above the bar."""
    strategies = list(table["strategy"])
    values = table[column].to_numpy(dtype=float)
    colours = [f"C{i % 10}" for i in range(len(strategies))]
    bars = axes.bar(range(len(strategies)), values, color=colours, edgecolor="black", linewidth=0.5)
    axes.bar_label(bars, labels=[compact(v) for v in values], fontsize=7, padding=2)
    axes.set_xticks(range(len(strategies)), strategies, rotation=35, ha="right", fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.margins(y=0.15)
    axes.axhline(0, color="black", linewidth=0.6)
    axes.grid(axis="y", alpha=0.3)


def compact(value: float) -> str:
    """A short label for a bar (e.g. 1.54e+05 -> 154.3k)."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.3g}"


def figure2(summary: pd.DataFrame, provider: int = 1, title: str = "") -> Figure:
    """Figure 2: one provider's mean provider utility, user utility and delegations by strategy.

    Args:
        summary: the sweep's ``summary.csv`` table (provider, strategy and the three means).
        provider: which provider (numbered from 1).
        title: a suptitle (e.g. scenario, T and seeds).
    """
    rows = summary[summary["provider"] == provider]
    figure = new_figure(11, 3.6)
    axes = figure.subplots(1, len(PANELS))
    for ax, (column, label) in zip(axes, PANELS, strict=True):
        strategy_bars(ax, rows, column, label)
    figure.suptitle(
        title or f"Provider {provider}: means over the other providers' profiles", fontsize=11
    )
    return figure


def figure3(table: pd.DataFrame, title: str = "") -> Figure:
    """Figure 3: providers 2..K by strategy while provider 1 plays "ours" (one row each).

    Args:
        table: the sweep's Figure 3 aggregation (provider, strategy and the three means).
        title: a suptitle.
    """
    providers = sorted(table["provider"].unique())
    figure = new_figure(11, 3.3 * max(1, len(providers)))
    axes = figure.subplots(max(1, len(providers)), len(PANELS), squeeze=False)
    for row, provider in zip(axes, providers, strict=False):
        rows = table[table["provider"] == provider]
        for ax, (column, label) in zip(row, PANELS, strict=True):
            strategy_bars(ax, rows, column, f"Provider {provider}: {label.lower()}")
    figure.suptitle(title or 'Providers 2..K by strategy, provider 1 playing "ours"', fontsize=11)
    return figure


def figure4(table: pd.DataFrame, title: str = "") -> Figure:
    """Figure 4: provider 1's delivered user utility against T, with the u_SB line.

    Args:
        table: the horizon table (T, seed, provider1_user_utility, user_utility, u_sb); several
            seeds per T are shown as points around their mean.
        title: a suptitle.
    """
    means = (
        table.groupby("T", sort=True)[["provider1_user_utility", "user_utility", "u_sb"]]
        .mean()
        .reset_index()
    )
    figure = new_figure(6.5, 4.2)
    ax = figure.subplots()
    if table["seed"].nunique() > 1:
        ax.scatter(
            table["T"],
            table["provider1_user_utility"],
            s=8,
            color="C0",
            alpha=0.35,
            label="provider 1, each seed",
        )
    ax.plot(
        means["T"],
        means["provider1_user_utility"],
        marker="o",
        color="C0",
        label="user utility from provider 1",
    )
    ax.plot(means["T"], means["u_sb"], linestyle="--", color="C3", label="$u_{SB}$")
    ax.set_xlabel("T (queries)")
    ax.set_ylabel("user utility")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "User utility of provider 1 against T", fontsize=11)
    return figure
