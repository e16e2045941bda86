"""The experiment engine: run keys, the store, executors and grid files.

Tables must not depend on the executor (1 or 2 local workers, or a 2-worker Dask
``LocalCluster``) nor on how the work was chunked, and a store must read back exactly what was
written (``-0.0``, NaN and infinities included).
"""

from __future__ import annotations

import importlib.util
import json
import math
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from market.core import experiments
from market.core.engine import Engine
from market.core.experiments import (
    Experiment,
    ExperimentKind,
    execute,
    make_runs,
    run_key,
)
from market.core.store import Column, ExperimentStore
from market.delegation.runs import horizon, sweep
from market.games import main
from market.ttc.runs import build_game, sweep_beta

DASK_MISSING = importlib.util.find_spec("distributed") is None
SMALL = {"preset": "cao2026", "T": 20_000, "seeds": 2, "seed": 5}


def echo_rows(context, runs):
    """A kind whose rows are its configuration's values (top-level: it pickles)."""
    return [[(config["x"], seed, config["x"] * context)] for config, seed in runs]


ECHO = ExperimentKind(
    "echo",
    "test",
    "test_echo",
    (Column("x", float), Column("seed", int), Column("y", float)),
    echo_rows,
)


def echo_experiment(values) -> Experiment:
    items = [({"x": v}, 7, None) for v in values]
    return Experiment(ECHO, {"values": [repr(v) for v in values]}, make_runs(ECHO, items), 2.0)


# ---- run keys and the store ---------------------------------------------------------------


def test_run_keys_depend_on_config_seed_and_kind_only():
    assert run_key("a/b", {"x": 1, "y": 2}, 3) == run_key("a/b", {"y": 2, "x": 1}, 3)
    assert run_key("a/b", {"x": 1}, 3) != run_key("a/b", {"x": 1}, 4)
    assert run_key("a/b", {"x": 1}, 3) != run_key("a/c", {"x": 1}, 3)
    assert run_key("a/b", {"x": 1}, 3) != run_key("a/b", {"x": 1.5}, 3)


def test_run_keys_and_experiment_ids_depend_on_the_package_version(monkeypatch):
    key, spec_id = run_key("a/b", {"x": 1}, 3), echo_experiment([1.0]).id
    monkeypatch.setattr(experiments, "package_version", lambda: "0.0.0-another")
    assert run_key("a/b", {"x": 1}, 3) != key
    assert echo_experiment([1.0]).id != spec_id


def test_a_new_package_version_recomputes_what_the_store_holds(tmp_path, monkeypatch):
    store = tmp_path / "s.db"
    monkeypatch.setattr(experiments, "package_version", lambda: "1.0")
    assert execute(echo_experiment([1.0, 2.0]), store).computed == 2
    assert execute(echo_experiment([1.0, 2.0]), store).reused == 2  # same version: reused
    monkeypatch.setattr(experiments, "package_version", lambda: "1.1")
    again = execute(echo_experiment([1.0, 2.0]), store)
    assert again.computed == 2 and again.reused == 0


def test_store_reads_back_floats_exactly(tmp_path):
    values = [-0.0, 0.0, 1.0, 0.1, 1e308, 5e-324, math.inf, -math.inf, math.nan, 3.0]
    outcome = execute(echo_experiment(values), tmp_path / "s.db")
    xs = [row[0] for _, row in outcome.rows]
    assert [math.copysign(1, x) for x in xs[:2]] == [-1.0, 1.0]
    assert xs[:8] == values[:8] and math.isnan(xs[8]) and xs[9] == 3.0
    assert all(type(x) is float for x in xs)


def test_store_never_holds_a_run_twice_and_a_second_run_computes_nothing(tmp_path):
    store = tmp_path / "s.db"
    first = execute(echo_experiment([1.0, 2.0, 3.0]), store)
    again = execute(echo_experiment([1.0, 2.0, 3.0]), store)
    assert (first.computed, first.reused, again.computed, again.reused) == (3, 0, 0, 3)
    assert again.rows == first.rows
    with sqlite3.connect(store) as con:
        assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 3
        assert con.execute("SELECT COUNT(*) FROM test_echo").fetchone()[0] == 3


def test_store_rows_come_back_in_experiment_order_whatever_the_chunking(tmp_path):
    values = [float(v) for v in range(40, 0, -1)]
    store = tmp_path / "s.db"
    execute(echo_experiment(values[::3]), store)  # some runs finished first
    outcome = execute(echo_experiment(values), store)
    assert [row[0] for _, row in outcome.rows] == values
    assert outcome.reused == len(values[::3])


