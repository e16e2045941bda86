"""A page's settings in its URL: read on load, written on every change (links reproduce runs).

Each game's settings record has ``to_query()`` and ``from_query(dict)``; this module turns them
into and out of the URL's query string. Unknown parameters are ignored; values are checked
when the model is built, so a mistyped link shows a one-line message in the page.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode


def parse_query(search: str | None) -> dict[str, str]:
    """The query string (without or with its ``?``) as a dict; the last repeat wins."""
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=True))


def page_url(path: str, query: dict[str, str]) -> str:
    """``/path?query`` (empty values kept: an empty seed means a fresh one, not the default)."""
    kept = {k: v for k, v in query.items() if v is not None}
    return f"/{path.strip('/')}" + (f"?{urlencode(kept)}" if kept else "")
