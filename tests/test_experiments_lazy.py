"""Runs made on demand: driver memory does not grow with the grid, and keys stay the same.

An experiment knows its length and makes run ``i`` (and its key) when the driver reaches it;
the store keeps the spec and the count, and links each finished run to its position. Resume,
reuse of stored runs and reading the rows back in experiment order work as before, also on
stores written when every key was listed up front. Grid integers that SQLite cannot hold are
refused before any store exists, and errors quote at most a short prefix of a value.
"""

from __future__ import annotations

import sqlite3
import time
import tracemalloc
from pathlib import Path

import pytest
from engine_kinds import COUNTED, counted_experiment

from market.core.engine import Engine
from market.core.experiments import (
    Experiment,
    ExperimentInterrupted,
    ExperimentKind,
    execute,
    make_runs,
    run_key,
)
from market.core.grids import read_grid
from market.core.seeds import ReplicateSeeds, replicate_seeds
from market.core.store import ExperimentStore, RunRecord
from market.delegation.experiments import grid_experiment
from market.games import main

GRID = """game = "delegation"
kind = "profiles"
seed = 5
seeds = {seeds}
[grid]
preset = "cao2026"
T = [20000]
strategies = ["ours", "honest"]
"""


def test_lazy_replicate_seeds_equal_spawned_ones():
    for count in (1, 2, 7, 100):
        assert list(ReplicateSeeds(42, count)) == list(replicate_seeds(42, count))
    assert ReplicateSeeds(3, 10**9)[10**9 - 1] == ReplicateSeeds(3, 10**9)[-1]
    with pytest.raises(IndexError):
        ReplicateSeeds(3, 5)[5]


def test_runs_made_on_demand_have_the_keys_of_listed_runs():
    kind = ExperimentKind("k", "g", "t", COUNTED.columns, COUNTED.compute)
    items = [({"x": i}, i % 3, None) for i in range(10)]
    runs = make_runs(kind, items)
    assert len(runs) == 10 and runs[-1].position == 9
    for i, run in enumerate(runs):
        config, seed, _ = items[i]
        assert run.key == run_key("g/k", config, seed)  # sha256 of the same payload as before
    assert [r.position for r in runs.span(8, 20)] == [8, 9]


def test_a_grid_of_a_billion_seeds_is_built_at_once_and_costs_no_memory(tmp_path, monkeypatch):
    monkeypatch.setenv("LLM_MARKET_WORK_LIMIT", "365d")  # 8e9 short runs: 19 days of work
    path = tmp_path / "grid.toml"
    path.write_text(GRID.format(seeds=10**9))
    tracemalloc.start()
    started = time.perf_counter()
    experiment = grid_experiment(read_grid(path))
    last = experiment.runs[len(experiment.runs) - 1]
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(experiment.runs) == 8 * 10**9  # 2^3 profiles x 1e9 seeds
    assert last.seed == ReplicateSeeds(5, 10**9)[-1] and len(last.key) == 64
    assert peak < 20e6 and seconds < 10, (peak, seconds)


