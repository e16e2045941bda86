"""The delegation page's plots, as chart records built from one snapshot.

Each function takes a :class:`~app.games.delegation.DelegationFrame` and returns a chart record
of :mod:`app.charts` (drawn as SVG live and with matplotlib for the PNG download).

References:
    Cao et al. (2026), Section 3.2 (u_SB and u_FB), Mechanism 1 (the phases).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from app.charts import (
    Band,
    Edge,
    LineChart,
    Network,
    NetworkChart,
    Node,
    TimelineChart,
)
from app.games.delegation import SERVICE_COLOURS, DelegationFrame
from app.svg import Series, color
from market.core.providers import provider_column

USER_COLOUR = "#555555"


def queries_axis(frame: DelegationFrame) -> np.ndarray:
    """Queries served at each recorded row."""
    return frame.series["queries"]


def user_utility_chart(frame: DelegationFrame) -> LineChart:
    """Cumulative user utility against u_SB and u_FB earned at the same pace.

    ``u_SB`` and ``u_FB`` are totals for T queries (Section 3.2); the dashed lines show
    ``q u_SB / T`` and ``q u_FB / T`` after ``q`` queries, so the run can be compared at any
    point: the mechanism aims at the second-best line.
    """
    x = queries_axis(frame)
    end = max(float(x.max()) if x.size else 0.0, 1.0)
    pace = np.array([0.0, end])
    return LineChart(
        title="User utility (cumulative) against second and first best",
        x_label="queries delegated",
        y_label="user utility",
        series=(
            Series("user utility", x, frame.series["user_utility"], color(0)),
            Series("u_SB pace", pace, pace * frame.u_sb / frame.T, "#444444", dashed=True),
            Series("u_FB pace", pace, pace * frame.u_fb / frame.T, "#999999", dashed=True),
        ),
        test_id="plot-user-utility",
        x_range=(0.0, end),
    )


def provider_series(frame: DelegationFrame, quantity: str, i: int) -> np.ndarray:
    """Provider ``i``'s (0-based) DataCollector column ``<quantity>[Provider <i + 1>]``."""
    return frame.series[provider_column(quantity, i + 1)]


def provider_chart(
    frame: DelegationFrame, quantity: str, label: str, title: str, test_id: str
) -> LineChart:
    """One line per provider of the DataCollector columns ``<quantity>[Provider k]``."""
    x = queries_axis(frame)
    return LineChart(
        title=title,
        x_label="queries delegated",
        y_label=label,
        series=tuple(
            Series(f"{name} ({strategy})", x, provider_series(frame, quantity, i), color(i))
            for i, (name, strategy) in enumerate(
                zip(frame.providers, frame.strategies, strict=True)
            )
        ),
        test_id=test_id,
    )


def provider_utility_chart(frame: DelegationFrame) -> LineChart:
    """Each provider's utility ``eta (p_i sum l' - sum c_m l_m)`` as the run goes."""
    return provider_chart(frame, "utility", "utility", "Provider utility", "plot-provider-utility")


def delegations_chart(frame: DelegationFrame) -> LineChart:
    """Each provider's delegated queries."""
    return provider_chart(
        frame, "queries", "delegations", "Queries delegated to each provider", "plot-delegations"
    )


def timeline_chart(frame: DelegationFrame) -> TimelineChart:
    """Who is served when, and how (honest, cheaper model, inflated length)."""
    bands = tuple(
        Band(
            s.provider - 1,
            s.start,
            s.end,
            s.service,
            f"{frame.providers[s.provider - 1]}, {s.phase}: queries {s.start:,}-{s.end:,}, "
            f"{s.service}" + (" (stopped by the validation check)" if s.stopped_early else ""),
        )
        for s in frame.served
    )
    used = frame.numbers.queries_used
    end = float(max(used, 1))
    return TimelineChart(
        title="Phase timeline: who is served, and how",
        x_label="queries delegated",
        rows=frame.providers,
        bands=bands,
        categories=SERVICE_COLOURS,
        x_range=(0.0, end),
        test_id="plot-timeline",
        marks=tuple((float(start), phase) for start, phase in frame.phase_starts),
    )


def delegation_graph(frame: DelegationFrame) -> nx.Graph:
    """The user and the providers; edge weights are the queries delegated to each."""
    graph = nx.Graph()
    graph.add_node("user")
    for i, name in enumerate(frame.providers):
        delegated = provider_series(frame, "queries", i)
        graph.add_node(name, index=i)
        graph.add_edge("user", name, weight=float(delegated[-1]) if delegated.size else 0.0)
    return graph


def network_chart(frame: DelegationFrame) -> NetworkChart:
    """The delegation network: edges sized by queries delegated (networkx shell layout)."""
    graph = delegation_graph(frame)
    layout = nx.shell_layout(graph, [["user"], list(frame.providers)])
    xs = np.array([p[0] for p in layout.values()])
    ys = np.array([p[1] for p in layout.values()])
    span = max(float(np.ptp(xs)), float(np.ptp(ys)), 1e-9)

    def place(key) -> tuple[float, float]:
        x, y = layout[key]
        return 0.5 + (x - xs.mean()) / span * 0.75, 0.5 + (y - ys.mean()) / span * 0.8

    total = sum(d["weight"] for _, _, d in graph.edges(data=True)) or 1.0
    chosen = frame.numbers.chosen
    nodes = [Node("user", *place("user"), "user (platform)", USER_COLOUR, 18, "the user")]
    edges = []
    for i, name in enumerate(frame.providers):
        weight = graph.edges["user", name]["weight"]
        utility = provider_series(frame, "utility", i)
        nodes.append(
            Node(
                name,
                *place(name),
                f"{name}{' (i*)' if name == chosen else ''}",
                color(i),
                14,
                f"{name}: {frame.strategies[i]}, utility {utility[-1] if utility.size else 0:.4g}",
                ring=name == chosen,
            )
        )
        edges.append(
            Edge("user", name, 1.0 + 14.0 * weight / total, f"{int(weight):,}", color=color(i))
        )
    return NetworkChart(
        title="Delegation network",
        network=Network(tuple(nodes), tuple(edges)),
        test_id="plot-network",
        caption="edge width: share of queries delegated; ring: the chosen provider i*",
    )


def all_charts(frame: DelegationFrame) -> list:
    """Every plot of the page, in page order."""
    return [
        user_utility_chart(frame),
        timeline_chart(frame),
        provider_utility_chart(frame),
        delegations_chart(frame),
        network_chart(frame),
    ]


def number_text(value, digits: int = 4) -> str:
    """A live number for the table ('-' when not known yet)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}" if math.isfinite(value) else str(value)


def mechanism_rows(frame: DelegationFrame) -> list[tuple[str, str, str]]:
    """(symbol, value, meaning) rows of the mechanism's live numbers."""
    n = frame.numbers
    return [
        ("mechanism", n.name, n.source),
        ("phase", frame.phase, "the phase being played"),
        ("B", number_text(n.B), "exploration queries per provider, floor(T^(2 eps))"),
        ("M", number_text(n.M), "confidence radius T^(-eps) ln(KT)"),
        ("i*", n.chosen or "-", "the provider chosen for exploitation"),
        ("u'", number_text(n.u_prime), "second-best target told to i*"),
        ("T_R", number_text(n.T_R), "exploitation length"),
        ("threshold", number_text(n.threshold), "lowest mean utility the check accepts"),
        ("validated", number_text(n.validated), "did i* pass the validation check"),
        ("queries used", number_text(n.queries_used), f"of T = {frame.T:,}"),
        ("queries unused", number_text(n.queries_unused), "left undelegated"),
    ]
