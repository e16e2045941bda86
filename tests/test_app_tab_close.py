"""A tab's close beacon never prints a traceback (``app.tab_close``).

Solara's kernel close deletes the calling thread's ``current_context`` entry; the close route
runs in Starlette's thread pool, whose fresh threads have none (KeyError in the server's
terminal, seen in CI with two test workers loading the machine).
"""

from __future__ import annotations

import sys
import threading
from types import SimpleNamespace

import pytest
from solara.server import kernel_context
from starlette.applications import Starlette
from starlette.routing import Route

from app import tab_close


def solaras_close_step(request):
    """What solara's close does last with the thread's entry (kernel_context.close)."""
    del kernel_context.current_context[kernel_context.get_current_thread_key()]
    return "closed"


def in_a_fresh_thread(function):
    outcome = {}

    def run():
        try:
            outcome["value"] = function("request")
            outcome["key"] = kernel_context.get_current_thread_key()
        except Exception as error:  # the failure this module prevents
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome


def test_solaras_close_step_fails_in_a_fresh_thread_without_the_wrapper():
    assert isinstance(in_a_fresh_thread(solaras_close_step).get("error"), KeyError)


def test_the_wrapped_close_runs_to_its_end_and_leaves_no_entry():
    outcome = in_a_fresh_thread(tab_close.quiet_close(solaras_close_step))
    assert "error" not in outcome and outcome["value"] == "closed"
    assert outcome["key"] not in kernel_context.current_context


def test_a_thread_that_holds_a_context_keeps_solaras_own_behaviour():
    def close_keeping_a_context(request):
        key = kernel_context.get_current_thread_key()
        assert kernel_context.current_context[key] == "a context"
        return "kept"

    def run(request):
        key = kernel_context.get_current_thread_key()
        kernel_context.current_context[key] = "a context"
        try:
            return tab_close.quiet_close(close_keeping_a_context)(request)
        finally:
            assert kernel_context.current_context.pop(key) == "a context"

    outcome = in_a_fresh_thread(run)
    assert outcome.get("value") == "kept", outcome


def test_the_route_is_replaced_once_and_only_in_solaras_server(monkeypatch):
    monkeypatch.delitem(sys.modules, "solara.server.starlette", raising=False)
    tab_close.install_quiet_close()  # a test importing app.app: nothing to do
    server = SimpleNamespace(
        app=Starlette(routes=[Route(tab_close.CLOSE_PATH, solaras_close_step, methods=["POST"])])
    )
    monkeypatch.setitem(sys.modules, "solara.server.starlette", server)
    tab_close.install_quiet_close()
    tab_close.install_quiet_close()
    (route,) = server.app.router.routes
    assert route.endpoint.__wrapped__ is solaras_close_step
    assert route.methods >= {"POST"}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # websockets.legacy, in uvicorn
def test_solaras_server_has_the_close_route_this_module_wraps():
    from solara.server import starlette as server

    assert tab_close.CLOSE_PATH in [getattr(route, "path", "") for route in server.app.routes]
