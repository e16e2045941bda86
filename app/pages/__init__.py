"""The dashboard's pages: the site's own, then every game's (its description's ``page_path``).

Each page module exports ``PATH`` (its URL path), ``TITLE`` (its tab label) and a ``Page``
component. A game added by an installed package (:mod:`market.games`) brings its page the same
way; a page that cannot be imported is one :class:`~market.core.plugins.PluginWarning` and is
left out. An address no page has shows "Page not found" in the site's layout
(:mod:`app.notfound`).
"""

from __future__ import annotations

import solara

from app.notfound import routed
from app.pages import delegation, home, metagame, rosa, ttc
from app.pages.home import game_pages

#: The pages the site ships, in menu order (the shipped games' among them).
PAGES = (home, delegation, metagame, ttc, rosa)


def site_pages(shipped=PAGES) -> list:
    """The shipped pages, then the page of every other game that has one."""
    return [*shipped, *(page for _, page in game_pages() if page not in shipped)]


def page_routes(pages=None) -> list[solara.Route]:
    """One route per page module (deeper addresses under it show "Page not found").

    ``pages``: the page modules (default: :func:`site_pages`).
    """
    pages = site_pages() if pages is None else pages
    return [
        solara.Route(path=p.PATH or "/", component=routed(p.Page), label=p.TITLE) for p in pages
    ]
