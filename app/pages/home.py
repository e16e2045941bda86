"""The home page: what the simulator is, one card per game and one per guided tour."""

from __future__ import annotations

import html
import warnings

import solara

from app import capacity
from app.prose import Prose
from app.tours import TOURS
from market.core.plugins import PluginWarning
from market.games import GAMES

PATH = ""
TITLE = "Home"

WELCOME = """
# llm-market

A simulator of **markets for LLM services**, where the companies that answer your queries
can cheat (serve a cheaper model, bill more tokens than they produced, spend compute you did
not need) and **mechanisms** try to stop them. Each game below is an agent-based model built
on Mesa: pick a scenario, press **Play**, and watch the providers, the user and the
mechanism's numbers evolve. Every setting lives in the page's address, so a link reproduces
the run. The guided tours set everything in one click and say what to watch.
"""


def study_url(study) -> str:
    """The URL of a study's page (its module's ``PATH``)."""
    return f"/{study.page.PATH}"


def game_pages() -> list[tuple]:
    """``(game, page module)`` of every game with a dashboard page, in menu order.

    A page that cannot be imported (a broken plugin game's) is one
    :class:`~market.core.plugins.PluginWarning` naming it, and is left out.
    """
    pages = []
    for game in GAMES:
        if not game.page_path:
            continue
        try:
            pages.append((game, game.page))
        except Exception as error:  # foreign code at import: skip it, say why
            message = f"the {game.name} game's page {game.page_path!r} not loaded: {error!r}"
            warnings.warn(message[:300], PluginWarning, stacklevel=2)
    return pages


@solara.component
def Card(title: str, text: str, url: str, action: str):
    """A card with a link button."""
    with solara.Card(title=title, style="width:360px;margin:8px;"):
        Prose(text)
        with solara.Link(url):
            solara.Button(action, color="primary", text=True)


@solara.component
def Page():
    """The home page."""
    solara.Title("llm-market")
    Prose(WELCOME)
    Prose("## Games")
    with solara.Row(style="flex-wrap:wrap;"):
        for g, page in game_pages():
            Card(g.title, f"{g.summary}\n\n*{g.reference}*", f"/{page.PATH}", "Open")
            for study in g.studies:  # the pages that study the game further, right after it
                Card(
                    study.title, f"{study.summary}\n\n*{study.reference}*", study_url(study), "Open"
                )
    Prose("## Guided tours")
    with solara.Row(style="flex-wrap:wrap;"):
        for tour in TOURS:
            Card(tour.title, tour.text, tour.url, "Start the tour")
    solara.HTML(
        tag="p",
        unsafe_innerHTML=html.escape(capacity.server().status()),
        attributes={"data-testid": "server-status"},
        style="font-size:12px;color:#666;margin-top:16px;",
    )
