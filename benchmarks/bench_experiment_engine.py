"""Benchmark: the driver's memory on a 10^7-run grid (flat), and what claims cost per chunk.

Issue 15 asks that run keys be made lazily, so that the driver's memory does not grow with the
grid, and for the cost of the claims that let two drivers share a store. Printed:

1. A ``delegation/profiles`` grid file of 8 profiles x 1,250,000 seeds (10^7 runs) is read and
   its experiment built; the driver then takes its blocks in order (runs and keys made, the
   store asked which are finished, a claim taken) without computing them, and the process's
   RSS is printed after 10^4, 10^5 and 10^6 runs (``--scan`` sets the last; the whole 10^7 take
   about three minutes). Before this issue, building the experiment alone listed every run and
   key up front: the same figure for 10^5 eagerly made runs is printed, for comparison.
2. The driver's whole loop (chunks computed inline, stored, linked, claims renewed) on a 10^7-run
   experiment of a trivial kind, for ``--seconds``: RSS sampled as the runs go by.
3. Per chunk: a claim (one transaction per block of runs, finished runs looked up and linked)
   and storing a chunk with its links and lease renewal, against the bare store write of the
   same runs (:meth:`ExperimentStore.save`, as before claims).

Usage:
    .venv/bin/python benchmarks/bench_experiment_engine.py [--scan 1000000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

GRID = """game = "delegation"
kind = "profiles"
seed = 42
seeds = 1250000
[grid]
preset = "cao2026"
strategies = ["ours", "honest"]
"""


def rss_mb() -> float:
    """This process's resident memory now (MB), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def scan_grid(folder: Path, last: int) -> None:
    """Build the 10^7-run grid's experiment and take its blocks without computing them."""
    from market.core.driver import Driver
    from market.core.grids import read_grid
    from market.core.parallel import SilentProgress
    from market.core.store import ExperimentStore
    from market.delegation.experiments import grid_experiment

    before = rss_mb()
    started = time.perf_counter()
    (folder / "grid.toml").write_text(GRID)
    experiment = grid_experiment(read_grid(folder / "grid.toml"))
    built = time.perf_counter() - started
    print(
        f"grid of {len(experiment.runs):,} runs built in {built:.2f} s; "
        f"RSS {before:.0f} -> {rss_mb():.0f} MB"
    )
    with ExperimentStore(folder / "scan.db") as store:
        store.ensure_table(experiment.table, experiment.kind.columns)
        store.register(experiment)
        driver = Driver(experiment, store, None, 1.0)
        driver.bar = SilentProgress()
        marks = [m for m in (10**4, 10**5, 10**6, 10**7) if m <= last]
        started = time.perf_counter()
        for block in range(driver.blocks):
            driver.take(block)
            driver.queue, driver.cursor, driver.open_blocks = [], 0, {}  # not computed
            scanned = (block + 1) * driver.block
            while marks and scanned >= marks[0]:
                seconds = time.perf_counter() - started
                print(
                    f"  driver after {marks.pop(0):>10,} runs taken (keys, lookups, claims): "
                    f"RSS {rss_mb():6.1f} MB, {seconds:6.1f} s"
                )
            if not marks:
                break
        print(f"  claim blocks of {driver.block} runs")


def eager_runs_memory(runs: int = 10**5) -> float:
    """MB that ``runs`` Run objects with their keys take when all are listed up front."""
    from market.core.experiments import Run, run_key

    tracemalloc.start()
    listed = [
        Run(i, {"preset": "cao2026", "T": 10**6, "strategies": ["ours"] * 3}, i, "", (10**6, i))
        for i in range(runs)
    ]
    listed = [Run(r.position, r.config, r.seed, run_key("d/p", r.config, r.seed)) for r in listed]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del listed
    return peak / 1e6


def trivial_rows(context, runs) -> list[list[tuple]]:
    """A kind that computes nothing: one row per run (so the driver's own cost shows)."""
    if time.monotonic() > context:
        raise KeyboardInterrupt
    return [[(config["i"], seed, 0.5)] for config, seed in runs]


