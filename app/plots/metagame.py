"""The strategy-dynamics page's plots, as chart records built from one snapshot.

Each play is one whole run of the mechanism; the plots show the strategy each provider plays
per play, its estimated utility, the user's against u_SB and u_FB, what each provider would
earn with each of its strategies against the others' current ones (the better response picks
the tallest bar), and the better-response graph (:mod:`app.plots.profile_graph`).

References:
    Cao et al. (2026), Section 3.2 (u_SB, u_FB), Theorem 5.2; better-response dynamics.
"""

from __future__ import annotations

import numpy as np

from app.charts import Band, BarChart, LineChart, TimelineChart
from app.games.metagame import MetagameFrame
from app.plots.profile_graph import profile_graph_chart
from app.svg import Series, color
from market.delegation.graph_plot import abbreviation

#: A colour per strategy (registry order), for the strategy timeline.
STRATEGY_COLOURS = ("#009E73", "#56B4E9", "#E69F00", "#D55E00", "#CC0000", "#CC79A7")


def strategy_colours(frame: MetagameFrame) -> dict[str, str]:
    """Each strategy's colour."""
    return {s: STRATEGY_COLOURS[i % len(STRATEGY_COLOURS)] for i, s in enumerate(frame.strategies)}


def play_range(frame: MetagameFrame) -> tuple[float, float]:
    """0 to the plays so far (at least 1)."""
    return 0.0, float(max(frame.plays, 1))


def strategies_chart(frame: MetagameFrame) -> TimelineChart:
    """The strategy each provider played in each play (play p spans p-1 to p)."""
    bands = tuple(
        Band(k, p, p + 1, profile[k], f"play {p + 1}: {name} plays {profile[k]}")
        for p, profile in enumerate(frame.played)
        for k, name in enumerate(frame.providers)
    )
    return TimelineChart(
        title="Strategy of each provider, play by play",
        x_label="play (one play = the whole mechanism over T queries)",
        rows=frame.providers,
        bands=bands,
        categories=strategy_colours(frame),
        x_range=play_range(frame),
        test_id="plot-strategies",
    )


def plays_axis(frame: MetagameFrame) -> np.ndarray:
    """Play numbers 1..plays."""
    return np.arange(1, frame.plays + 1, dtype=float)


def provider_utility_chart(frame: MetagameFrame) -> LineChart:
    """Each provider's estimated utility per play (the payoff table's mean over seeds)."""
    x = plays_axis(frame)
    lines = []
    for k, name in enumerate(frame.providers):
        y = frame.provider_utility[:, k]
        lines += [Series(name, x, y, color(k)), Series(name, x, y, color(k), points=True)]
    return LineChart(
        title="Estimated provider utility per play",
        x_label="play",
        y_label="provider utility",
        series=tuple(lines),
        test_id="plot-provider-utility",
        x_range=(0.5, max(frame.plays, 1) + 0.5),
    )


def user_utility_chart(frame: MetagameFrame) -> LineChart:
    """The user's estimated utility per play against u_SB and u_FB."""
    x = plays_axis(frame)
    ends = np.array([0.5, max(frame.plays, 1) + 0.5])
    return LineChart(
        title="User utility per play against the second and first best",
        x_label="play",
        y_label="user utility",
        series=(
            Series("user utility", x, frame.user_utility, color(0)),
            Series("user utility", x, frame.user_utility, color(0), points=True),
            Series("u_SB", ends, np.full(2, frame.u_sb), "#444444", dashed=True),
            Series("u_FB", ends, np.full(2, frame.u_fb), "#999999", dashed=True),
        ),
        test_id="plot-user-utility",
        x_range=(0.5, max(frame.plays, 1) + 0.5),
    )


def alternatives_chart(frame: MetagameFrame) -> BarChart:
    """Each provider's estimated utility with each strategy, the others as now."""
    return BarChart(
        title="What each provider would earn with each strategy (others as now)",
        y_label="estimated utility",
        groups=tuple(abbreviation(s) for s in frame.strategies),
        bars=tuple(
            (
                f"{name} (now {abbreviation(frame.profile[k])})",
                tuple(float(v) for v in frame.alternatives[k]),
                color(k),
            )
            for k, name in enumerate(frame.providers)
        ),
        test_id="plot-alternatives",
    )


def all_charts(frame: MetagameFrame) -> list:
    """The small plots of the page, in page order (the graph is drawn on its own)."""
    return [
        strategies_chart(frame),
        alternatives_chart(frame),
        provider_utility_chart(frame),
        user_utility_chart(frame),
    ]


def graph_chart(frame: MetagameFrame):
    """The better-response graph with the path taken so far."""
    return profile_graph_chart(frame)


def charts_with_graph(frame: MetagameFrame) -> list:
    """Every plot of the page, the graph last (the PNG download)."""
    return [*all_charts(frame), graph_chart(frame)]


def sink_rows(frame: MetagameFrame) -> list[tuple[str, str, str, str]]:
    """(profile, basin, user / u_SB, provider utilities) per sink, largest basin first."""
    rows = []
    for s in sorted(frame.game.sinks, key=lambda s: -s.basin):
        utilities = ", ".join(f"{u:,.0f}" for u in s.provider_utility)
        rows.append(("|".join(s.profile), f"{s.basin:.0%}", f"{s.share_of_u_sb:.2f}", utilities))
    return rows
