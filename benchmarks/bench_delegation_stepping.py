"""Benchmark: stepping the delegation model one query at a time (target >= 20,000 queries/s).

A dashboard advances the Mesa model round by round; with ``batch=1`` every ``step()`` serves one
query (mechanism bookkeeping, the validation check, DataCollector checks and Mesa's own step
machinery included). This script builds ``DelegationMarket("cao2026", strategies="ours",
batch=1, rng=42)`` at the paper's T = 10^6, calls ``model.step()`` in a loop for ``--queries``
queries (default 300,000: the exploration phase and a large part of exploitation) and prints
queries per second; ``--queries 0`` steps the whole run. Best of ``--repeats``.

Usage:
    .venv/bin/python benchmarks/bench_delegation_stepping.py [--queries 300000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time

from market.delegation.model import DelegationMarket

TARGET_QPS = 20_000


def stepping_rate(queries: int, strategies: str = "ours") -> tuple[float, int, str]:
    """Queries per second stepping one query at a time; also how many and the last phase."""
    model = DelegationMarket("cao2026", strategies=strategies, batch=1, rng=42)
    limit = queries or model.platform.T
    started = time.perf_counter()
    while model.running and model.platform.used < limit:
        model.step()
    elapsed = time.perf_counter() - started
    served = model.platform.used
    return served / elapsed, served, model.platform.phase


def main() -> int:
    """Time the stepping loop and print the rate against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--strategies", default="ours")
    args = parser.parse_args()

    runs = [stepping_rate(args.queries, args.strategies) for _ in range(args.repeats)]
    best, served, phase = max(runs)
    print(f"delegation stepping benchmark: cao2026, strategies {args.strategies}, batch = 1")
    print(
        f"  {served:,} queries stepped (reached phase {phase}); rates "
        f"[{', '.join(f'{r:,.0f}' for r, _, _ in runs)}] queries/s"
    )
    verdict = "PASS" if best >= TARGET_QPS else "FAIL"
    print(
        f"  best {best:,.0f} queries/s = {1e6 / best:.1f} us per step "
        f"(target >= {TARGET_QPS:,}): {verdict}"
    )
    return 0 if best >= TARGET_QPS else 1


if __name__ == "__main__":
    sys.exit(main())