def drive_for(folder: Path, seconds: float) -> None:
    """The driver's whole loop on a 10^7-run trivial experiment for ``seconds``, RSS sampled."""
    from market.core.experiments import (
        Experiment,
        ExperimentInterrupted,
        ExperimentKind,
        RunList,
        run_experiment,
    )
    from market.core.store import Column, ExperimentStore

    columns = (Column("i", int), Column("seed", int), Column("half", float))
    kind = ExperimentKind("trivial", "bench", "bench_trivial", columns, trivial_rows, 1e-5)
    runs = RunList(kind, 10**7, lambda i: ({"i": i}, 7, None))
    deadline = time.monotonic() + seconds
    experiment = Experiment(kind, {"runs": 10**7}, runs, deadline)
    samples = []
    with ExperimentStore(folder / "drive.db") as store:
        original = store.save_chunk

        def sampled(*args, **kwargs):
            added = original(*args, **kwargs)
            samples.append((time.monotonic(), len(args[4]), rss_mb()))
            return added

        store.save_chunk = sampled
        started = time.monotonic()
        try:
            run_experiment(experiment, store, collect_rows=False)
        except ExperimentInterrupted:
            pass
    done, shown = 0, 0.0
    print(f"driver loop on 10^7 trivial runs for {seconds:.0f} s (inline, chunks stored):")
    for at, size, rss in samples:
        done += size
        if at - started >= shown:
            print(f"  {at - started:5.1f} s: {done:>9,} runs stored, RSS {rss:6.1f} MB")
            shown += max(1.0, seconds / 10)
    print(
        f"  {samples[-1][0] - started:5.1f} s: {done:>9,} runs stored, RSS {samples[-1][2]:6.1f} MB"
    )


def finished_records(runs) -> list:
    """The runs as the driver stores them once computed (one row each)."""
    from market.core.store import RunRecord

    return [
        RunRecord(r.key, "bench/trivial", r.config, 7, ((r.position, 7, 0.5),), 0) for r in runs
    ]


def claim_costs(folder: Path, chunks: int = 200, size: int = 256) -> None:
    """Milliseconds per claim and per stored chunk (with links and lease) vs a bare save."""
    from market.core import claims
    from market.core.experiments import Experiment, ExperimentKind, RunList
    from market.core.store import Column, ExperimentStore

    columns = (Column("i", int), Column("seed", int), Column("half", float))
    kind = ExperimentKind("trivial", "bench", "bench_trivial", columns, trivial_rows)
    total = chunks * size
    experiment = Experiment(kind, {"n": total}, RunList(kind, total, lambda i: ({"i": i}, 7, 0)))
    with ExperimentStore(folder / "claims.db") as store:
        store.ensure_table(kind.table, columns)
        store.register(experiment)
        blocks = [experiment.runs.span(b * size, (b + 1) * size) for b in range(chunks)]
        started = time.perf_counter()
        for b, runs in enumerate(blocks):
            claims.claim(store, experiment.id, b, "bench:1:x", time.time() + 60, runs)
        claim = (time.perf_counter() - started) / chunks
        started = time.perf_counter()
        for b, runs in enumerate(blocks):
            records = finished_records(runs)
            positions = [r.position for r in runs]
            store.save_chunk(
                experiment.id, kind.table, columns, records, positions, "bench:1:x", 0.0, [b]
            )
        chunk = (time.perf_counter() - started) / chunks
    other = Experiment(kind, {"n": -total}, RunList(kind, total, lambda i: ({"j": i}, 7, 0)))
    with ExperimentStore(folder / "bare.db") as store:
        store.ensure_table(kind.table, columns)
        blocks = [other.runs.span(b * size, (b + 1) * size) for b in range(chunks)]
        started = time.perf_counter()
        for runs in blocks:
            records = finished_records(runs)
            store.save(kind.table, columns, records)
        bare = (time.perf_counter() - started) / chunks
    print(f"per chunk of {size} runs (on disk, WAL):")
    print(f"  claim (lookup of the block's runs, links, claim row): {1000 * claim:6.2f} ms")
    print(f"  store the chunk with links and lease renewal:        {1000 * chunk:6.2f} ms")
    print(f"  bare store of the same runs (before claims):         {1000 * bare:6.2f} ms")
    print(f"  claims' share: {1000 * (claim + chunk - bare):.2f} ms per chunk")


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scan", type=int, default=10**6, help="runs to take in part 1")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of part 2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"before: 10^5 runs listed up front took {eager_runs_memory():.0f} MB (traced)")
        scan_grid(Path(folder), args.scan)
        drive_for(Path(folder), args.seconds)
        claim_costs(Path(folder))


if __name__ == "__main__":
    main()
