"""Unknown addresses: the site's layout, "Page not found" and a link to the home page.

solara 1.64 matches a route part by part and has no catch-all route. An address whose first
part names no page gets solara's bare plain-text 404 ("Page not found by Solara router"), and
in the page a router that matches nothing draws an error without the site's layout. Its way to
a custom 404 (widgetti/solara#670) is that the HTTP endpoint raises a 404 for a Starlette
handler to catch; the page itself is always drawn for the browser's address. So:

- the handler sends a browser asking for such a page to ``/?missing=<address>``, a page that
  exists (other 404s, such as a missing script, stay plain 404s);
- every page's route shows :func:`NotFound` when its address has ``missing=`` or parts the
  page does not have (``/delegation/extra``).
"""

from __future__ import annotations

import sys

import solara
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from app.urlstate import page_url, parse_query

#: The query parameter naming the address that was not found.
MISSING = "missing"


@solara.component
def NotFound(address: str):
    """'Page not found', the address asked for (as text) and a link to the home page."""
    solara.Title("Page not found")
    with solara.Card(title="Page not found", style="max-width:640px;margin:8px;"):
        solara.Text(f"There is no page at {address}.", style="display:block;margin-bottom:8px;")
        with solara.Link("/"):
            solara.Button("Go to the home page", color="primary", text=True)


def routed(page):
    """``page`` for its own address; :func:`NotFound` for deeper or missing addresses.

    solara passes the parts of the address beyond the route as arguments (``extra``), cast
    to their annotation: left without one, as this module's annotations are strings.
    """

    @solara.component
    def Routed(*extra):
        router = solara.use_router()
        missing = parse_query(router.search).get(MISSING)
        if extra or missing is not None:
            NotFound(missing or router.path)
        else:
            page()

    return Routed


def is_page_request(method: str, accept: str) -> bool:
    """Whether a browser asks for a page (not a script, a style sheet, an image or data)."""
    return method in ("GET", "HEAD") and "text/html" in accept


def not_found_url(path: str) -> str:
    """The home page's address showing that ``path`` was not found."""
    return page_url("/", {MISSING: path})


def unknown_address(request: Request, error: Exception) -> Response:
    """Answer solara's 404: a page request goes to the not-found page, anything else stays 404."""
    if is_page_request(request.method, request.headers.get("accept", "")):
        root = request.scope.get("root_path", "")
        path = request.url.path.removeprefix(root) if root else request.url.path
        return RedirectResponse(root + not_found_url(path), status_code=307)
    assert isinstance(error, HTTPException)
    return PlainTextResponse(error.detail, status_code=error.status_code, headers=error.headers)


def handle_unknown_addresses() -> None:
    """Install :func:`unknown_address` in solara's server (nothing when not served by it)."""
    server = sys.modules.get("solara.server.starlette")
    if server is None:
        return
    server.app.add_exception_handler(404, unknown_address)
    # solara imports the app during the server's start-up (its lifespan), after Starlette has
    # built the middleware stack with the handlers it had then; no request has been served, so
    # dropping the stack makes the first request build it again, this handler included.
    server.app.middleware_stack = None
