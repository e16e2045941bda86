"""The dashboard's entry point: ``solara run app.app`` (or ``llm-market dashboard``).

Kept thin (``shared/notes/solara-dashboard.md`` trap 7): the routes come from
:mod:`app.pages`; every page builds its model per browser tab. Unknown addresses show the
site's "Page not found" (:mod:`app.notfound`); a tab's close beacon never prints a traceback
(:mod:`app.tab_close`).
"""

from app.notfound import handle_unknown_addresses
from app.pages import page_routes
from app.tab_close import install_quiet_close

routes = page_routes()
install_quiet_close()
handle_unknown_addresses()
