"""The dashboard's pages: adding one is one module here plus one entry in ``PAGES``.

Each page module exports ``PATH`` (its URL path), ``TITLE`` (its tab label) and a ``Page``
component. An address no page has shows "Page not found" in the site's layout
(:mod:`app.notfound`).
"""

from __future__ import annotations

import solara

from app.notfound import routed
from app.pages import delegation, home, metagame, rosa, ttc

PAGES = (home, delegation, metagame, ttc, rosa)


def page_routes(pages=PAGES) -> list[solara.Route]:
    """One route per page module (deeper addresses under it show "Page not found")."""
    return [
        solara.Route(path=p.PATH or "/", component=routed(p.Page), label=p.TITLE) for p in pages
    ]
