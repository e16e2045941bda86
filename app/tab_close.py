"""A closing tab never prints a traceback on the server.

When a tab closes or leaves a page, the browser sends a beacon to solara's close route
(``POST /_solara/api/close/{kernel_id}``). Solara runs that route in Starlette's thread pool,
and its kernel's ``close()`` ends by deleting the calling thread's entry in
``solara.server.kernel_context.current_context``. A pool thread that never held a kernel
context has no such entry, and a busy server (a class opening and leaving pages) starts fresh
pool threads. There the close raised ``KeyError`` after the kernel and its session were
released: the server's terminal showed a traceback, and the close skipped its last steps
(dropping other threads' references and setting ``closed_event``).

:func:`install_quiet_close` replaces that route with :func:`quiet_close` around solara's own
endpoint: the thread gets an empty entry first, so solara's close runs to its end, and the entry
is removed afterwards if solara left it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

#: Solara's close route (``solara.server.starlette``).
CLOSE_PATH = "/_solara/api/close/{kernel_id}"


def quiet_close(endpoint: Callable) -> Callable:
    """``endpoint`` run with the calling thread holding a (possibly empty) kernel-context entry.

    The wrapper is a plain function, so Starlette runs it in its thread pool like the
    endpoint it wraps, and the entry is the one solara's close deletes.
    """
    from solara.server import kernel_context

    def close(request):
        contexts = kernel_context.current_context
        key = kernel_context.get_current_thread_key()
        placed = key not in contexts
        if placed:
            contexts[key] = None
        try:
            return endpoint(request)
        finally:
            if placed and key in contexts and contexts[key] is None:
                del contexts[key]

    close.__wrapped__ = endpoint
    return close


def install_quiet_close() -> None:
    """Serve solara's close route through :func:`quiet_close` (nothing outside solara's server)."""
    server = sys.modules.get("solara.server.starlette")
    if server is None:
        return
    from starlette.routing import Route

    routes = server.app.router.routes
    for i, route in enumerate(routes):
        endpoint = getattr(route, "endpoint", None)
        if getattr(route, "path", "") != CLOSE_PATH or hasattr(endpoint, "__wrapped__"):
            continue
        routes[i] = Route(CLOSE_PATH, endpoint=quiet_close(endpoint), methods=["POST"])
