"""Exact maximum welfare vs a vectorised brute force on a 9-provider, 6-level TTC game.

The authors compute ``max_theta W(theta)`` by enumerating all 6^9 = 10,077,696 profiles. This
script times, in the same run and on the same game, :func:`mechanisms.ttc.optimum.max_welfare`
(Dinkelbach fractional programming for finite beta, the winner argument for beta = inf) against
:func:`mechanisms.ttc.optimum.brute_force_max_welfare` (numpy, chunks of 2^18 profiles so memory
stays modest), prints both times and the speed-up (target >= 1000x), and checks that the optima
agree. The game is built from the shipped curves, which are digitised and approximate.

Usage:
    .venv/bin/python benchmarks/bench_ttc_max_welfare.py [--scenario gsm8k-best-of-n]
        [--betas 200,1000,1e5,inf] [--repeats 200]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings

from market.ttc.scenarios import get_scenario
from mechanisms.ttc.optimum import brute_force_max_welfare, max_welfare, n_profiles

TARGET_SPEEDUP = 1000.0


def parse_betas(text: str) -> list[float]:
    """Comma-separated betas; ``inf`` means perfect rationality."""
    return [math.inf if b.strip() == "inf" else float(b) for b in text.split(",")]


def time_exact(game, repeats: int) -> tuple[float, object]:
    """Median wall time of the exact method over ``repeats`` calls, and its result."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = max_welfare(game)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit code 1 when the optima disagree or the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="gsm8k-best-of-n")
    parser.add_argument("--betas", default="200,1000,1e5,inf")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)

    ok = True
    for beta in parse_betas(args.betas):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            game = get_scenario(args.scenario).build(beta=beta)
        exact_time, exact = time_exact(game, args.repeats)
        start = time.perf_counter()
        brute = brute_force_max_welfare(game)
        brute_time = time.perf_counter() - start
        speedup = brute_time / exact_time
        agree = math.isclose(exact.welfare, brute.welfare, rel_tol=1e-12, abs_tol=1e-18)
        method = "winner argument" if game.is_perfect else "Dinkelbach"
        print(
            f"{args.scenario} (approximate curves) N={game.n_providers} L={game.n_levels} "
            f"profiles={n_profiles(game):,} beta={beta:g}\n"
            f"  exact ({method}): {exact_time * 1e3:.3f} ms (median of {args.repeats})  "
            f"W*={exact.welfare:.12g} at {exact.profile}\n"
            f"  brute force: {brute_time:.3f} s  W*={brute.welfare:.12g} at {brute.profile}\n"
            f"  speed-up: {speedup:,.0f}x (target >= {TARGET_SPEEDUP:,.0f}x)  "
            f"optima agree: {'yes' if agree else 'NO'}"
        )
        ok &= agree and speedup >= TARGET_SPEEDUP
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
