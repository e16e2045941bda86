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

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from market.core.figures import Margins, new_figure, panel_grid, text_inches

PANELS = (
    ("provider_utility", "Provider utility"),
    ("user_utility", "User utility"),
    ("delegations", "Delegations"),
)


LABEL_ANGLE = 35  # degrees: the strategy names under each bar
TICK_ROOM = 0.12  # inches: a tick and its padding


def tick_label_sample(values: np.ndarray) -> str:
    """A string as wide as the widest number the y axis will show for ``values``.

    Matplotlib writes at most six digits (larger values get a "1e6"-style offset above the
    axis), at least a decimal like "0.25", with a minus sign when a value is negative.
    """
    largest = float(np.nanmax(np.abs(values), initial=0.0)) * 1.3
    digits = min(6, max(4, len(f"{largest:.0f}")))
    return ("-" if np.nanmin(values, initial=0.0) < 0 else "") + "8" * digits


def sweep_margins(figure: Figure, strategies: list[str], values: np.ndarray, title: str) -> Margins:
    """Fixed margins for Figures 2 and 3, measured from the texts that reach into them.

    Below each panel: the strategy names, rotated; beside it: the y-axis numbers, or the first
    name where it reaches further left; above it: the panel title and an offset ("1e6") line,
    and over the grid the figure title.
    """
    angle = np.radians(LABEL_ANGLE)
    names = [text_inches(figure, name, 8) for name in strategies] or [(0.0, 0.0)]
    depth = max(w * np.sin(angle) + h * np.cos(angle) for w, h in names) + TICK_ROOM
    first_reach = names[0][0] * np.cos(angle) - 0.2
    side = max(text_inches(figure, tick_label_sample(values), 10)[0] + TICK_ROOM, first_reach)
    line = text_inches(figure, "Ag", 10)[1] * 1.4
    heading = (title.count("\n") + 1) * text_inches(figure, "Ag", 11)[1] * 1.4
    return Margins(
        left=side + 0.1,
        right=0.15,
        top=heading + 2 * line + 0.15,
        bottom=depth + 0.1,
        across=side + 0.25,
        down=depth + 2 * line + 0.05,
    )


def strategy_bars(axes, table: pd.DataFrame, column: str, title: str) -> None:
    """One panel: a bar per strategy, its value written above the bar."""
    strategies = list(table["strategy"])
    values = table[column].to_numpy(dtype=float)
    colours = [f"C{i % 10}" for i in range(len(strategies))]
    bars = axes.bar(range(len(strategies)), values, color=colours, edgecolor="black", linewidth=0.5)
    axes.bar_label(bars, labels=[compact(v) for v in values], fontsize=7, padding=2)
    axes.set_xticks(
        range(len(strategies)), strategies, rotation=LABEL_ANGLE, ha="right", fontsize=8
    )
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
    title = title or f"Provider {provider}: means over the other providers' profiles"
    return strategy_grid(rows, [(rows, "")], 3.6, title)


def figure3(table: pd.DataFrame, title: str = "") -> Figure:
    """Figure 3: providers 2..K by strategy while provider 1 plays "ours" (one row each).

    Args:
        table: the sweep's Figure 3 aggregation (provider, strategy and the three means).
        title: a suptitle.
    """
    providers = sorted(table["provider"].unique())
    rows = [(table[table["provider"] == p], f"Provider {p}: ") for p in providers]
    title = title or 'Providers 2..K by strategy, provider 1 playing "ours"'
    return strategy_grid(table, rows, 3.3 * max(1, len(providers)), title)


def strategy_grid(
    shown: pd.DataFrame, rows: list[tuple[pd.DataFrame, str]], height: float, title: str
) -> Figure:
    """Figures 2 and 3: the three panels (:data:`PANELS`) for each table of ``rows``.

    Each row's panel titles start with its prefix (none: the panel's own label); the margins
    are measured (:func:`sweep_margins`) for everything ``shown``.
    """
    figure = new_figure(11, height, layout=None)
    strategies = list(dict.fromkeys(shown["strategy"]))
    margins = sweep_margins(figure, strategies, panel_values(shown), title)
    axes = panel_grid(figure, max(1, len(rows)), len(PANELS), margins)
    for row, (table, prefix) in zip(axes, rows, strict=False):
        for ax, (column, label) in zip(row, PANELS, strict=True):
            strategy_bars(ax, table, column, f"{prefix}{label.lower()}" if prefix else label)
    figure.suptitle(title, fontsize=11)
    return figure


def panel_values(table: pd.DataFrame) -> np.ndarray:
    """Every value the panels show (for the width of the y-axis numbers)."""
    return table[[column for column, _ in PANELS]].to_numpy(dtype=float)


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
