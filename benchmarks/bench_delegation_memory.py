"""Benchmark: peak memory of one delegation run at T = 1e6 (target < 300 MB).

Issue 2 asks that one T = 10^6 run of the paper's market (scenario ``cao2026``, everyone
playing "ours", seed 42) stay under 300 MB of peak memory. Each measurement runs in its own
Python subprocess; the peak resident set size is read with
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` right after that child exits (the first
child measured is the run itself, so the maximum over children is its own peak). For context
the script also reports, each in a fresh subprocess that prints its own ``RUSAGE_SELF`` peak,
the interpreter with the package imported but nothing run, and the same run stepped in
batches of 1,000 queries (the model's default, what a dashboard would do).

Usage:
    .venv/bin/python benchmarks/bench_delegation_memory.py [--T 1000000] [--batch 1000000]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys

TARGET_MB = 300.0

RUN = """
import resource, sys
from market.delegation.model import DelegationMarket
T, batch = int(sys.argv[1]), int(sys.argv[2])
result = DelegationMarket("cao2026", strategies="ours", T=T, batch=batch, rng=42).run()
assert result.queries_used <= T
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

IMPORT_ONLY = """
import resource
import market.delegation.model
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def child_peak_kb(code: str, *args: str) -> int:
    """Run ``code`` in a fresh interpreter; return the peak RSS it printed (KB on Linux)."""
    completed = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(completed.stderr)
    return int(completed.stdout.split()[-1])


def main() -> int:
    """Measure and print the peaks; exit 1 if the run is over the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=1_000_000)
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="queries per step of the measured run (default: all of T)",
    )
    args = parser.parse_args()
    batch = args.batch or args.T

    child_peak_kb(RUN, str(args.T), str(batch))
    run_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    import_mb = child_peak_kb(IMPORT_ONLY) / 1024
    stepped_mb = child_peak_kb(RUN, str(args.T), "1000") / 1024

    print(f"delegation memory benchmark: scenario cao2026, everyone 'ours', T = {args.T:,}")
    print(f"  interpreter + package imported, nothing run: {import_mb:7.1f} MB")
    print(
        f"  one run, batch = {batch:,} (RUSAGE_CHILDREN):   {run_mb:7.1f} MB peak "
        f"(+{run_mb - import_mb:.1f} MB over the imports)"
    )
    print(f"  one run, batch = 1,000:                        {stepped_mb:7.1f} MB peak")
    worst = max(run_mb, stepped_mb)
    verdict = "PASS" if worst < TARGET_MB else "FAIL"
    print(f"  worst peak {worst:.1f} MB (target < {TARGET_MB:g} MB): {verdict}")
    return 0 if worst < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
