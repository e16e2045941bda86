"""The ROSA and metagame sweeps killed (SIGKILL) mid-run by a real signal, then resumed.

As for the strategy sweep (``test_experiments_resume.py``): the command runs as a real process
with ``--store``, is killed once the new kind's table shows progress, leaves no worker behind,
no run twice and no output file; the same command then resumes, and its files equal an
uninterrupted run's, byte for byte. ``rosa truthfulness`` stores ``rosa/allocations`` runs;
``delegation metagame`` is killed during its Theorem 5.2 check (``delegation/deviations``).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from test_experiments_resume import ENV, assert_no_survivors, command, workers_of

from market.games import main

pytestmark = pytest.mark.slow  # real processes killed mid-run


def distinct_runs(store: Path, table: str) -> int:
    """Runs with rows in ``table`` (0 before the table exists)."""
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as con:
            return con.execute(f"SELECT COUNT(DISTINCT run_key) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def kill_once_stored(arguments: list[str], store: Path, table: str, out: Path) -> int:
    """Start the command, SIGKILL it as soon as ``table`` holds a run; the runs it kept."""
    process = subprocess.Popen(
        [*command(), *arguments, "--store", str(store), "--out", str(out)],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while distinct_runs(store, table) == 0:
        if process.poll() is not None:
            pytest.fail(f"the command ended before it was stopped:\n{process.stderr.read()}")
        if time.monotonic() > deadline:
            pytest.fail("the store showed no progress within 60 s")
        time.sleep(0.01)
    workers = workers_of(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert_no_survivors(workers)
    assert not out.exists()  # nothing written before the end
    with sqlite3.connect(store) as con:
        runs, distinct = con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM runs").fetchone()
        (kept,) = con.execute(f"SELECT COUNT(DISTINCT run_key) FROM {table}").fetchone()
    assert runs == distinct and kept > 0
    return kept


def same_files(a: Path, b: Path, names) -> None:
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


TRUTHFULNESS = ["rosa", "truthfulness", "--T", "1000", "--runs", "200", "--seed", "8", "--jobs"]


def test_rosa_truthfulness_resumes_after_sigkill(tmp_path, capsys):
    store = tmp_path / "runs.db"
    kept = kill_once_stored([*TRUTHFULNESS, "2"], store, "rosa_allocations", tmp_path / "killed")
    with sqlite3.connect(store) as con:
        (total,) = con.execute("SELECT total FROM experiments").fetchone()
    assert kept < total
    out, reference = tmp_path / "out", tmp_path / "reference"
    assert main([*TRUTHFULNESS, "2", "--store", str(store), "--out", str(out)]) == 0
    assert distinct_runs(store, "rosa_allocations") == total
    assert main([*TRUTHFULNESS, "2", "--out", str(reference)]) == 0
    same_files(reference, out, ("truthfulness.csv", "truthfulness.json", "truthfulness.png"))


SMALL = str(Path(__file__).parent / "data" / "small_scenario.toml")  # 36 profiles: a quick PNG
METAGAME = ["delegation", "metagame", "--scenario", SMALL, "--T", "100000", "--seeds", "2"]
METAGAME_FILES = (
    "payoffs.csv",
    "graph.graphml",
    "graph.png",
    "sinks.csv",
    "dynamics.csv",
    "theorem52.csv",
)


def test_the_metagames_theorem_check_resumes_after_sigkill(tmp_path, capsys):
    store = tmp_path / "runs.db"
    killed = kill_once_stored(
        [*METAGAME, "--jobs", "2"], store, "delegation_deviations", tmp_path / "k"
    )
    out, reference = tmp_path / "out", tmp_path / "reference"
    assert main([*METAGAME, "--jobs", "2", "--store", str(store), "--out", str(out)]) == 0
    assert distinct_runs(store, "delegation_deviations") > killed
    assert main([*METAGAME, "--jobs", "2", "--no-store", "--out", str(reference)]) == 0
    same_files(reference, out, METAGAME_FILES)
