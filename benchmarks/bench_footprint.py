"""Benchmark: memory estimates (``market.*.footprint``) against measured peaks at large sizes.

Each case runs in its own Python subprocess, as the dashboard runs it (the page's adapter in
``app/games``: build, then ``step()`` with a snapshot after every step; the studies and the
payoff table through the functions the pages call). The child first plays a tiny case of the
same game (imports and first-use buffers are the server's, not the work's), then measures

- the resident-set growth: the kernel's high-water mark (``VmHWM``, reset through
  ``/proc/self/clear_refs``) minus the resident set before the work, without ``tracemalloc``;
- the ``tracemalloc`` peak (numpy reports its buffers to it) of the same work done again.

A last section measures, in fresh children without that warm-up, what a process pays the first
time it builds and snapshots a model of each game, against the footprint module's
``FIRST_USE_BYTES`` plus the model's estimate.

PASS when every estimate is at least both measurements. The TTC cases stop after ``--ttc-steps``
steps (default 3): a run's peak comes with its first deviation checks, and the rows of a few
dozen more steps are kilobytes.

Usage:
    .venv/bin/python benchmarks/bench_footprint.py [--quick] [--ttc-steps 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import subprocess
import sys
import time
import tracemalloc
import warnings

MB = 1e6
CASES = [
    ("delegation", {"preset": "cao2026-paper", "T": 1_000_000, "batch": 10_000}),
    ("delegation", {"preset": "cao2026-paper", "T": 1_000_000, "batch": 1_000_000}),
    ("delegation", {"preset": "cao2026", "T": 5_000_000, "batch": 10_000}),
    ("delegation", {"preset": "cao2026-paper", "T": 5_000_000, "batch": 10_000}),
    ("delegation", {"preset": "cao2026-paper", "T": 5_000_000, "batch": 5_000_000}),
    ("metagame", {"T": 1_000_000, "seeds": 2}),
    ("ttc", {"preset": "gsm8k-best-of-n", "users": 100_000}),
    ("ttc", {"preset": "gsm8k-best-of-n", "users": 550_000}),
    ("rosa", {"providers": 5, "dim": 5, "T": 100_000, "batch": 1_000}),
    ("rosa", {"providers": 20, "dim": 20, "T": 100_000, "batch": 1_000}),
    ("truthfulness", {"providers": 5, "dim": 5, "T": 2_000, "bids": 11, "runs": 50}),
    ("truthfulness", {"providers": 5, "dim": 5, "T": 2_000, "bids": 21, "runs": 400}),
    ("regret", {"providers": 5, "dim": 5, "horizons": "500:8000:5", "runs": 10}),
    ("regret", {"providers": 20, "dim": 5, "horizons": "500:8000:5", "runs": 100}),
]
QUICK = {0, 5, 6, 8, 10, 12}
WARM_UPS = {
    "delegation": {"preset": "cao2026", "T": 100_000, "batch": 50_000},
    "metagame": {"T": 20_000, "seeds": 1},
    "ttc": {"preset": "gsm8k-best-of-n", "users": 100},
    "rosa": {"providers": 2, "dim": 1, "T": 300, "batch": 10},
    "truthfulness": {"providers": 2, "dim": 1, "T": 100, "bids": 2, "runs": 2},
    "regret": {"providers": 2, "dim": 1, "horizons": "100:200:2", "runs": 2},
}


# ---- the work, as the dashboard does it -----------------------------------------------------


def played(page, settings, steps=None):
    """Build the page's run, then step it with a snapshot after each step (at most ``steps``)."""

    def work():
        run = page.build_run(settings)
        page.snapshot(run)
        while run.model.running and (steps is None or run.model.steps < steps):
            run.model.step()
            page.snapshot(run)
        return run

    return work


def delegation_work(preset, T, batch, steps=None):
    from app.games import delegation as page
    from market.delegation import model

    model.seeded_query_stream.cache_clear()
    model._shared_sums.clear()
    return played(page, page.DelegationSettings(preset=preset, T=str(T), batch=str(batch)))


def metagame_work(T, seeds, steps=None):
    from market.delegation import model
    from market.delegation.empirical import metagame

    model.seeded_query_stream.cache_clear()
    model._shared_sums.clear()
    return lambda: metagame("cao2026", T=T, seeds=seeds, check_theorem=False, use_store=False)


def ttc_work(preset, users, steps=None):
    from app.games import ttc as page

    settings = page.TTCSettings(
        preset=preset, users="heterogeneous agents", n_users=str(users), spread="0.5"
    )
    return played(page, settings, steps)


def rosa_work(providers, dim, T, batch, steps=None):
    from app.games import rosa as page

    settings = page.RosaSettings(providers=str(providers), dim=str(dim), T=str(T), batch=str(batch))
    return played(page, settings)


def truthfulness_work(providers, dim, T, bids, runs, steps=None):
    from app.games import rosa, rosa_studies

    settings = rosa.RosaSettings(
        providers=str(providers), dim=str(dim), study_T=str(T), bids=str(bids), runs=str(runs)
    )
    request = rosa_studies.truthfulness_request(settings, 42)
    return lambda: rosa_studies.truthfulness(request)


def regret_work(providers, dim, horizons, runs, steps=None):
    from app.games import rosa, rosa_studies

    settings = rosa.RosaSettings(
        providers=str(providers), dim=str(dim), horizons=horizons, regret_runs=str(runs)
    )
    request = rosa_studies.regret_request(settings, 42)
    return lambda: rosa_studies.regret(request)


WORK = {
    "delegation": delegation_work,
    "metagame": metagame_work,
    "ttc": ttc_work,
    "rosa": rosa_work,
    "truthfulness": truthfulness_work,
    "regret": regret_work,
}


