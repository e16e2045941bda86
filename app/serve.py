"""Start the dashboard in a child process and wait for it (browser tests and benchmarks).

The server is ``llm-market dashboard`` itself (``python -m market dashboard``), so the tests and
benchmarks load the dashboard exactly as a user would.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

from market.dashboard import free_port

#: Chromium flags that keep a headless browser off the network except for the page's own.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    """Poll ``url`` until it answers 200 (RuntimeError if the server dies or times out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the dashboard exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the dashboard did not answer at {url} within {timeout:.0f} s")


def start_dashboard(
    host: str = "127.0.0.1",
    env: dict[str, str] | None = None,
    stderr=subprocess.DEVNULL,
    args: tuple[str, ...] = (),
) -> tuple[subprocess.Popen, str]:
    """``llm-market dashboard`` on a free port; returns the process and its base URL.

    Args:
        host: the address to serve on.
        env: the server's environment (default: this process's).
        stderr: where the server's stderr goes (a file opened for writing; default: nowhere).
        args: more options of the command (e.g. ``("--data-dir", folder)``).
    """
    port = free_port(host)
    process = subprocess.Popen(
        [sys.executable, "-m", "market", "dashboard", "--host", host, "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env=env,
    )
    url = f"http://{host}:{port}"
    try:
        wait_until_up(url + "/", process)
    except RuntimeError:
        stop_dashboard(process)
        raise
    return process, url


def stop_dashboard(process: subprocess.Popen) -> None:
    """Stop the server started by :func:`start_dashboard`."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def is_local(url: str, base: str) -> bool:
    """Whether a request stays on the dashboard's own server (anything else is refused)."""
    origin = base.split("://", 1)[1]
    return url.startswith(("data:", "blob:")) or url.split("://", 1)[-1].startswith(origin)
