"""A drawing of the better-response graph of the delegation game's empirical game.

Profiles sit on a grid: provider 1's strategy picks a block of columns, provider 2's the column
within it, and the remaining providers' strategies the row, so every node keeps its place from
one run to the next. Nodes are coloured by the user's estimated utility as a share of u_SB;
improving moves are faint arrows, the dynamics from the chosen start bold, and the sinks (the
pure equilibria) ringed in red. Returns an Agg :class:`~matplotlib.figure.Figure`.

References:
    Cao et al. (2026), Theorem 5.2; better-response dynamics (not from the paper).
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
from matplotlib.figure import Figure

from market.core.figures import new_figure


def abbreviation(name: str) -> str:
    """Initials of a strategy name's parts: ``dishonest-model`` -> ``DM``, ``ours`` -> ``O``."""
    return "".join(part[0].upper() for part in name.split("-") if part)


def grid_position(profile: tuple[str, ...], strategies: tuple[str, ...]) -> tuple[float, float]:
    """(x, y) of a profile: provider 1 picks the block, 2 the column, the rest the row."""
    n = len(strategies)
    rank = [strategies.index(s) for s in profile]
    x = rank[0] * (n + 1) + (rank[1] if len(rank) > 1 else 0)
    y = 0
    for r in rank[2:]:
        y = y * n + r
    return float(x), float(-y)


def path_edges(trace_profiles: list[str]) -> list[tuple[str, str]]:
    """Consecutive distinct profiles of the dynamics trace."""
    return [(a, b) for a, b in itertools.pairwise(trace_profiles) if a != b]


def better_response_figure(result) -> Figure:
    """The graph of a :class:`~market.delegation.empirical.MetagameResult`, sinks highlighted."""
    table, graph = result.table, result.graph
    strategies = table.strategies
    position = {node: grid_position(tuple(node.split("|")), strategies) for node in graph.nodes}
    rows = max(1, len(strategies) ** max(0, table.K - 2))
    figure = new_figure(12, max(4.5, 1.2 + 0.22 * rows))
    axes = figure.add_subplot(1, 1, 1)
    share = np.array([graph.nodes[n]["user_utility"] for n in graph.nodes]) / table.u_sb
    nx.draw_networkx_edges(
        graph,
        position,
        ax=axes,
        edge_color="0.6",
        alpha=0.25,
        arrowsize=6,
        width=0.5,
        node_size=60,
    )
    path = path_edges(list(result.trace["profile"]))
    nx.draw_networkx_edges(
        graph,
        position,
        edgelist=path,
        ax=axes,
        edge_color="tab:blue",
        width=2.2,
        arrowsize=14,
        node_size=60,
    )
    nodes = nx.draw_networkx_nodes(
        graph,
        position,
        ax=axes,
        node_size=60,
        node_color=share,
        cmap="viridis",
        vmin=min(0.0, float(share.min())),
        vmax=max(1.0, float(share.max())),
    )
    sinks = [tuple(s.profile) for s in result.sinks]
    sink_nodes = ["|".join(s) for s in sinks]
    nx.draw_networkx_nodes(
        graph,
        position,
        nodelist=sink_nodes,
        ax=axes,
        node_size=170,
        node_color="none",
        edgecolors="red",
        linewidths=1.8,
    )
    start = "|".join(result.dynamics.start)
    nx.draw_networkx_nodes(
        graph,
        position,
        nodelist=[start],
        ax=axes,
        node_size=170,
        node_color="none",
        edgecolors="tab:blue",
        linewidths=1.8,
        node_shape="s",
    )
    colourbar = figure.colorbar(nodes, ax=axes, fraction=0.03, pad=0.01)
    colourbar.set_label("user utility / u_SB", fontsize=8)
    label_axes(axes, strategies, table.K)
    s = result.settings
    axes.set_title(
        f"Better-response graph: {s['scenario']} ({s['mechanism']}), T = {s['T']:,}, "
        f"{s['seeds']} seed(s), rule {s['rule']}\n{graph.number_of_nodes()} profiles, "
        f"{graph.number_of_edges()} improving moves; red rings: {len(sinks)} sinks (pure "
        f"equilibria); blue: the dynamics from {abbreviations(result.dynamics.start)}",
        fontsize=9,
        pad=16,
    )
    return figure


def abbreviations(profile) -> str:
    """A profile in abbreviations, e.g. ``H|H|H``."""
    return "|".join(abbreviation(s) for s in profile)


def label_axes(axes, strategies: tuple[str, ...], K: int) -> None:
    """Ticks naming provider 1's blocks and 2's columns below, the rest's rows on the left."""
    n = len(strategies)
    short = [abbreviation(s) for s in strategies]
    ticks = [b * (n + 1) + c for b in range(n) for c in range(n if K > 1 else 1)]
    labels = [short[c] if K > 1 else short[b] for b in range(n) for c in range(n if K > 1 else 1)]
    axes.set_xticks(ticks, labels, fontsize=7)
    for b in range(n):
        axes.text(
            b * (n + 1) + (n - 1) / 2,
            1.02,
            f"provider 1 {strategies[b]}",
            transform=axes.get_xaxis_transform(),
            ha="center",
            fontsize=7,
        )
    rows = list(itertools.product(short, repeat=max(0, K - 2))) or [()]
    axes.set_yticks([-i for i in range(len(rows))], ["|".join(r) for r in rows], fontsize=7)
    legend = ", ".join(f"{a} = {s}" for a, s in zip(short, strategies, strict=True))
    axes.set_xlabel(f"provider 2's strategy (within provider 1's block)\n{legend}", fontsize=8)
    axes.set_ylabel("providers 3.. strategies" if K > 2 else "", fontsize=8)
    axes.tick_params(left=True, bottom=True, labelleft=True, labelbottom=True)