def test_a_file_that_is_not_a_store_is_a_one_line_error(tmp_path, capsys):
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite")
    code = main(["results", str(junk)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("llm-market: error: store") and err.count("\n") == 1


def test_progress_is_readable_from_another_connection(tmp_path):
    store = tmp_path / "s.db"
    outcome = execute(echo_experiment([1.0, 2.0]), store)
    with ExperimentStore(store, readonly=True) as reader:
        (progress,) = reader.progress()
    assert (progress.experiment_id, progress.done, progress.total) == (outcome.experiment_id, 2, 2)


# ---- executors ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_worker():
    return sweep(**SMALL, jobs=1).profiles


@pytest.mark.slow
def test_two_local_workers_give_the_same_table(one_worker, monkeypatch):
    monkeypatch.setenv("LLM_MARKET_CHUNK_SECONDS", "0.01")  # many small chunks
    pd.testing.assert_frame_equal(sweep(**SMALL, jobs=2).profiles, one_worker)


@pytest.mark.slow
@pytest.mark.skipif(
    DASK_MISSING, reason="the dask extra is not installed (pip install -e '.[dask]')"
)
def test_a_two_worker_dask_local_cluster_gives_the_same_table(one_worker, tmp_path):
    profiles = sweep(
        **SMALL, engine=Engine(store=tmp_path / "d.db", executor="dask", jobs=2)
    ).profiles
    pd.testing.assert_frame_equal(profiles, one_worker)


@pytest.mark.slow
def test_a_sweep_from_the_store_equals_a_sweep_without_one(one_worker, tmp_path):
    store = tmp_path / "s.db"
    sweep(**SMALL, jobs=2, store=store)
    again = sweep(**SMALL, jobs=1, store=store)
    assert again.timings["runs_computed"] == 0
    pd.testing.assert_frame_equal(again.profiles, one_worker)


def test_horizon_reuses_the_sweeps_runs(tmp_path):
    store = tmp_path / "s.db"
    sweep("cao2026", T=20_000, seeds=1, seed=5, store=store, strategies=["ours"])
    result = horizon("cao2026", 20_000, 30_000, 2, seeds=1, seed=5, store=store)
    assert (result.timings["runs_from_store"], result.timings["runs_computed"]) == (1, 1)


@pytest.mark.slow
def test_ttc_beta_sweep_with_a_store_equals_one_without(tmp_path):
    game = build_game(preset="intro-example").game
    betas = [0.5, 5.0, 50.0, math.inf]
    plain = sweep_beta(game, betas, seed=3).table
    stored = sweep_beta(game, betas, seed=3, store=tmp_path / "t.db", jobs=2).table
    pd.testing.assert_frame_equal(stored, plain)


def test_unknown_executor_and_scheduler_without_dask_are_errors(capsys, tmp_path):
    base = ["delegation", "sweep", "--scenario", "cao2026", "--T", "20000", "--out", str(tmp_path)]
    assert main([*base, "--executor", "spark"]) == 2
    assert "executor: expected one of local, dask" in capsys.readouterr().err
    assert main([*base, "--scheduler", "tcp://x:1"]) == 2
    assert "scheduler" in capsys.readouterr().err
    assert main([*base, "--store", ""]) == 2
    assert "store" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_jobs_above_the_cores_warns(capsys, tmp_path):
    out = tmp_path / "out"
    code = main(
        [
            "delegation",
            "horizon",
            "--scenario",
            "cao2026",
            "--T-from",
            "20000",
            "--T-to",
            "30000",
            "--points",
            "2",
            "--jobs",
            "64",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert "warning: --jobs 64 is more than the" in capsys.readouterr().err


# ---- grid files and the CLI -----------------------------------------------------------------

GRID = """game = "delegation"
kind = "profiles"
seed = 5
seeds = 2
[grid]
preset = "cao2026"
T = [20000, 30000]
mechanism = ["second-best-artifact", "explore-then-commit"]
strategies = ["ours", "honest"]
"""


def write(tmp_path: Path, text: str, name: str = "grid.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.slow
def test_a_grid_runs_every_combination_and_resumes(tmp_path, capsys):
    grid, store = write(tmp_path, GRID), tmp_path / "s.db"
    assert main(["experiment", "run", str(grid), "--store", str(store), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["runs"] == 2 * 2 * 2**3 * 2 and first["computed"] == first["runs"]
    assert main(["experiment", "run", str(grid), "--store", str(store), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["from_store"] == first["runs"]
    export = tmp_path / "rows.csv"
    args = ["results", str(store), "--experiment", first["experiment"][:6]]
    assert (
        main([*args, "--filter", "T=30000", "--filter", "strategy=ours", "--export", str(export)])
        == 0
    )
    rows = pd.read_csv(export)
    assert set(rows["T"]) == {30000} and set(rows["strategy"]) == {"ours"}
    assert len(rows) == 2 * 2 * 12  # mechanisms x seeds x (provider, profile) pairs playing ours


def test_the_store_reads_from_pandas_and_sql(tmp_path, capsys):
    grid, store = write(tmp_path, GRID), tmp_path / "s.db"
    assert main(["experiment", "run", str(grid), "--store", str(store)]) == 0
    with sqlite3.connect(store) as con:
        frame = pd.read_sql("SELECT * FROM delegation_profiles", con)
        means = pd.read_sql(
            "SELECT mechanism, strategy, AVG(provider_utility) AS u FROM delegation_profiles "
            "WHERE provider = 1 GROUP BY mechanism, strategy",
            con,
        )
    assert len(frame) == 64 * 3 and len(means) == 4


@pytest.mark.slow
def test_a_ttc_grid_runs(tmp_path, capsys):
    grid = write(
        tmp_path,
        'game = "ttc"\nkind = "equilibria"\n[grid]\npreset = "intro-example"\n'
        'beta = [1, "inf"]\nusers = [0, 50]\n',
    )
    assert main(["experiment", "run", str(grid), "--store", str(tmp_path / "s.db"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == 4


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (GRID.replace('kind = "profiles"', 'kind = "profiles"\ncolour = 1'), "colour"),
        (GRID.replace("[grid]", "[grid]\nhorizon = 5"), "grid.horizon: expected a parameter"),
        (GRID.replace("T = [20000, 30000]", "T = []"), "grid.T: expected a non-empty list"),
        (GRID.replace("T = [20000, 30000]", 'T = ["many"]'), "grid.T: expected an integer"),
        (GRID.replace("T = [20000, 30000]", "T = [2.5]"), "grid.T: expected an integer"),
        (GRID.replace("seeds = 2", 'seeds = "two"'), "seeds: expected an integer"),
        (GRID.replace('game = "delegation"', 'game = "chess"'), "game: expected one of"),
        (GRID.replace('kind = "profiles"', 'kind = "tournament"'), "kind: expected one of"),
        (GRID.replace('preset = "cao2026"', 'preset = "nowhere"'), "preset"),
        (GRID.replace("T = [20000, 30000]", "T = [20000, 20000]"), "distinct values"),
        ("game = [1", "valid TOML"),
    ],
)
def test_bad_grid_files_are_one_line_errors_and_write_nothing(tmp_path, capsys, text, says):
    grid, store = write(tmp_path, text), tmp_path / "s.db"
    code = main(["experiment", "run", str(grid), "--store", str(store)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("llm-market: error:") and err.count("\n") == 1 and says in err, err
    assert not store.exists()


def test_experiment_run_needs_a_store(tmp_path, capsys):
    assert main(["experiment", "run", str(write(tmp_path, GRID))]) == 2
    assert "store" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["delegation", "sweep", "--scenario", "cao2026", "--T", "20000"],
        [
            "delegation",
            "horizon",
            "--scenario",
            "cao2026",
            "--T-from",
            "2e4",
            "--T-to",
            "3e4",
            "--points",
            "2",
        ],
        ["ttc", "sweep-beta", "--scenario", "intro-example", "--betas", "1:10:2"],
        ["rosa", "regret", "--T-from", "100", "--T-to", "200", "--points", "2", "--runs", "1"],
    ],
)
def test_an_empty_out_is_an_error_not_the_current_directory(command, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--out", ""]) == 2
    assert "out: expected a directory name" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_chunks_end_with_their_last_group_when_it_is_small():
    from market.core.experiments import Run, group_end

    runs = [Run(i, {}, 0, str(i), group=i // 5) for i in range(20)]  # groups of 5
    assert group_end(runs, 0, 3) == 5  # the rest of group 0 joins the chunk
    assert group_end(runs, 0, 5) == 5  # already at a boundary
    assert group_end(runs, 5, 12) == 20  # ends inside group 3: takes it whole
    big = [Run(i, {}, 0, str(i), group=0) for i in range(20)]
    assert group_end(big, 0, 4) == 4  # a group too large is split
    assert group_end(big, 16, 10) == 20
    # a worker's share caps the growth: one seed's 216 profiles on two workers are two chunks
    one_seed = [Run(i, {}, 0, str(i), group=0) for i in range(216)]
    assert group_end(one_seed, 0, 108, most=108) == 108
    assert group_end(runs, 0, 3, most=4) == 3  # finishing group 0 would pass the share
    assert group_end(runs, 0, 3, most=5) == 5


def test_local_workers_start_while_another_thread_runs():
    """With a thread alive the pool uses forkserver, whose workers are the server's children:
    they must not take the server for a dead driver (they once exited at once)."""
    import os
    import threading

    from market.core.executors import open_workers

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with open_workers("local", 2) as workers:
            pids = {workers.executor.submit(os.getpid).result(timeout=60) for _ in range(4)}
    finally:
        stop.set()
        thread.join()
    assert pids and os.getpid() not in pids
