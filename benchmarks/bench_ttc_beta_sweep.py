"""Benchmark: a 100-value beta sweep from the CLI against one brute-force maximum welfare.

Issue 3 asks that a sweep of 100 log-spaced betas from 1 to 1e6 (better-response dynamics to a
pure Nash equilibrium and the exact price of anarchy for each) on a 9-provider, 6-level game,
timed as a real ``llm-market`` subprocess with its start-up included, be faster than a single
vectorised brute-force maximum welfare over the 6^9 = 10,077,696 profiles, measured in the same
run. (The authors' notebook spent about 16 minutes on that sweep.)

The game is the ``gsm8k-best-of-n`` preset: the paper's 9 instruct models with best-of-n over
n in {1, 4, 8, 16, 32, 64}, built from the shipped curves (approximate, digitised curves).

Run: ``.venv/bin/python benchmarks/bench_ttc_beta_sweep.py``
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from market.ttc.scenarios import get_scenario
from mechanisms.ttc.optimum import brute_force_max_welfare, max_welfare

SCENARIO = "gsm8k-best-of-n"
BETAS = "1:1e6:100"


def time_cli_sweep(out: Path) -> float:
    """Wall time of the whole ``llm-market ttc sweep-beta`` process, start-up included."""
    script = Path(sys.executable).with_name("llm-market")
    command = [
        str(script),
        "ttc",
        "sweep-beta",
        "--scenario",
        SCENARIO,
        "--betas",
        BETAS,
        "--out",
        str(out),
    ]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"sweep failed ({result.returncode}): {result.stderr.strip()}")
    print(result.stdout.strip())
    return elapsed


def time_brute_force(beta: float = 1000.0) -> tuple[float, float, float]:
    """Wall time of one brute-force maximum welfare, its value and the exact one."""
    game = get_scenario(SCENARIO).build(beta=beta)
    start = time.perf_counter()
    brute = brute_force_max_welfare(game)
    elapsed = time.perf_counter() - start
    return elapsed, brute.welfare, max_welfare(game).welfare


def main() -> None:
    game = get_scenario(SCENARIO).build(beta=1000.0)
    print(
        f"game {SCENARIO}: {game.n_providers} providers x {game.n_levels} levels = "
        f"{game.n_levels**game.n_providers:,} profiles (approximate: digitised curves)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        sweep_seconds = time_cli_sweep(Path(tmp))
        sweep = pd.read_csv(Path(tmp) / "sweep_beta.csv")
    brute_seconds, brute_welfare, exact_welfare = time_brute_force()
    print(
        f"CLI sweep-beta, {len(sweep)} betas {BETAS} (process start-up included): "
        f"{sweep_seconds:.2f} s; all equilibria verified: {bool(sweep['is_equilibrium'].all())}"
    )
    print(
        f"one brute-force max welfare over 6^9 profiles (beta = 1000): {brute_seconds:.2f} s "
        f"(W = {brute_welfare:.9g}; exact {exact_welfare:.9g})"
    )
    ratio = brute_seconds / sweep_seconds
    verdict = "PASS" if sweep_seconds < brute_seconds else "FAIL"
    print(
        f"{verdict}: the whole sweep takes {1 / ratio:.2f}x the time of one brute force "
        f"({ratio:.2f}x faster)"
    )


if __name__ == "__main__":
    main()