def test_driver_memory_is_flat_over_the_first_chunks_of_a_huge_experiment():
    """10^8 runs: the driver claims and computes its first 3000 runs in bounded memory."""
    seen = []

    def stop_after(context, runs):
        seen.extend(runs)
        if len(seen) > 3000:
            raise KeyboardInterrupt
        return [[(config["position"], seed, 0.0)] for config, seed in runs]

    kind = ExperimentKind("counted", "test", "test_counted", COUNTED.columns, stop_after, 1e-5)
    experiment = counted_experiment(10**8, kind=kind)

    tracemalloc.start()
    with pytest.raises(ExperimentInterrupted) as stopped:
        execute(experiment, None, jobs=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "of 100000000 runs had finished" in str(stopped.value)
    assert peak < 30e6, peak


@pytest.mark.slow
def test_the_store_lists_no_run_up_front_and_links_finished_runs(tmp_path):
    store = tmp_path / "s.db"
    execute(counted_experiment(300), store, jobs=1)
    with sqlite3.connect(store) as con:
        (total,) = con.execute("SELECT total FROM experiments").fetchone()
        linked = con.execute("SELECT COUNT(*), MIN(position), MAX(position) FROM experiment_runs")
        assert total == 300 and linked.fetchone() == (300, 0, 299)
        assert con.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    fresh = tmp_path / "fresh.db"
    with ExperimentStore(fresh) as opened:
        opened.register(counted_experiment(10**9))
    with sqlite3.connect(fresh) as con:
        assert con.execute("SELECT COUNT(*) FROM experiment_runs").fetchone()[0] == 0
        assert con.execute("SELECT total FROM experiments").fetchone()[0] == 10**9


def test_a_store_that_listed_every_run_up_front_still_resumes(tmp_path):
    store = tmp_path / "old.db"
    experiment = counted_experiment(120)
    reference = execute(experiment, None, jobs=1).rows
    with ExperimentStore(store) as opened:  # as the previous engine registered experiments
        opened.register(experiment)
        opened.connection.executemany(
            "INSERT INTO experiment_runs VALUES (?, ?, ?)",
            ((experiment.id, run.position, run.key) for run in experiment.runs),
        )
    part = counted_experiment(120).runs.span(0, 50)
    with ExperimentStore(store) as opened:
        opened.ensure_table(COUNTED.table, COUNTED.columns)
        records = [
            RunRecord(
                r.key, "test/counted", r.config, r.seed, ((r.position, 11, r.position / 2),), 0
            )
            for r in part
        ]
        opened.save(COUNTED.table, COUNTED.columns, records)
    outcome = execute(experiment, store, jobs=2)
    assert (outcome.computed, outcome.reused) == (70, 50)
    assert outcome.rows == reference


# ---- grid values that cannot be stored, and long values in messages --------------------------


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("seed = 18446744073709551616", "grid.toml: seed"),
        ("seed = 9223372036854775808", "grid.toml: seed"),
        ("[grid]\nT = [9223372036854775808]", "grid.toml: grid.T"),
    ],
)
def test_integers_beyond_sqlite_are_refused_before_any_store(tmp_path, capsys, line, field):
    text = GRID.format(seeds=1)
    if line.startswith("seed"):
        text = text.replace("seed = 5", line)
    else:
        text = text.replace("T = [20000]", line.split("\n")[1])
    grid, store = tmp_path / "grid.toml", tmp_path / "s.db"
    grid.write_text(text)
    code = main(["experiment", "run", str(grid), "--store", str(store)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"llm-market: error: {field}") and "9223372036854775807" in err
    assert not store.exists() and list(tmp_path.iterdir()) == [grid]


@pytest.mark.slow
def test_a_duplicated_huge_list_is_named_with_a_short_value(tmp_path, capsys):
    values = ", ".join(["20000"] * 2_000_000)
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.format(seeds=1).replace("T = [20000]", f"T = [{values}]"))
    code = main(["experiment", "run", str(grid), "--store", str(tmp_path / "s.db")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and len(err) < 300, err[:300]
    assert "grid.T" in err and "distinct values" in err


def test_a_huge_unknown_key_or_name_is_quoted_short(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    huge_name = f'game = "{"x" * 100000}"'
    grid.write_text(GRID.format(seeds=1).replace('game = "delegation"', huge_name))
    code = main(["experiment", "run", str(grid), "--store", str(tmp_path / "s.db")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and len(err) < 400, err[:400]
    Path(grid).write_text(GRID.format(seeds=1) + f"{'y' * 100000} = 1\n")
    code = main(["experiment", "run", str(grid), "--store", str(tmp_path / "s.db")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and len(err) < 400, err[:400]


def test_a_store_that_holds_every_run_starts_no_worker(tmp_path, monkeypatch):
    from market.core import experiments

    store = tmp_path / "s.db"
    first = execute(counted_experiment(50), store, jobs=2)

    def no_workers(*args, **kwargs):
        raise AssertionError("workers started with nothing to compute")

    monkeypatch.setattr(experiments, "start_workers", no_workers)
    again = execute(counted_experiment(50), engine=Engine(store=store, executor="dask", jobs=2))
    assert (again.computed, again.reused, again.workers) == (0, 50, "none")
    assert again.rows == first.rows


def test_paths_the_system_refuses_are_one_short_line(tmp_path, capsys):
    long = "x" * 100_000
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.format(seeds=1))
    for args in (
        ["results", long],
        ["experiment", "run", str(grid), "--store", long],
        ["experiment", "run", long, "--store", str(tmp_path / "s.db")],
    ):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and len(err) < 400, err[:400]
    assert list(tmp_path.iterdir()) == [grid]


def test_a_seed_sqlite_cannot_hold_is_a_user_error_and_leaves_no_store(tmp_path):
    from market.core.errors import UserInputError

    kind = ExperimentKind("counted", "test", "test_counted", COUNTED.columns, COUNTED.compute)
    items = [({"position": i}, 2**64, None) for i in range(3)]
    experiment = Experiment(kind, {"big": True}, make_runs(kind, items))
    with pytest.raises(UserInputError, match="below 2\\*\\*63"):
        execute(experiment, tmp_path / "s.db", jobs=1)
    assert list(tmp_path.iterdir()) == []


def test_the_first_chunks_share_a_small_experiment_between_the_workers(tmp_path):
    """216 runs of one group on two workers: no chunk takes more than half of them."""
    from market.core.driver import Driver
    from market.core.executors import InlineExecutor, Workers

    sizes = []

    class Recording(InlineExecutor):
        def submit(self, fn, /, *args, **kwargs):
            sizes.append(len(args[0].runs))
            return super().submit(fn, *args, **kwargs)

    kind = ExperimentKind("counted", "test", "test_counted", COUNTED.columns, COUNTED.compute, 5e-3)
    items = [({"position": i}, 7, "one group") for i in range(216)]
    experiment = Experiment(kind, {"n": 216}, make_runs(kind, items))
    with ExperimentStore(None) as store:
        store.ensure_table(kind.table, kind.columns)
        store.register(experiment)
        driver = Driver(experiment, store, lambda: Workers(Recording(), "local", 2), 1.0, 2)
        driver.run(progress=False)
    assert sum(sizes) == 216 and sizes[0] == 108 and max(sizes) <= 108, sizes
