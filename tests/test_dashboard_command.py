"""``llm-market dashboard``: the warning of a non-loopback --host, Ctrl+C, solara's arguments.

The server is never started here: solara's command is replaced by a stand-in that records its
arguments and stops like Ctrl+C, so only the decisions and the messages are exercised.
"""

from __future__ import annotations

import socket

import click
import pytest
import solara.__main__

from market import dashboard
from market.dashboard import exposure_warning, free_port, is_loopback
from market.games import main

LOOPBACK = ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST")
REACHABLE = ("0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "2001:db8::1")


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_addresses_need_no_warning(host):
    assert is_loopback(host)
    assert exposure_warning(host, 8765) == ""


@pytest.mark.parametrize("host", REACHABLE)
def test_other_addresses_say_what_becomes_reachable(host):
    assert not is_loopback(host)
    text = exposure_warning(host, 8765)
    assert text.startswith(f"llm-market: warning: --host {host} makes the dashboard reachable")
    flat = " ".join(text.split())
    for words in (
        "Every device that can reach this machine on port 8765",
        "run simulations on this server (its CPU and memory)",
        "nothing needs a login",
        "files in a --data-dir folder, if given, become readable by name",
        "--host 127.0.0.1",
    ):
        assert words in flat
    assert text.count("\n\n") == 0  # one paragraph
    assert max(len(line) for line in text.splitlines()) <= 79


def test_a_host_name_counts_as_loopback_only_if_all_its_addresses_are(monkeypatch):
    def resolve(addresses):
        return lambda *_args, **_kwargs: [(0, 0, 0, "", (a, 0)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", resolve(["127.0.1.1"]))
    assert is_loopback("myhost")
    monkeypatch.setattr(socket, "getaddrinfo", resolve(["127.0.1.1", "192.168.1.20"]))
    assert not is_loopback("myhost")

    def unknown(*_args, **_kwargs):
        raise socket.gaierror("unknown")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    assert not is_loopback("nosuchhost")


def stand_in(monkeypatch, stop: BaseException) -> list[list[str]]:
    """Replace solara's server command: record each call's arguments, then raise ``stop``."""
    monkeypatch.setenv("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    calls = []

    def run(args, standalone_mode):
        calls.append(args)
        raise stop

    monkeypatch.setattr(solara.__main__.cli, "main", run)
    return calls


@pytest.fixture
def solara_stand_in(monkeypatch):
    """solara's command stopping like Ctrl+C before the server starts."""
    return stand_in(monkeypatch, KeyboardInterrupt())


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), click.exceptions.Abort()])
def test_ctrl_c_while_serving_exits_0_without_a_traceback(monkeypatch, capsys, stop):
    """uvicorn re-raises the interrupt after shutting down; click turns it into Abort."""
    stand_in(monkeypatch, stop)
    assert main(["dashboard", "--port", str(free_port("127.0.0.1")), "--no-open"]) == 0
    assert capsys.readouterr().err == ""


def ipv6_loopback() -> bool:
    """Whether this machine can bind ::1."""
    try:
        free_port("::1")
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    ("host", "shown", "warned"),
    [
        ("0.0.0.0", "0.0.0.0", True),
        ("127.0.0.1", "127.0.0.1", False),
        pytest.param(
            "::1",
            "[::1]",
            False,
            marks=pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback here"),
        ),
    ],
)
def test_the_command_warns_before_serving_and_exits_0_on_ctrl_c(
    solara_stand_in, capsys, host, shown, warned
):
    port = free_port(host)
    assert main(["dashboard", "--host", host, "--port", str(port), "--no-open"]) == 0
    captured = capsys.readouterr()
    assert ("makes the dashboard reachable" in captured.err) is warned
    assert f"http://{shown}:{port}/" in captured.out
    (args,) = solara_stand_in
    assert args[args.index("--host") + 1] == host


def test_a_mistake_exits_2_with_one_line_and_no_warning(solara_stand_in, capsys):
    assert main(["dashboard", "--host", "0.0.0.0", "--port", "abc"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "port" in err and "warning" not in err
    assert solara_stand_in == []


def test_solara_is_asked_not_to_check_pypi_for_a_newer_version():
    assert "--no-check-version" in dashboard.solara_arguments("127.0.0.1", 1, open_browser=False)
