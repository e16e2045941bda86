"""Benchmark: the experiment engine's scaling, Dask overhead, store cost and CLI start-up.

Issue 10 asks for these figures (printed, not asserted in a timed unit test):

- the 216-profile x 10-seed delegation sweep (scenario ``cao2026``, T = 1e6 by default: 2,160
  runs) through :func:`market.delegation.runs.sweep` on 1 and on 2 local workers (scaling), and
  on a 2-worker Dask ``LocalCluster`` (its overhead per run against the local pool; the
  cluster's start-up is timed apart);
- the store's cost per run: the same sweep with and without ``--store`` (a fresh file), and
  the driver's own writing of 2,160 finished runs of 3 rows in chunks of 216, timed alone;
- ``llm-market --help`` start-up (target: under 0.3 s with lazy imports).

Usage:
    .venv/bin/python benchmarks/bench_experiments_engine.py [--T 1000000] [--seeds 10]
        [--no-dask]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELP_TARGET = 0.3


def timed_sweep(
    T: int, seeds: int, jobs: int, executor: str = "local", store=None
) -> tuple[float, int]:
    """Seconds of one sweep (and its runs) on ``jobs`` workers of ``executor``."""
    from market.core.engine import Engine
    from market.delegation.runs import sweep

    started = time.perf_counter()
    engine = Engine(store=store, executor=executor, jobs=jobs)
    result = sweep("cao2026", T=T, seeds=seeds, seed=42, engine=engine)
    return time.perf_counter() - started, result.settings["runs"]


def dask_startup(jobs: int) -> float:
    """Seconds to start and close a LocalCluster with a client (the fixed cost of --executor)."""
    from market.core.executors import open_workers

    started = time.perf_counter()
    with open_workers("dask", jobs):
        pass
    return time.perf_counter() - started


def store_write_seconds(runs: int, chunk: int) -> float:
    """Seconds for the driver to store ``runs`` finished runs of 3 rows, ``chunk`` at a time."""
    from market.core.experiments import run_key
    from market.core.store import ExperimentStore, RunRecord
    from market.delegation.experiments import COLUMNS

    row = ("cao2026", 10**6, 0.3, "second-best-artifact", "ours|ours|ours", 42, 1, "ours")
    row = (*row, 1.5, 2.5, 1000, 9.5, 10**6, True, 1)
    records = [
        RunRecord(run_key("bench", {"i": i}, 1), "bench", {"i": i}, 1, (row, row, row), 0.01)
        for i in range(runs)
    ]
    with tempfile.TemporaryDirectory() as folder, ExperimentStore(Path(folder) / "s.db") as store:
        store.ensure_table("bench_rows", COLUMNS)
        started = time.perf_counter()
        for start in range(0, runs, chunk):
            store.save("bench_rows", COLUMNS, records[start : start + chunk])
        return time.perf_counter() - started


def help_seconds(repeats: int = 5) -> float:
    """Best wall time of ``llm-market --help`` as a subprocess."""
    script = Path(sys.executable).parent / "llm-market"
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([str(script), "--help"], capture_output=True, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    """Print every figure; exit 1 if --help misses its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=1_000_000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()

    print(
        f"experiment engine benchmark: cao2026, 216 profiles x {args.seeds} seeds, T = {args.T:,}"
    )
    one, runs = timed_sweep(args.T, args.seeds, 1)
    two, _ = timed_sweep(args.T, args.seeds, 2)
    print(f"  1 local worker:  {one:7.2f} s = {1000 * one / runs:.2f} ms per run ({runs:,} runs)")
    print(
        f"  2 local workers: {two:7.2f} s = {1000 * two / runs:.2f} ms per run; "
        f"speed-up x{one / two:.2f}"
    )
    if not args.no_dask:
        startup = dask_startup(2)
        dask, _ = timed_sweep(args.T, args.seeds, 2, executor="dask")
        overhead = (dask - startup - two) / runs
        print(
            f"  Dask LocalCluster, 2 workers: {dask:7.2f} s, of which {startup:.2f} s starting "
            f"and closing the cluster; overhead against the local pool {1000 * overhead:+.2f} ms "
            "per run"
        )
    with tempfile.TemporaryDirectory() as folder:
        stored, _ = timed_sweep(args.T, 1, 2, store=Path(folder) / "s.db")
        plain, _ = timed_sweep(args.T, 1, 2)
    print(
        f"  216 runs with a store {stored:.2f} s, without {plain:.2f} s: "
        f"{1000 * (stored - plain) / 216:+.2f} ms per run (noise included)"
    )
    writing = store_write_seconds(2160, 216)
    print(
        "  the driver storing 2,160 runs (3 rows each, chunks of 216): "
        f"{1000 * writing / 2160:.3f} ms per run"
    )
    start = help_seconds()
    verdict = "PASS" if start <= HELP_TARGET else "FAIL"
    print(f"  llm-market --help: {start:.3f} s best of 5 (target <= {HELP_TARGET} s): {verdict}")
    return 0 if start <= HELP_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
