"""The dashboard's entry point: ``solara run app.app`` (or ``llm-market dashboard``).

Kept thin (``shared/notes/solara-dashboard.md`` trap 7): the routes come from
:mod:`app.pages`; every page builds its model per browser tab.
"""

from app.pages import page_routes

routes = page_routes()
