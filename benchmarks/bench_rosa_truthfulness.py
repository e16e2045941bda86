"""Benchmark: a ROSA truthfulness curve, 21 bids x 200 runs at T = 1e4 (target <= 60 s).

Times :func:`market.rosa.runs.truthfulness_curve` -- the code path of ``llm-market rosa
truthfulness`` -- for provider 1 of the default preset (n = 5, d = 5, elimination learner,
mu = 1/sqrt(T)), bids 0:0.5:21, 200 runs, on ``--jobs`` processes (default 2). Each run
simulates both outcomes of the provider's own ROSA flag, so up to 21 x 200 x 2 markets are due;
identical ones (unflagged rows with the same bids) are simulated once, each distinct market a
run of the experiment kind ``rosa/allocations`` (chunks of at least 1,024 markets, each chunk
one vectorised batch). Prints the time, the markets simulated and the curve's peak, best of
``--repeats``; then the store's cost: the same curve into a fresh ``--store`` file, read back
from it (nothing computed), the file's size per market, and that all three curves are equal.

Usage:
    .venv/bin/python benchmarks/bench_rosa_truthfulness.py [--T 10000] [--runs 200] [--jobs 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from market.rosa.runs import truthfulness_curve
from market.rosa.scenarios import get_setting

TARGET_SECONDS = 60.0


def timed(call):
    """``(result, seconds)`` of ``call()``."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def main() -> int:
    """Time the curve (and the store's cost) and print the figures against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--bids", type=int, default=21)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--learner", default="elimination")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    setting = get_setting(T=args.T, learner=args.learner)
    grid = np.linspace(setting.cost_lo, setting.cost_hi, args.bids)

    def curve(store=None):
        return truthfulness_curve(setting, 42, 1, grid, args.runs, jobs=args.jobs, store=store)

    times = []
    for _ in range(args.repeats):
        plain, seconds = timed(curve)
        times.append(seconds)
    best = min(times)
    print(
        f"rosa truthfulness benchmark: T={args.T:,}, {args.bids} bids x {args.runs} runs, "
        f"learner {args.learner}, jobs {args.jobs}"
    )
    print(
        f"  {plain.simulated_rows:,} distinct markets simulated "
        f"(of {args.bids + 1} bids x {args.runs} runs x 2 flag outcomes)"
    )
    print(
        f"  true cost {plain.true_cost:.4f}, best grid bid {plain.best_bid:.4f} "
        f"(step {plain.grid_step:.4f}); lowest truthful run utility "
        f"{plain.min_truthful_run_utility:.3f}"
    )
    verdict = "PASS" if best <= TARGET_SECONDS else "FAIL"
    print(
        f"  times [{', '.join(f'{t:.1f}' for t in times)}] s; best {best:.1f} s "
        f"(target <= {TARGET_SECONDS:.0f} s): {verdict}"
    )
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "runs.db"
        stored, into = timed(lambda: curve(store))
        size = sum(f.stat().st_size for f in Path(folder).iterdir())
        again, back = timed(lambda: curve(store))
    equal = plain == stored == again
    print(
        f"  with a fresh --store: {into:.1f} s ({into - best:+.1f} s); read back from it: "
        f"{back:.2f} s; store {size / 1e6:.1f} MB ({size / plain.simulated_rows:,.0f} bytes "
        f"per market); curves equal: {equal}"
    )
    return 0 if verdict == "PASS" and equal else 1


if __name__ == "__main__":
    sys.exit(main())