# ---- the estimates --------------------------------------------------------------------------


def estimate(game: str, sizes: dict, steps: int | None) -> int:
    """The footprint module's estimate for a case (TTC: for the steps actually taken)."""
    from market.delegation import footprint as delegation
    from market.delegation.scenarios import get_scenario
    from market.rosa import footprint as rosa
    from market.ttc import footprint as ttc
    from market.ttc.scenarios import get_scenario as ttc_scenario

    if game == "delegation":
        providers = len(get_scenario(sizes["preset"]).providers)
        return delegation.model_bytes(sizes["T"], providers, sizes["batch"])
    if game == "metagame":
        return delegation.payoff_table_bytes(sizes["T"], sizes["seeds"], providers=3)
    if game == "ttc":
        spec = ttc_scenario(sizes["preset"]).build()
        return ttc.model_bytes(spec.n_providers, spec.n_levels, sizes["users"], steps or 0)
    if game == "rosa":
        return rosa.model_bytes(sizes["providers"], sizes["dim"], sizes["T"])
    if game == "truthfulness":
        n, d = sizes["providers"], sizes["dim"]
        return rosa.truthfulness_bytes(n, d, sizes["bids"], sizes["runs"])
    horizons = int(sizes["horizons"].split(":")[-1])
    return rosa.regret_bytes(sizes["providers"], sizes["dim"], horizons, sizes["runs"])


# ---- one child process ----------------------------------------------------------------------


def resident(key: str) -> int:
    """``VmRSS`` or ``VmHWM`` of this process, in bytes."""
    with open("/proc/self/status") as status:
        return int(re.search(rf"{key}:\s+(\d+)", status.read()).group(1)) * 1024


def resident_growth(work) -> tuple[int, float, object]:
    """Peak resident growth of ``work()``, its seconds and its result."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM to the current resident set
    before = resident("VmRSS")
    started = time.perf_counter()
    result = work()
    return resident("VmHWM") - before, time.perf_counter() - started, result


def traced(work) -> int:
    """The ``tracemalloc`` peak of ``work()``."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def child(game: str, sizes: dict, steps: int, warm: bool) -> dict:
    """Measure one case in this process (the ``--child`` mode)."""
    warnings.simplefilter("ignore")
    make = WORK[game]
    if warm:
        make(**WARM_UPS[game], steps=steps)()
    growth, seconds, result = resident_growth(make(**sizes, steps=steps))
    taken = getattr(getattr(result, "model", None), "steps", None)
    del result
    peak = traced(make(**sizes, steps=steps)) if warm else 0
    return {"rss": growth, "traced": peak, "seconds": seconds, "steps": taken}


def measure(game: str, sizes: dict, steps: int, warm: bool = True) -> dict:
    """Run :func:`child` in a fresh interpreter and return what it printed."""
    command = [sys.executable, __file__, "--child", game, json.dumps(sizes), str(steps)]
    if not warm:
        command.append("--cold")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{game} {sizes}: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the report -----------------------------------------------------------------------------


def describe(sizes: dict) -> str:
    """The case's sizes, short."""
    return ", ".join(f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}" for k, v in sizes.items())


def report_case(game: str, sizes: dict, steps: int) -> bool:
    """Measure, estimate and print one case; True when the estimate bounds both figures."""
    got = measure(game, sizes, steps)
    bound = estimate(game, sizes, got["steps"])
    worst = max(got["rss"], got["traced"])
    print(
        f"  {game:12} {describe(sizes):58} {got['traced'] / MB:9.1f} {got['rss'] / MB:9.1f} "
        f"{bound / MB:9.1f} {bound / max(got['traced'], 1):6.2f} {bound / max(got['rss'], 1):6.2f}"
        f" {got['seconds']:7.1f}"
    )
    return bound >= worst


def report_first_use(steps: int) -> bool:
    """What a fresh process pays for its first small model of each game (no warm-up)."""
    from market.delegation import footprint as delegation
    from market.rosa import footprint as rosa
    from market.ttc import footprint as ttc

    print("\nfirst use in a fresh process: resident growth of the warm-up case (MB)")
    print(f"  {'game':12} {'RSS':>6} {'first use + model estimate':>27}")
    bounded = []
    for game, module in (("delegation", delegation), ("ttc", ttc), ("rosa", rosa)):
        got = measure(game, WARM_UPS[game], steps, warm=False)
        bound = module.FIRST_USE_BYTES + estimate(game, WARM_UPS[game], got["steps"])
        print(f"  {game:12} {got['rss'] / MB:6.1f} {bound / MB:27.1f}")
        bounded.append(bound >= got["rss"])
    return all(bounded)


def main() -> int:
    """Measure every case; print the table and PASS/FAIL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few cases only")
    parser.add_argument("--ttc-steps", dest="ttc_steps", type=int, default=3)
    args = parser.parse_args()
    cases = [case for i, case in enumerate(CASES) if not args.quick or i in QUICK]
    print("memory estimates against measured peaks (MB; one warm child process per case)")
    head = f"  {'work':12} {'sizes':58} {'traced':>9} {'RSS':>9} {'estimate':>9}"
    print(f"{head} {'e/tr':>6} {'e/RSS':>6} {'seconds':>7}")
    bounded = [report_case(game, sizes, args.ttc_steps) for game, sizes in cases]
    bounded.append(report_first_use(args.ttc_steps))
    verdict = "PASS" if all(bounded) else "FAIL"
    print(f"\nevery estimate >= its traced peak and its resident growth: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sizes = json.loads(sys.argv[3])
        print(json.dumps(child(sys.argv[2], sizes, int(sys.argv[4]), "--cold" not in sys.argv)))
        sys.exit(0)
    sys.exit(main())
