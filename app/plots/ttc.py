"""The TTC page's plots, as chart records built from one snapshot.

References:
    Velasco et al. (2026), Section 3 (better-response dynamics, Theorem 1), Section 4 and
    Table 2 (the auction against the market).
"""

from __future__ import annotations

import math

import numpy as np

from app.charts import (
    BarChart,
    Edge,
    LineChart,
    Network,
    NetworkChart,
    Node,
)
from app.games.ttc import TTCFrame
from app.svg import Series, color


def held(frame: TTCFrame, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Iterations and values with the last value held one more iteration.

    A level chosen at iteration k holds until the next revision; drawing it up to k + 1 keeps
    a jump at the last iteration visible.
    """
    if frame.rows.size == 0:
        return frame.rows, values
    x = np.append(frame.rows, frame.rows[-1] + 1)
    return x, np.append(values, values[-1])


def iteration_range(frame: TTCFrame) -> tuple[float, float]:
    """0 to one past the last recorded iteration."""
    return 0.0, float(frame.rows[-1] + 1) if frame.rows.size else 1.0


def provider_steps(frame: TTCFrame, values) -> tuple[Series, ...]:
    """One step line per provider (column ``i`` of ``values``), held between iterations."""
    return tuple(
        Series(name, *held(frame, values[:, i]), color(i), steps=True)
        for i, name in enumerate(frame.providers)
    )


def levels_chart(frame: TTCFrame) -> LineChart:
    """Each provider's compute level over the iterations (a step function)."""
    return LineChart(
        title="Compute level of each provider",
        x_label="iteration (one provider revises)",
        y_label="compute level theta",
        series=provider_steps(frame, frame.thetas),
        test_id="plot-levels",
        x_range=iteration_range(frame),
    )


def shares_chart(frame: TTCFrame) -> LineChart:
    """Market shares over the iterations."""
    return LineChart(
        title="Market shares",
        x_label="iteration",
        y_label="share of queries",
        series=provider_steps(frame, frame.shares),
        test_id="plot-shares",
        x_range=iteration_range(frame),
        y_range=(-0.02, 1.02),
    )


def inefficiency_chart(frame: TTCFrame) -> LineChart:
    """``max W / W`` over the iterations (1 is efficient; at an equilibrium: the PoA)."""
    return LineChart(
        title="Inefficiency: best welfare / current welfare",
        x_label="iteration",
        y_label="max W / W",
        series=(Series("inefficiency", *held(frame, frame.inefficiency), "#333333", steps=True),),
        test_id="plot-inefficiency",
        x_range=iteration_range(frame),
    )


def value_curves_chart(frame: TTCFrame) -> LineChart:
    """User value ``V_i(theta) = q_i(theta) - p_i(theta)`` of each provider; dots: its choice."""
    levels = np.asarray(frame.levels, float)
    series = [
        Series(name, levels, frame.values[i], color(i)) for i, name in enumerate(frame.providers)
    ]
    for i, k in enumerate(frame.profile):
        series.append(
            Series(
                f"{frame.providers[i]} now",
                levels[[k]],
                frame.values[i, [k]],
                color(i),
                points=True,
            )
        )
    return LineChart(
        title="Value curves V_i(theta) with the current choices",
        x_label="compute level theta",
        y_label="user value per query",
        series=tuple(series),
        test_id="plot-values",
    )


def response_graph_chart(frame: TTCFrame) -> NetworkChart | None:
    """The better-response graph with its sinks (the pure equilibria) ringed.

    Two providers: profiles on a grid (provider 1 across, provider 2 up). More: profiles placed
    by potential (across) and welfare (up); every arrow points right (Theorem 1).
    """
    if frame.graph is None:
        return None
    graph, sinks = frame.graph.graph, set(frame.graph.sinks)
    nodes = list(graph.nodes)
    if len(frame.providers) == 2:
        top = max(1, len(frame.levels) - 1)
        place = {n: (n[0] / top, n[1] / top) for n in nodes}
        caption = f"across: {frame.providers[0]}'s level; up: {frame.providers[1]}'s level"
    else:
        phi = np.array([graph.nodes[n]["potential"] for n in nodes])
        welfare = np.array([graph.nodes[n]["welfare"] for n in nodes])
        place = {n: (rank(phi)[k], rank(welfare)[k]) for k, n in enumerate(nodes)}
        caption = "across: potential (rank); up: welfare (rank); arrows: improving moves"
    radius = 14.0 if len(nodes) <= 16 else 6.0
    drawn = [
        Node(
            n,
            *place[n],
            ",".join(frame.level_names[k] for k in n) if len(nodes) <= 16 else "",
            "#D55E00" if n in sinks else ("#0072B2" if n == tuple(frame.profile) else "#bbbbbb"),
            radius,
            f"profile {n}: welfare {graph.nodes[n]['welfare']:.4g}"
            + (" (equilibrium)" if n in sinks else ""),
            ring=n == tuple(frame.profile),
        )
        for n in nodes
    ]
    edges = tuple(
        Edge(a, b, 1.2, f"{frame.providers[d['mover']]} moves", arrow=True)
        for a, b, d in graph.edges(data=True)
    )
    return NetworkChart(
        title=f"Better-response graph: {len(sinks)} equilibria (orange), current profile ringed",
        network=Network(tuple(drawn), edges),
        test_id="plot-response-graph",
        caption=caption,
    )


def rank(values: np.ndarray) -> np.ndarray:
    """Values mapped to [0, 1] by rank (ties share a rank)."""
    order = np.unique(values, return_inverse=True)[1]
    top = max(1, int(order.max()))
    return order / top


def comparison_chart(frame: TTCFrame) -> BarChart | None:
    """The paper's Table 2: the market at the current profile against the auction."""
    c = frame.comparison
    if c is None:
        return None
    return BarChart(
        title="Market (current profile) against the second-price auction (Table 2)",
        y_label="per query",
        groups=c.quantities,
        bars=(("market", c.market, "#0072B2"), ("auction", c.auction, "#009E73")),
        test_id="plot-comparison",
    )


def all_charts(frame: TTCFrame) -> list:
    """Every plot of the page, in page order (the graph only for small games)."""
    charts = [
        levels_chart(frame),
        inefficiency_chart(frame),
        shares_chart(frame),
        value_curves_chart(frame),
        comparison_chart(frame),
        response_graph_chart(frame),
    ]
    return [c for c in charts if c is not None]


def comparison_rows(frame: TTCFrame) -> list[tuple[str, str, str, str]]:
    """(quantity, market, auction, change) rows of Table 2."""
    c = frame.comparison
    rows = []
    for name, m, a in zip(c.quantities, c.market, c.auction, strict=True):
        change = f"{100 * (a - m) / abs(m):+.0f}%" if m else "-"
        rows.append((name, f"{m:.4g}", f"{a:.4g}", change))
    return rows


def status_text(frame: TTCFrame) -> str:
    """One line: where the dynamics stand."""
    beta = "perfectly rational users" if math.isinf(frame.beta) else f"beta = {frame.beta:g}"
    profile = ", ".join(frame.level_names[k] for k in frame.profile)
    if frame.running:
        return f"{frame.mechanism}, {beta}; levels now ({profile})"
    verdict = "a pure Nash equilibrium" if frame.equilibrium else "no verified equilibrium"
    return f"{frame.mechanism}, {beta}: stopped ({frame.stop_reason}) at ({profile}), {verdict}"
