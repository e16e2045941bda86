"""The ``llm-market dashboard`` command: serve the Solara dashboard (``app.app``).

Thin, like every command module: it parses ``--host``/``--port``, picks a free port when none
is given, prints the address, and runs solara's own server in this process. No browser is
opened when there is no display (or with ``--no-open``). The page needs no internet: its
front-end assets come from the ``solara-assets`` package (see :mod:`app.offline`). A host other
than a loopback one gets a warning on stderr saying what other devices can then do.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import socket
import sys
import textwrap
import warnings

from market.core.errors import UserInputError
from market.core.values import count

DEFAULT_HOST = "127.0.0.1"


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``dashboard`` command."""
    parser = commands.add_parser(
        "dashboard",
        help="serve the interactive dashboard in the browser (the games, guided tours)",
        description="Serve the Solara dashboard: the delegation and test-time compute games, "
        "played step by step in the browser, with guided tours. Stop it with Ctrl+C.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address (default {DEFAULT_HOST})")
    parser.add_argument("--port", default=None, help="port (default: a free one, printed)")
    parser.add_argument(
        "--no-open", action="store_true", help="do not open a browser (never opened headless)"
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="a folder whose scenario TOML and curves CSV files the pages offer by name "
        "(nothing outside it; default: none, users upload their own files)",
    )
    parser.add_argument(
        "--memory-budget",
        default=None,
        metavar="SIZE",
        help="memory all tabs' models and computations may hold together, e.g. 4GB or 500MB "
        "(default: half of this machine's memory); beyond it new work is refused with a message",
    )
    parser.add_argument(
        "--workers",
        default=None,
        metavar="N",
        help="threads shared by all tabs for heavy work: studies, payoff tables, large user "
        "populations (default: the cores minus one, at least 1)",
    )
    parser.set_defaults(handler=handler)


