"""Benchmark: one ROSA run with T = 1e5, 5 providers, d = 5 (target <= 30 s), and stepping.

Times one run of the Mesa model through :func:`market.rosa.runs.run_market` (the code path of
``llm-market rosa run``, without the monotonicity replay), and the model stepped one round per
``step()`` as the dashboard does (``--step-rounds`` rounds, default 20,000, reported as rounds per
second). The per-round work of a single run is a few dozen small numpy calls (ridge means and
widths for every provider, the learner's choice, a rank-one update), so one run is bound by
Python call overhead, not arithmetic; many runs are batched instead (see
``bench_rosa_truthfulness.py``).

Usage:
    .venv/bin/python benchmarks/bench_rosa_run.py [--T 100000] [--learner elimination]
"""

from __future__ import annotations

import argparse
import sys
import time

from market.rosa.model import RosaMarket
from market.rosa.runs import run_market
from market.rosa.scenarios import get_setting

TARGET_SECONDS = 30.0


def main() -> int:
    """Time one run and the stepping rate; print them against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=100_000)
    parser.add_argument("--learner", default="elimination")
    parser.add_argument("--step-rounds", dest="step_rounds", type=int, default=20_000)
    args = parser.parse_args()

    setting = get_setting(T=args.T, learner=args.learner)
    started = time.perf_counter()
    result, _ = run_market(setting, 42, check_points=0)
    elapsed = time.perf_counter() - started

    model = RosaMarket(setting, batch=1, rng=42)
    stepped = time.perf_counter()
    while model.running and model.platform.rounds < args.step_rounds:
        model.step()
    rate = model.platform.rounds / (time.perf_counter() - stepped)

    print(f"rosa run benchmark: n=5, d=5, T={args.T:,}, learner {args.learner}")
    print(
        f"  regret {result.regret:.1f} ({result.regret_over_sqrt_T:.2f} sqrt(T)); "
        f"{elapsed / args.T * 1e6:.0f} us per round"
    )
    print(f"  stepping one round per step(): {rate:,.0f} rounds/s")
    verdict = "PASS" if elapsed <= TARGET_SECONDS else "FAIL"
    print(f"  one run: {elapsed:.1f} s (target <= {TARGET_SECONDS:.0f} s): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
