"""Faults the experiment engine survives: lost workers, a full disk, a locked or read-only store.

A local worker killed (SIGKILL) mid-run costs its chunk, not the run: the driver retries it on
a fresh pool and the finished table equals an uninterrupted run's. A worker that dies every
time, a full disk, a store another process holds and a read-only store each stop the command
with one line on stderr (exit code 1), no traceback, and what finished stays in the store.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from engine_kinds import counted_experiment

from market.core import driver
from market.core import store as store_module
from market.core.driver import compute_chunk
from market.core.experiments import execute
from market.core.faults import StoreFault, WorkersLost
from market.games import main

GRID = """game = "delegation"
kind = "profiles"
seed = 5
seeds = 3
[grid]
preset = "cao2026"
T = [500000, 1000000]
strategies = ["ours", "honest", "dishonest-all"]
"""
RUNS = 27 * 2 * 3  # profiles of 3 providers x T x seeds
ENV = {**os.environ, "LLM_MARKET_CHUNK_SECONDS": "0.03", "CI": "1"}


def llm_market(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "market", *args],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def stored(store: Path) -> int:
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def export(store: Path, target: Path) -> bytes:
    code = main(["results", str(store), "--table", "delegation_profiles", "--export", str(target)])
    assert code == 0
    return target.read_bytes()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("reference")
    grid = folder / "grid.toml"
    grid.write_text(GRID)
    store = folder / "s.db"
    assert main(["experiment", "run", str(grid), "--store", str(store), "--jobs", "1"]) == 0
    return export(store, folder / "all.csv")


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_replaced_and_the_table_is_unchanged(tmp_path, reference):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    store = tmp_path / "s.db"
    process = llm_market("experiment", "run", str(grid), "--store", str(store), "--jobs", "2")
    deadline = time.monotonic() + 60
    while stored(store) == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    workers = psutil.Process(process.pid).children()
    assert workers, "no worker process to kill"
    workers[0].kill()  # SIGKILL
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert stored(store) == RUNS
    assert export(store, tmp_path / "all.csv") == reference


def dying_chunk(work):
    """``compute_chunk`` whose worker ends itself on one run (top-level: it pickles, also to a
    forkserver's workers, which import this module afresh)."""
    for config, _ in work.runs:
        if config["T"] == 10**6 and config["strategies"] == ["honest"] * 3:
            os._exit(9)
    return compute_chunk(work)


@pytest.mark.slow
def test_a_worker_that_always_dies_stops_with_one_line_and_keeps_what_finished(
    tmp_path, monkeypatch, capsys
):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    store = tmp_path / "s.db"
    monkeypatch.setenv("LLM_MARKET_CHUNK_SECONDS", "0.02")
    monkeypatch.setattr(driver, "compute_chunk", dying_chunk)
    code = main(["experiment", "run", str(grid), "--store", str(store), "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "worker processes died 3 times" in err and "the same command resumes" in err
    assert str(store) in err
    kept = stored(store)
    assert 0 < kept < RUNS
    monkeypatch.undo()
    monkeypatch.setenv("LLM_MARKET_CHUNK_SECONDS", "0.02")
    assert main(["experiment", "run", str(grid), "--store", str(store), "--jobs", "2"]) == 0
    assert f"{kept} from the store" in capsys.readouterr().out


@pytest.mark.slow
def test_a_kind_whose_worker_always_dies_raises_workers_lost_after_two_retries(tmp_path):
    experiment = counted_experiment(400, dying=(399,))
    with pytest.raises(WorkersLost) as raised:
        execute(experiment, tmp_path / "s.db", jobs=2)
    message = str(raised.value)
    assert raised.value.exit_code == 1 and "\n" not in message
    assert "died 3 times" in message and "the same command resumes" in message
    assert 0 < stored(tmp_path / "s.db") < 400  # the chunks that finished are kept


# ---- the store's faults ---------------------------------------------------------------------


def run_grid(tmp_path: Path, capsys) -> tuple[int, str, Path]:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    store = tmp_path / "s.db"
    code = main(["experiment", "run", str(grid), "--store", str(store), "--jobs", "1"])
    return code, capsys.readouterr().err, store


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_what_finished_stays(tmp_path, monkeypatch, capsys, reference):
    opened = store_module.ExperimentStore.__init__

    def small_disk(self, path=None, readonly=False):
        opened(self, path, readonly)
        if not readonly:
            pages = self.connection.execute("PRAGMA page_count").fetchone()[0]
            self.connection.execute(f"PRAGMA max_page_count = {pages + 12}")

    monkeypatch.setenv("LLM_MARKET_CHUNK_SECONDS", "0.01")
    monkeypatch.setattr(store_module.ExperimentStore, "__init__", small_disk)
    code, err, store = run_grid(tmp_path, capsys)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"store {store}: the disk is full" in err and "free some space" in err
    assert "the same command resumes" in err
    monkeypatch.undo()
    kept = stored(store)
    assert 0 < kept < RUNS
    code, err, _ = run_grid(tmp_path, capsys)
    assert code == 0, err
    assert export(store, tmp_path / "all.csv") == reference


def test_a_store_locked_by_another_process_is_one_line(tmp_path, monkeypatch, capsys):
    store = tmp_path / "s.db"
    sqlite3.connect(store).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(store)!r}, isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.3)
        code, err, _ = run_grid(tmp_path, capsys)
    finally:
        holder.kill()
        holder.wait()
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"store {store}: another process holds its write lock" in err


def test_a_read_only_store_is_one_line(tmp_path, monkeypatch, capsys):
    code, err, store = run_grid(tmp_path, capsys)
    assert code == 0
    connect = sqlite3.connect

    def read_only(target, *args, **kwargs):  # what chmod does for a user who is not root
        if str(target) == str(store):
            kwargs["uri"] = True
            return connect(f"{Path(target).absolute().as_uri()}?mode=ro", *args, **kwargs)
        return connect(target, *args, **kwargs)

    if os.geteuid() == 0:
        monkeypatch.setattr(store_module.sqlite3, "connect", read_only)
    else:
        store.chmod(0o444)
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.replace("seeds = 3", "seeds = 4"))
    code = main(["experiment", "run", str(grid), "--store", str(store), "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"store {store}: it is read-only" in err
    assert stored(store) == RUNS  # what finished before stays


def test_store_faults_are_store_faults():
    assert issubclass(StoreFault, Exception) and StoreFault("x").exit_code == 1


def test_a_pool_that_broke_before_a_submit_is_replaced_and_the_chunk_retried(tmp_path):
    from concurrent.futures.process import BrokenProcessPool

    from market.core.driver import Driver
    from market.core.executors import InlineExecutor, Workers
    from market.core.store import ExperimentStore

    class BrokenOnce(InlineExecutor):
        """Refuses its first chunk as a pool whose worker died does."""

        def __init__(self, broken: bool):
            self.broken = broken

        def submit(self, fn, /, *args, **kwargs):
            if self.broken:
                raise BrokenProcessPool("a worker died")
            return super().submit(fn, *args, **kwargs)

    started = []

    def start():
        started.append(1)
        return Workers(BrokenOnce(len(started) == 1), "local", 1)

    experiment = counted_experiment(40)
    with ExperimentStore(tmp_path / "s.db") as store:
        store.ensure_table(experiment.table, experiment.kind.columns)
        store.register(experiment)
        driver_ = Driver(experiment, store, start, 0.01)
        driver_.run(progress=False)
        assert driver_.computed == 40 and len(started) == 2  # a fresh pool after the break
        assert set(driver_.attempts.values()) == {1}
    assert stored(tmp_path / "s.db") == 40