def address_family(host: str) -> socket.AddressFamily:
    """IPv6 for an IPv6 address such as ``::1``, otherwise IPv4 (as uvicorn binds)."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def free_port(host: str) -> int:
    """A port the OS says is free on ``host`` now."""
    with socket.socket(address_family(host), socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_number(text, host: str) -> int:
    """The ``--port`` value: 1-65535, or a free port when not given."""
    if text is None:
        try:
            return free_port(host)
        except OSError as error:
            raise UserInputError(
                "host", "an address of this machine", host, note=str(error)
            ) from None
    try:
        port = int(str(text))
    except ValueError:
        raise UserInputError("port", "an integer from 1 to 65535", text) from None
    if not 1 <= port <= 65535:
        raise UserInputError("port", "an integer from 1 to 65535", text)
    return port


def has_display() -> bool:
    """Whether a browser could open a window here."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host``: 127.0.0.0/8, ::1 or localhost.

    A host name counts when every address it resolves to is a loopback one.
    """
    name = host.strip().strip("[]").lower()
    if name in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    addresses = {info[4][0].split("%")[0] for info in found}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def exposure_warning(host: str, port: int, data_dir: str | None = None) -> str:
    """What serving on ``host`` opens to other devices ("" when only this machine can reach it)."""
    if is_loopback(host):
        return ""
    files = (
        f"the files of {data_dir} (its .toml and .csv files) become readable by name"
        if data_dir
        else "files in a --data-dir folder, if given, become readable by name"
    )
    return textwrap.fill(
        f"llm-market: warning: --host {host} makes the dashboard reachable from other "
        f"devices. Every device that can reach this machine on port {port} can open the "
        "dashboard and run simulations on this server (its CPU and memory); nothing needs a "
        f"login, and {files}. Use --host 127.0.0.1 to keep it to this machine.",
        width=79,
    )


def warn_if_reachable(host: str, port: int, data_dir: str | None = None) -> None:
    """Print :func:`exposure_warning` on stderr when there is one."""
    warning = exposure_warning(host, port, data_dir)
    if warning:
        print(warning, file=sys.stderr, flush=True)


#: A memory size: a number and an optional unit (K, M, G or T, with or without B or iB).
SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT])?(?:i?B)?", re.IGNORECASE)
#: The smallest memory budget accepted (one delegation run at T = 1e6 holds about 200 MB).
SMALLEST_BUDGET = 256 * 1024**2
#: How long a tab that vanished without closing (a laptop shut, a lost network) keeps its
#: session before the server ends it; a closed or reloaded tab ends its session at once.
VANISHED_TAB_TIMEOUT = "60s"


def memory_size(text: str) -> int:
    """A size such as ``4GB``, ``500 MB``, ``2GiB`` or ``1073741824`` (bytes), >= 256 MB."""
    expected = "a size such as 4GB or 500MB, at least 256MB"
    match = SIZE.fullmatch(str(text).strip())
    if match is None:
        raise UserInputError("--memory-budget", expected, text)
    size = float(match.group(1)) * 1024 ** "BKMGT".index((match.group(2) or "B").upper())
    if not SMALLEST_BUDGET <= size <= 1024**5:
        raise UserInputError("--memory-budget", expected, text)
    return int(size)


#: The most shared worker threads per core (each runs heavy numpy work; more only queue).
WORKERS_PER_CORE = 4


def worker_threads(text) -> int:
    """``--workers``: at least 1, at most :data:`WORKERS_PER_CORE` per core of this machine."""
    from market.core.pricing import cores

    workers, largest = count(text, "--workers"), WORKERS_PER_CORE * cores()
    if workers > largest:
        expected = f"at most {largest} shared worker threads on this machine (4 per core)"
        raise UserInputError("--workers", expected, text)
    return workers


def serving_environment(args: argparse.Namespace) -> dict[str, str]:
    """The variables that tell the dashboard's pages the server's settings (checked)."""
    from app.capacity import BUDGET_VARIABLE, WORKERS_VARIABLE
    from app.files import DATA_DIR_VARIABLE

    env = {
        "SOLARA_KERNEL_CULL_TIMEOUT": VANISHED_TAB_TIMEOUT,
        # solara's "runs on Solara" banner sits over the run controls on a phone
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_THEME_TITLE": "llm-market",
    }
    env = {name: os.environ.get(name) or value for name, value in env.items()}
    if args.data_dir is not None:
        folder = os.path.abspath(os.path.expanduser(str(args.data_dir)))
        if not os.path.isdir(folder):
            raise UserInputError("--data-dir", "an existing folder", args.data_dir)
        env[DATA_DIR_VARIABLE] = folder
    if args.memory_budget is not None:
        env[BUDGET_VARIABLE] = str(memory_size(args.memory_budget))
    if args.workers is not None:
        env[WORKERS_VARIABLE] = str(worker_threads(args.workers))
    return env


def serving_summary() -> str:
    """One line on what every tab shares: the memory budget, the workers, the data folder."""
    from app.capacity import server, size_text
    from app.files import data_folder, served_names

    shared = server()
    line = (
        f"llm-market dashboard: {size_text(shared.budget.limit)} memory budget and "
        f"{shared.pool.workers} shared worker(s) for all tabs"
    )
    folder = data_folder()
    if folder is None:
        return line + "; no data folder (users upload their own files)"
    names = served_names((".toml", ".csv"))
    return line + f"; offering {len(names)} file(s) of {folder} by name"


def solara_arguments(host: str, port: int, open_browser: bool) -> list[str]:
    """The arguments of ``solara run`` for the dashboard.

    ``--no-check-version``: solara would otherwise ask pypi.org for its newest version at
    every start (a request to the internet; the dashboard makes none).
    """
    args = ["run", "app.app", "--host", host, "--port", str(port), "--production"]
    args += ["--no-check-version"]
    return args if open_browser else [*args, "--no-open"]


def handler(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the exit code."""
    port = port_number(args.port, args.host)
    with socket.socket(address_family(args.host), socket.SOCK_STREAM) as probe:
        try:
            probe.bind((args.host, port))
        except OSError as error:
            raise UserInputError(
                "port", "a free port on the host", f"{args.host}:{port}", note=str(error)
            ) from None
    from app.offline import prepare_offline_assets

    prepare_offline_assets()  # first: solara reads its telemetry setting when imported
    settings = serving_environment(args)
    warn_if_reachable(args.host, port, settings.get("LLM_MARKET_DATA_DIR"))
    os.environ.update(settings)
    import click
    import solara.__main__

    # served on the user's own machine over http: solara's note that a samesite=none cookie
    # needs https (it falls back to lax, which is right here) says nothing a user can act on
    warnings.filterwarnings("ignore", message="Cookies with samesite=none", category=UserWarning)

    where = f"[{args.host}]" if ":" in args.host else args.host
    print(f"llm-market dashboard: http://{where}:{port}/  (Ctrl+C stops it)", flush=True)
    print(serving_summary(), flush=True)
    open_browser = has_display() and not args.no_open
    try:
        solara.__main__.cli.main(
            args=solara_arguments(args.host, port, open_browser), standalone_mode=False
        )
    except (KeyboardInterrupt, click.exceptions.Abort):
        # Ctrl+C: uvicorn shuts down, then raises the interrupt again, which click (not in
        # standalone mode) turns into Abort; a traceback here would be the terminal's last word
        return 0
    return 0
