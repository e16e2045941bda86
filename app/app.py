"""The dashboard's entry point: ``solara run app.app`` (or ``llm-market dashboard``).

Kept thin (``shared/notes/solara-dashboard.md`` trap 7): the routes come from
:mod:`app.pages`; every page builds its model per browser tab. Unknown addresses show the
site's "Page not found" (:mod:`app.notfound`).
"""

from app.notfound import handle_unknown_addresses
from app.pages import page_routes

routes = page_routes()
handle_unknown_addresses()
