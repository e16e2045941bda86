"""A real driver killed (SIGKILL) or interrupted (Ctrl-C) mid-sweep, then resumed.

Each check starts ``llm-market delegation sweep ... --store`` as a real process, waits until the
store shows progress, kills it at a random moment after that, checks that no worker outlives it
and that the store holds no run twice, then resumes; the final files must equal an
uninterrupted run's, byte for byte. Chunks are made small (``LLM_MARKET_CHUNK_SECONDS``) so the
store fills in many transactions within a few seconds. The processes killed or interrupted are
real; the resume and the reference run the same command in this process (``main``), as the
process that resumes is not what is tested, and a fresh interpreter costs seconds of imports.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from market.games import main

SWEEP = ["delegation", "sweep", "--scenario", "cao2026", "--T", "60000", "--seeds", "3"]
COMPARED = ("profiles.csv", "summary.csv", "figure3.csv", "figure2.png", "figure3.png")
ENV = {**os.environ, "LLM_MARKET_CHUNK_SECONDS": "0.03", "CI": "1"}


def command() -> list[str]:
    return [sys.executable, "-m", "market"]


def stored_runs(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def as_from_a_terminal() -> None:
    """Give the driver the default Ctrl-C handling a terminal's foreground job has.

    A test run started in the background by a non-interactive shell (as CI may be) inherits
    SIGINT ignored, and an ignored signal stays ignored across exec.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(store: Path, out: Path, jobs: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*command(), *SWEEP, "--jobs", jobs, "--store", str(store), "--out", str(out), *extra],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_from_a_terminal,
    )


def wait_for_progress(process: subprocess.Popen, store: Path, beyond: int) -> int:
    """Wait until the store holds more than ``beyond`` runs (the driver is mid-sweep)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = stored_runs(store)
        if done > beyond:
            return done
        if process.poll() is not None:
            pytest.fail(f"the sweep ended before it was stopped:\n{process.stderr.read()}")
        time.sleep(0.02)
    pytest.fail("the store showed no progress within 60 s")


def in_this_process(*arguments: str) -> tuple[int, str, str]:
    """The command ``llm-market ARGUMENTS`` run here, under ``ENV``: exit code, stdout, stderr."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("LLM_MARKET_CHUNK_SECONDS", "CI"):
            patch.setenv(name, ENV[name])
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(arguments))
    return code, out.getvalue(), err.getvalue()


def run_to_the_end(store: Path, out: Path, jobs: str = "2") -> tuple[int, str, str]:
    """The same sweep again, left to finish (it resumes from ``store``): code, stdout, stderr."""
    return in_this_process(*SWEEP, "--jobs", jobs, "--store", str(store), "--out", str(out))


def workers_of(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def assert_no_survivors(workers: list[psutil.Process]) -> None:
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == [], f"workers outlived the driver: {[p.pid for p in alive]}"


def assert_no_duplicates(store: Path) -> None:
    with sqlite3.connect(store) as con:
        runs, distinct = con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM runs").fetchone()
        rows, keys = con.execute(
            "SELECT COUNT(*), COUNT(DISTINCT run_key) FROM delegation_profiles"
        ).fetchone()
    assert runs == distinct
    assert keys == runs and rows == 3 * runs  # every stored run has its 3 rows, no more


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference")
    code, _, err = in_this_process(*SWEEP, "--jobs", "1", "--out", str(out))
    assert code == 0, err
    return out


def assert_same_outputs(reference: Path, out: Path) -> None:
    for name in COMPARED:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(tmp_path, reference):
    store = tmp_path / "runs.db"
    rng = random.Random(20260)
    done = 0
    for attempt in range(3):
        process = start(store, tmp_path / f"out{attempt}", jobs="2")
        done = wait_for_progress(process, store, done)
        time.sleep(rng.uniform(0.0, 0.3))
        workers = workers_of(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert_no_survivors(workers)
        assert_no_duplicates(store)
        assert not (tmp_path / f"out{attempt}").exists()  # nothing written before the end
        done = stored_runs(store)
    code, _, err = run_to_the_end(store, tmp_path / "out")
    assert code == 0, err
    assert_no_duplicates(store)
    assert stored_runs(store) == 216 * 3
    assert_same_outputs(reference, tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_within_seconds_with_one_line_then_resumes(tmp_path, reference, jobs):
    store = tmp_path / "runs.db"
    process = start(store, tmp_path / "out", jobs=jobs)
    wait_for_progress(process, store, 0)
    workers = workers_of(process.pid)
    sent = time.monotonic()
    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    waited = time.monotonic() - sent
    assert process.returncode == 130
    assert waited < 3.0, f"Ctrl-C took {waited:.1f} s"
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert "interrupted" in lines[0] and "the same command resumes" in lines[0]
    assert str(store) in lines[0]
    assert_no_survivors(workers)
    assert_no_duplicates(store)
    kept = stored_runs(store)
    assert 0 < kept < 216 * 3
    code, out, err = run_to_the_end(store, tmp_path / "out", jobs)
    assert code == 0, err
    assert f"{kept} run(s) from the store" in out
    assert_same_outputs(reference, tmp_path / "out")


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="the dask extra is not installed (pip install -e '.[dask]')",
)
def test_dask_workers_die_with_a_killed_driver_and_the_sweep_resumes(tmp_path, reference):
    store = tmp_path / "runs.db"
    process = start(store, tmp_path / "out", "2", "--executor", "dask")
    wait_for_progress(process, store, 0)
    workers = workers_of(process.pid)
    assert len(workers) >= 2  # the LocalCluster's worker processes
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert_no_survivors(workers)
    assert_no_duplicates(store)
    code, _, err = run_to_the_end(store, tmp_path / "out")
    assert code == 0, err
    assert_same_outputs(reference, tmp_path / "out")
