"""Run a batch of abuse-corpus cases in one Python process (see ``test_abuse_corpus.py``).

Started as ``python tests/abuse_runner.py ADDRESS_SPACE_BYTES REPORT_FD`` in a session of its
own, it caps its address space (``RLIMIT_AS``, inherited by any worker it starts), imports the
command modules once, then runs the cases it reads from stdin (one JSON line each) one after
another: the CLI's :func:`market.games.main` with the case's argv, in the case's own working
directory, with file descriptors 1 and 2 redirected to capture files (so worker processes'
output is caught too) and a timer that stops a case that runs too long. For each case it writes
two JSON lines to the report descriptor (``{"start": ID}``, then ``{"result": {...}}``) with the
exit code (as the console script would exit: ``main``'s return value, ``SystemExit``'s code, or
1 with the traceback on stderr for any other exception), what stderr and stdout held, the
seconds taken, and the peak resident memory the case reached in this process (``VmHWM``, reset
before each case) and in any worker this process waited for (``RUSAGE_CHILDREN``, whose maximum
only grows: reported when it rose).

A case that timed out or left a process running may leave threads, workers or half-built state
behind, and one after which the runner still holds much memory would inflate the next case's
peak, so the runner stops after such a case (exit code 3) and the test starts a fresh runner for
the cases that are left.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

RESTART = 3  # the runner's exit code after a case that may have left state behind
KEPT_TEXT = 2000  # characters of stderr and stdout reported (a 12 MB line is reported short)
RESTART_RSS_KIB = 400 * 1024  # a runner holding more after a case is replaced (the next case's
# peak would start from it)


class CaseTimeout(BaseException):
    """Raised by the timer in the main thread when a case runs past its time."""


def on_timer(signum, frame):
    """The case's time is up."""
    raise CaseTimeout


def status_kib(key: str) -> int:
    """A memory figure of this process from ``/proc/self/status`` (``VmHWM``, ``VmRSS``), KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> None:
    """Start ``VmHWM`` again from the current resident set (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def summary(path: Path) -> dict:
    """What a capture file holds: its lines (count, longest), a prefix and its size."""
    data = path.read_bytes()
    text = data.decode("utf-8", "replace")
    lines = text.splitlines()
    return {
        "bytes": len(data),
        "lines": len(lines),
        "nonempty_lines": sum(1 for line in lines if line.strip()),
        "longest": max((len(line) for line in lines), default=0),
        "head": text[:KEPT_TEXT],
        "tail": text[-KEPT_TEXT:],
        "traceback": "Traceback (most recent call last)" in text,
    }


def live_children() -> int:
    """How many processes this runner started are still running."""
    import psutil

    return len(psutil.Process().children(recursive=True))


def run_case(main, case: dict, timeout: float, capture: Path) -> tuple[dict, bool]:
    """Run one case; return its result and whether the runner should stop after it."""
    err_path, out_path = capture / "stderr", capture / "stdout"
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    for fd, path in ((1, out_path), (2, err_path)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    outcome, restart = "returned", False
    os.environ.update(case["env"])
    os.chdir(case["cwd"])
    reset_peak_rss()
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with warnings.catch_warnings():  # every case shows its warnings, as a fresh process
            try:
                code = main(case["argv"])
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except SystemExit as stop:
        code = stop.code
        if code is None:
            code = 0
        elif not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        outcome = "exited"
    except CaseTimeout:
        code, outcome, restart = None, "timeout", True
    except BaseException as error:  # what the interpreter would print before exiting with 1
        traceback.print_exc()
        code, outcome = 1, type(error).__name__
    signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.monotonic() - started
    peak = status_kib("VmHWM")
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    os.chdir(capture)
    sys.stdout.flush()
    sys.stderr.flush()
    for fd, copy in saved.items():
        os.dup2(copy, fd)
        os.close(copy)
    lingering = live_children()
    result = {
        "id": case["id"],
        "code": code,
        "outcome": outcome,
        "seconds": round(seconds, 3),
        "peak_kib": peak,
        "children_peak_kib": children_after if children_after > children_before else 0,
        "lingering_children": lingering,
        "stderr": summary(err_path),
        "stdout": summary(out_path),
    }
    return result, restart or lingering > 0 or status_kib("VmRSS") > RESTART_RSS_KIB


def warm_up() -> None:
    """Import what the commands import, so that no case's time is spent importing."""
    import matplotlib

    import market.delegation.cli
    import market.delegation.metagame_cli
    import market.experiment_cli
    import market.rosa.cli
    import market.ttc.cli  # noqa: F401

    matplotlib.use("Agg")
    import matplotlib.pyplot
    import pandas  # noqa: F401


def main() -> int:
    """Run the cases sent one JSON line at a time on stdin; report on the given descriptor.

    The command line is ``abuse_runner.py ADDRESS_SPACE_BYTES REPORT_FD``. A case is asked for
    only when the one before it finished, so runners working side by side share the cases.
    """
    cap, report_fd = (int(word) for word in sys.argv[1:3])
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    report = os.fdopen(report_fd, "w", buffering=1)
    cases = os.fdopen(os.dup(0), "r")
    null = os.open(os.devnull, os.O_RDONLY)  # a command reading stdin reads nothing
    os.dup2(null, 0)
    os.close(null)
    signal.signal(signal.SIGALRM, on_timer)
    warm_up()
    from market.games import main as cli_main

    with tempfile.TemporaryDirectory(prefix="abuse-capture-") as capture:
        report.write(json.dumps({"ready": True}) + "\n")
        for line in cases:
            case = json.loads(line)
            report.write(json.dumps({"start": case["id"]}) + "\n")
            result, restart = run_case(cli_main, case, case["seconds"], Path(capture))
            result["restart"] = restart
            report.write(json.dumps({"result": result}) + "\n")
            if restart:
                return RESTART
    return 0


if __name__ == "__main__":
    sys.exit(main())
