"""Benchmark: the empirical game of ``cao2026`` at T = 10^6 with 5 seeds (1,080 runs).

Times, on ``--jobs`` processes: (1) the payoff table (216 profiles x 5 seeds through the sweep
engine, into a fresh experiment store), (2) once the table's runs are stored, the metagame
reading them back plus the dynamics from the start profile and the two claim starts, the
better-response graph and the basins (the dynamics from all 216 starts), and (3) the
continuous Theorem 5.2 check (its runs into the same store), then (4) the same check read back
from the store. Targets: the table within 60 s on the 2-core machine (the authors' simulator
needs about 2.5 s per profile and seed, about 45 minutes for this), and the analysis of a
stored table within 5 s.

Usage:
    .venv/bin/python benchmarks/bench_delegation_metagame.py [--jobs 2] [--seeds 5] [--T 1000000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from market.delegation.empirical import metagame
from market.delegation.payoffs import payoff_table
from market.delegation.theorem import theorem52_check

TABLE_TARGET_SECONDS = 60.0
ANALYSIS_TARGET_SECONDS = 5.0


def main() -> int:
    """Time the three stages and print them against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--T", type=int, default=1_000_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "payoffs.db"
        started = time.perf_counter()
        table, cached = payoff_table(
            "cao2026", T=args.T, seeds=args.seeds, jobs=args.jobs, store=store
        )
        table_seconds = time.perf_counter() - started
        assert not cached
        started = time.perf_counter()
        result = metagame(
            "cao2026",
            T=args.T,
            seeds=args.seeds,
            jobs=args.jobs,
            store=store,
            check_theorem=False,
        )
        analysis_seconds = time.perf_counter() - started
        assert result.settings["payoffs_from_cache"]
        engine = {"seeds": args.seeds, "jobs": args.jobs, "store": store}
        started = time.perf_counter()
        check = theorem52_check("cao2026", T=args.T, **engine)
        check_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = theorem52_check("cao2026", T=args.T, **engine)
        again_seconds = time.perf_counter() - started
        assert again.points.equals(check.points)
        size = store.stat().st_size

    runs = len(table.profiles) * args.seeds
    print(
        f"delegation metagame benchmark: cao2026, T = {args.T:,}, {args.seeds} seeds, "
        f"jobs = {args.jobs}"
    )
    print(
        f"  payoff table: {runs:,} runs in {table_seconds:.1f} s "
        f"({1000 * table_seconds / runs:.1f} ms per run; target <= {TABLE_TARGET_SECONDS:.0f} s)"
    )
    print(
        f"  dynamics + graph ({result.graph.number_of_edges()} edges) + basins over "
        f"{len(table.profiles)} starts, table from the store: {analysis_seconds:.2f} s "
        f"(target <= {ANALYSIS_TARGET_SECONDS:.0f} s)"
    )
    print(
        f"  Theorem 5.2 check: {len(check.points)} points x {args.seeds} seeds in "
        f"{check_seconds:.1f} s; largest gain {check.largest_gain:,.0f} vs slack "
        f"{check.slack:,.0f}; read back from the store {again_seconds:.2f} s"
    )
    print(f"  the store: {size / 1e6:.1f} MB")
    ok = table_seconds <= TABLE_TARGET_SECONDS and analysis_seconds <= ANALYSIS_TARGET_SECONDS
    print(f"  {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
