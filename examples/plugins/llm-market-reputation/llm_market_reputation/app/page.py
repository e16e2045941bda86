"""The reputation market's page: settings in the URL, a per-tab model, live plots.

Built like the shipped games' pages (``app/pages/ttc.py``) from the dashboard's shared widgets
(:mod:`app.widgets`); ``llm-market dashboard`` serves it at ``/reputation`` once the package is
installed, and the home page shows its card.

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

import solara
from app.session import Session
from app.widgets import (
    Downloads,
    Explanation,
    Figures,
    RunControls,
    SessionStatus,
    TourExplanation,
    drawn,
    text_field,
    use_simulation,
    use_url_settings,
)

from llm_market_reputation.app import game

PATH = "reputation"
TITLE = "Reputation market (example)"

INTRO = """
**A reputation market** (an example game added from outside llm-market, not from a paper).
Each round every provider serves its queries **honestly** (costly, high quality) or
**cheaply**; users rate the answers, with noise; the platform routes the next round's queries
from the ratings. Under **uniform** routing ratings earn nothing and cheap service earns more;
under **rating-rank** the best-rated provider gets most queries, and honest service pays once
the ratings tell the services apart. A **milk-reputation** provider serves honestly until it
leads, then cheaply while it still leads.
"""


def make_session() -> Session:
    """The tab's session (built per tab, never at module level)."""
    return Session(game.build_run, game.snapshot)


@solara.component
def SettingsForm(settings: game.ReputationSettings, change):
    """Preset, mechanism, strategies, sizes and seed."""
    solara.Select(
        label="Preset",
        value=settings.preset,
        values=game.preset_names(),
        on_value=lambda v: change(preset=v, strategies=""),
    )
    solara.Select(
        label="Mechanism (blank: the preset's)",
        value=settings.mechanism or None,
        values=game.mechanism_names(),
        on_value=lambda v: change(mechanism=v or ""),
    )
    solara.Text(
        f"Strategies: {', '.join(game.strategy_names())}", style="font-size:12px;color:#666"
    )
    for field, label in (
        ("strategies", "Strategies, comma-separated (blank: the preset's)"),
        ("rounds", "Rounds (blank: the preset's)"),
        ("queries", "Queries per round (blank: the preset's)"),
        ("exploration", "Exploration share (blank: the preset's)"),
        ("seed", "Seed (blank: a fresh one)"),
    ):
        text_field(settings, change, field, label)


@solara.component
def Page():
    """The reputation market's page."""
    url = use_url_settings(game.ReputationSettings, PATH)
    settings, tour, change = url.settings, url.tour, url.change
    sim = use_simulation(make_session, settings)
    frame = sim.frame
    solara.Title(f"llm-market: {TITLE}")
    with solara.ColumnsResponsive(12, medium=[4, 8], large=[3, 9]):
        with solara.Column():
            TourExplanation(tour)
            SettingsForm(settings, change)
            if frame is not None:
                RunControls(sim, frame.steps, unit="round")
                Downloads(
                    f"reputation-seed{frame.seed}",
                    sim.session,
                    game.frame_table,
                    game.all_charts,
                    "Reputation market",
                )
        with solara.Column():
            SessionStatus(sim)
            Explanation(INTRO)
            if frame is not None:
                solara.Text(game.status_text(frame), style="font-weight:600")
                Figures(drawn(lambda: game.all_charts(frame)))
