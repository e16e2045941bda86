"""Unknown addresses show the site's layout with "Page not found" and a link home.

The pages are rendered headlessly under solara's own RenderPage and the dashboard's routes (so
the layout and its tabs are drawn); the HTTP side is solara's 404 handed to our handler.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import ipyvue
import ipyvuetify as v
import pytest
import solara
import solara.autorouting
import solara.routing
import solara.widgets
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request

from app import notfound
from app.notfound import handle_unknown_addresses, is_page_request, unknown_address
from app.pages import page_routes


@solara.component
def Site(url: str):
    """The dashboard's routes and layout at ``url`` (what a browser tab shows)."""
    path, set_path = solara.use_state(url)
    router = solara.routing.Router(path, routes=page_routes(), set_path=set_path)
    solara.routing.router_context.provide(router)
    solara.autorouting.RenderPage()


def shown(url: str):
    """Card titles, layout tabs, buttons and texts of the page at ``url``."""
    _box, rc = solara.render(Site(url), handle_error=False)
    return SimpleNamespace(
        cards=[str(c.widget.children) for c in rc.find(v.CardTitle)],
        tabs=[str(t.widget.children) for t in rc.find(v.Tab)],
        buttons=[str(b.widget.children) for b in rc.find(v.Btn)],
        text=" ".join(str(h.widget.children) for h in rc.find(v.Html)),
        rc=rc,
    )


@pytest.mark.parametrize(
    ("url", "address"),
    [("/?missing=%2Fno-such-page", "/no-such-page"), ("/delegation/extra", "/delegation/extra")],
)
def test_an_unknown_address_shows_not_found_in_the_site_layout(url, address):
    page = shown(url)
    assert page.cards == ["['Page not found']"]
    assert len(page.tabs) == len(page_routes())  # the site's navigation is there
    assert f"There is no page at {address}." in page.text
    assert page.buttons == ["['Go to the home page']"]


def test_the_link_goes_home():
    page = shown("/?missing=%2Fno-such-page")
    (link,) = [a.widget for a in page.rc.find(ipyvue.Html, tag="a")]
    assert link.attributes == {"href": "/"}
    assert link.children[0].children == ["Go to the home page"]


def test_known_addresses_are_their_pages():
    home = shown("/")
    assert "['Start the tour']" in home.buttons and "['Page not found']" not in home.cards


def test_the_missing_address_is_text_not_markup():
    page = shown("/?missing=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E")
    html = [w.widget for w in page.rc.find(solara.widgets.HTML)]
    assert not any("<img" in (w.unsafe_innerHTML or "") for w in html)
    assert "There is no page at <img src=x onerror=alert(1)>." in page.text  # a text node


def request(path: str, accept: str, method: str = "GET") -> Request:
    headers = [(b"accept", accept.encode())]
    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    return Request({**scope, "query_string": b"", "root_path": "", "scheme": "http"})


def answer(path: str, accept: str, method: str = "GET"):
    error = HTTPException(404, "Page not found by Solara router")
    return unknown_address(request(path, accept, method), error)


def test_a_page_request_for_an_unknown_address_goes_to_the_not_found_page():
    response = answer("/no-such-page", "text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 307
    assert response.headers["location"] == "/?missing=%2Fno-such-page"


@pytest.mark.parametrize(
    ("accept", "method"), [("*/*", "GET"), ("image/avif,image/webp", "GET"), ("text/html", "POST")]
)
def test_other_404s_stay_plain_404s(accept, method):
    response = answer("/_solara/cdn/missing.js", accept, method)
    assert response.status_code == 404 and response.body == b"Page not found by Solara router"


def test_page_requests_are_browser_navigations():
    assert is_page_request("GET", "text/html,application/xhtml+xml")
    assert not is_page_request("GET", "application/json")
    assert not is_page_request("DELETE", "text/html")


def test_the_handler_is_installed_only_in_solaras_server(monkeypatch):
    monkeypatch.delitem(sys.modules, "solara.server.starlette", raising=False)
    handle_unknown_addresses()  # a test importing app.app: nothing to do
    server = SimpleNamespace(app=Starlette())
    server.app.middleware_stack = server.app.build_middleware_stack()
    monkeypatch.setitem(sys.modules, "solara.server.starlette", server)
    handle_unknown_addresses()
    assert server.app.exception_handlers[404] is notfound.unknown_address
    assert server.app.middleware_stack is None  # rebuilt, handler included, on first request
