"""The store as a good citizen: read-only readers, shared work, stable exports, typed filters.

- ``results`` opens the store read-only (``mode=ro``, or ``immutable=1`` in a read-only
  folder or on a WAL file no writer has open) and leaves no ``-wal``/``-shm`` file behind;
- two drivers on one store share the work through claims with a lease: every run is computed
  once, and the table equals a single driver's; a dead driver's claims are free at once on its
  host, and elsewhere when the lease lapses;
- ``results --table --export`` is in run order: byte-identical across jobs, chunks and resumes;
- ``--filter`` values are checked against the column's type; ``--export`` errors name it.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import engine_kinds
import pytest
from engine_kinds import counted_experiment, markers_per_run

from market.core import claims, driver
from market.core import store_files as store_module
from market.core.experiments import execute
from market.core.store import ExperimentStore
from market.core.store_files import reader_uri
from market.games import main

TESTS = Path(__file__).resolve().parent
GRID = """game = "delegation"
kind = "profiles"
seed = 5
seeds = 3
[grid]
preset = "cao2026"
T = [20000, 30000]
strategies = ["ours", "honest"]
"""


def without_the_sleep(monkeypatch) -> None:
    """Drop the ``counted`` kind's per-run sleep in this process (inline runs, ``jobs=1``).

    The sleep only makes two driver processes overlap; the rows never depend on it.
    """
    monkeypatch.setattr(engine_kinds, "SECONDS_PER_RUN", 0.0)


def side_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-shm", "-journal")))


@pytest.fixture
def filled(tmp_path) -> Path:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    store = tmp_path / "s.db"
    assert main(["experiment", "run", str(grid), "--store", str(store), "--jobs", "1"]) == 0
    return store


# ---- read-only readers ----------------------------------------------------------------------


def test_results_leave_no_side_files(filled, capsys):
    folder = filled.parent
    assert side_files(folder) == []  # the writer switched the journal back when it closed
    assert main(["results", str(filled)]) == 0
    assert main(["results", str(filled), "--table", "delegation_profiles"]) == 0
    assert main(["results", str(filled), "--filter", "T=20000", "--json"]) == 0
    assert side_files(folder) == []
    with ExperimentStore(filled, readonly=True) as reader:
        assert reader.uri.endswith("?mode=ro")
        with pytest.raises(sqlite3.OperationalError):
            reader.connection.execute("DELETE FROM runs")


def test_a_store_in_a_read_only_folder_is_read_immutable(filled, monkeypatch, capsys):
    folder = filled.parent
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):  # root writes anywhere: make the folder look read-only
            real = os.access
            monkeypatch.setattr(
                store_module.os,
                "access",
                lambda path, mode: False if Path(path) == folder else real(path, mode),
            )
        assert reader_uri(filled).endswith("?immutable=1")
        assert main(["results", str(filled), "--table", "delegation_profiles", "--json"]) == 0
        assert len(capsys.readouterr().out) > 100
        assert side_files(folder) == []
    finally:
        folder.chmod(0o755)


def test_a_wal_file_no_writer_has_open_is_read_without_side_files(filled, capsys):
    with sqlite3.connect(filled) as con:  # as a writer killed before it switched back
        con.execute("PRAGMA journal_mode=WAL")
    assert not Path(f"{filled}-wal").exists()
    assert reader_uri(filled).endswith("?immutable=1")
    assert main(["results", str(filled)]) == 0
    assert side_files(filled.parent) == []


# ---- two drivers on one store ---------------------------------------------------------------


@pytest.mark.slow
def test_two_drivers_on_one_store_compute_every_run_once(tmp_path, monkeypatch):
    store, markers, runs = tmp_path / "s.db", tmp_path / "markers", 1600
    markers.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}
    env["LLM_MARKET_CHUNK_SECONDS"] = "0.05"
    command = [sys.executable, str(TESTS / "engine_kinds.py"), str(store), str(markers), str(runs)]
    drivers = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    reports = [d.communicate(timeout=120)[0].split() for d in drivers]
    assert [d.returncode for d in drivers] == [0, 0]
    counts = markers_per_run(markers)
    assert sorted(counts) == list(range(runs)) and set(counts.values()) == {1}
    computed = [int(report[0]) for report in reports]
    assert sum(computed) == runs and min(computed) > 0, reports  # both took a share
    without_the_sleep(monkeypatch)
    single = execute(counted_experiment(runs), None, jobs=1).rows
    assert execute(counted_experiment(runs), store, jobs=1).rows == single


def test_claims_of_a_dead_driver_are_free_and_a_live_ones_lease_is_kept(tmp_path):
    experiment = counted_experiment(100)
    runs = experiment.runs.span(0, 10)
    with ExperimentStore(tmp_path / "s.db") as store:
        store.register(experiment)
        store.ensure_table("test_counted", experiment.kind.columns)
        host = socket.gethostname()
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        later = time.time() + 60
        assert claims.claim(store, experiment.id, 0, f"{host}:{dead.pid}:aa", later, runs) == set()
        assert claims.claim(store, experiment.id, 0, "me:1:bb", later, runs) == set()  # dead: free
        assert claims.claim(store, experiment.id, 0, "other:2:cc", later, runs) is None  # held
        assert claims.held_blocks(store, experiment.id, "other:2:cc", time.time()) == {0}
        assert claims.claim(store, experiment.id, 1, "far:3:dd", time.time() - 1, runs) == set()
        assert claims.claim(store, experiment.id, 1, "me:1:bb", later, runs) == set()  # lapsed
        claims.release(store, experiment.id, "me:1:bb")
        assert claims.held_blocks(store, experiment.id, "x:4:ee", time.time()) == set()


# ---- exports in run order -------------------------------------------------------------------


def interrupt_after(chunks: int):
    """A ``compute_chunk`` that raises KeyboardInterrupt (Ctrl-C) at its ``chunks``-th call."""
    calls = []

    def compute(work):
        calls.append(1)
        if len(calls) == chunks:
            raise KeyboardInterrupt
        return driver.compute_chunk_unpatched(work)

    return compute


def export_table(store: Path, target: Path) -> bytes:
    table = ["--table", "delegation_profiles", "--export", str(target)]
    assert main(["results", str(store), *table]) == 0
    return target.read_bytes()


@pytest.mark.slow
def test_exports_are_byte_identical_across_jobs_chunks_and_resumes(tmp_path, monkeypatch, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    other = tmp_path / "other.toml"
    other.write_text(GRID.replace("T = [20000, 30000]", "T = 30000"))
    run = ["experiment", "run", str(grid), "--jobs"]
    monkeypatch.setenv("LLM_MARKET_CHUNK_SECONDS", "1.0")
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    assert main([*run, "2", "--store", str(first)]) == 0
    assert main(["experiment", "run", str(other), "--store", str(first), "--jobs", "1"]) == 0
    # the other store: the other grid first, small chunks, one job, Ctrl-C, then a resume
    monkeypatch.setenv("LLM_MARKET_CHUNK_SECONDS", "0.002")
    assert main(["experiment", "run", str(other), "--store", str(second), "--jobs", "1"]) == 0
    monkeypatch.setattr(driver, "compute_chunk_unpatched", driver.compute_chunk, raising=False)
    monkeypatch.setattr(driver, "compute_chunk", interrupt_after(4))
    assert main([*run, "1", "--store", str(second)]) == 130
    monkeypatch.setattr(driver, "compute_chunk", driver.compute_chunk_unpatched)
    assert main([*run, "1", "--store", str(second)]) == 0
    capsys.readouterr()
    exported = export_table(first, tmp_path / "a.csv")
    assert exported == export_table(second, tmp_path / "b.csv")
    assert len(exported.splitlines()) == 1 + 8 * 2 * 3 * 3  # header, profiles x T x seeds x 3
    assert exported == export_table(first, tmp_path / "again.csv")


# ---- filters and export errors --------------------------------------------------------------


def one_error(capsys, *args: str) -> str:
    assert main(["results", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_a_filter_value_of_the_wrong_type_is_refused(filled, capsys):
    err = one_error(capsys, str(filled), "--filter", "T<abc")
    assert err.startswith(
        "llm-market: error: --filter T: expected an integer (column T is INTEGER)"
    )
    assert "'abc'" in err
    err = one_error(capsys, str(filled), "--filter", "eps>" + "9" * 10 + "x" * 10_000)
    assert "a number (column eps is REAL)" in err and len(err) < 300
    err = one_error(capsys, str(filled), "--filter", "nope=1")
    assert err.startswith("llm-market: error: --filter: expected a column")
    assert main(["results", str(filled), "--filter", "T<25000", "--filter", "eps>=0.1"]) == 0
    assert "216" not in capsys.readouterr().out.splitlines()[0]


def test_typed_filters_select_rows(filled, capsys):
    assert main(["results", str(filled), "--filter", "T<25000", "--json"]) == 0
    rows = capsys.readouterr().out
    assert '"T":20000' in rows and '"T":30000' not in rows
    assert main(["results", str(filled), "--filter", "strategy=honest", "--json"]) == 0
    assert '"strategy":"ours"' not in capsys.readouterr().out


def test_export_errors_name_the_flag(filled, tmp_path, capsys):
    err = one_error(capsys, str(filled), "--export", str(tmp_path / "rows.txt"))
    assert err.startswith("llm-market: error: --export:")
    (tmp_path / "file").write_text("x")
    err = one_error(capsys, str(filled), "--export", str(tmp_path / "file" / "rows.csv"))
    assert err.startswith("llm-market: error: --export:") and " out" not in err


@pytest.mark.slow
def test_a_killed_drivers_claims_do_not_hold_up_the_next_driver(tmp_path, monkeypatch):
    store, markers, runs = tmp_path / "s.db", tmp_path / "markers", 1600
    markers.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}
    env["LLM_MARKET_CHUNK_SECONDS"] = "0.05"
    command = [sys.executable, str(TESTS / "engine_kinds.py"), str(store), str(markers), str(runs)]
    killed = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(list(markers.iterdir())) < 100 and time.monotonic() < deadline:
        time.sleep(0.05)
    killed.kill()  # SIGKILL: its claims stay in the store, with a lease of 120 s
    killed.wait()
    monkeypatch.delenv("LLM_MARKET_LEASE_SECONDS", raising=False)
    with sqlite3.connect(store) as con:
        assert con.execute("SELECT COUNT(*) FROM claims").fetchone()[0] > 0
    without_the_sleep(monkeypatch)
    started = time.monotonic()
    outcome = execute(counted_experiment(runs, markers), store, jobs=1)
    assert time.monotonic() - started < 60  # not the lease: the dead driver's pid is gone
    assert outcome.computed + outcome.reused == runs and outcome.reused > 0
    assert outcome.rows == execute(counted_experiment(runs), None, jobs=1).rows


def test_opening_tries_again_while_sqlite_answers_locked_at_once():
    from market.core.store_files import patiently

    calls = []

    def locked_twice():
        calls.append(1)
        if len(calls) < 3:
            raise sqlite3.OperationalError("database is locked")

    patiently(locked_twice, 5.0)
    assert len(calls) == 3
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        patiently(lambda: (_ for _ in ()).throw(sqlite3.OperationalError("no such table")), 5.0)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        patiently(lambda: (_ for _ in ()).throw(sqlite3.OperationalError("locked")), 0.2)
    assert time.monotonic() - started < 2
