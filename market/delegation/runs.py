"""Scripted runs of the delegation game: one profile, the strategy sweep and the horizon sweep.

- :func:`run_profile`: one strategy profile, run to the end in one step (results do not depend
  on the batch size, so the sweep uses a single batch of T queries).
- :func:`sweep`: every strategy profile (``6^K`` for K providers) times replicate seeds, run on
  ``jobs`` processes, as a tidy table with one row per profile, seed and provider; aggregated as
  in the paper's Figure 2 (:func:`strategy_means`) and Figure 3 (:func:`responses_to_leader`).
- :func:`horizon`: Figure 4, everyone plays "ours", provider 1's delivered user utility against
  T, with the second-best reference ``u_SB``.

Seeds: one root seed. With one replicate the root seed itself seeds every run (so a sweep row
matches ``llm-market delegation run --seed S``); with K replicates the root seed's
``SeedSequence`` spawns K children, one integer seed each (:func:`replicate_seeds`). Every
profile of a replicate uses the same seed (common random numbers across profiles).

Parallel runs: work is cut into chunks of runs (to limit inter-process traffic), each chunk is
simulated by the top-level, picklable :func:`simulate_chunk` and results are put back in task
order, so tables do not depend on the number of processes. Workers reuse the loaded response
table through the per-process caches of :mod:`market.delegation.scenarios` and
:mod:`market.delegation.records`.

References:
    Cao et al. (2026), Section 6 and Figures 2-4; ``shared/specs/delegation.md`` section 5.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agents.delegation.strategies import STRATEGIES
from market.core.errors import UserInputError
from market.delegation.model import DelegationMarket, DelegationResult, resolve_scenario
from market.delegation.scenarios import DelegationScenario

DEFAULT_SEED = 42
LEADER_STRATEGY = "ours"
PROFILE_SEPARATOR = "|"
PROFILE_COLUMNS = (
    "profile",
    "seed",
    "provider",
    "strategy",
    "provider_utility",
    "user_utility",
    "delegations",
)
SUMMARY_COLUMNS = ("provider", "strategy", "provider_utility", "user_utility", "delegations")
HORIZON_COLUMNS = ("T", "seed", "provider1_user_utility", "user_utility", "u_sb")
CHUNKS_PER_JOB = 8
FORK_WARNING = r".*multi-threaded, use of fork\(\) may lead to deadlocks"


# ---- validation ---------------------------------------------------------------------------


def positive_count(value, field: str, minimum: int = 1) -> int:
    """An integer ``>= minimum``; anything else raises a UserInputError naming ``field``."""
    expected = f"an integer >= {minimum}"
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UserInputError(field, expected, value) from None
    if number != value and str(number) != str(value).strip():
        raise UserInputError(field, expected, value)
    if number < minimum:
        raise UserInputError(field, expected, value)
    return number


def root_seed(seed) -> int:
    """The root seed: a non-negative integer (numpy SeedSequence's domain)."""
    return positive_count(seed, "seed", minimum=0)


# ---- seeds and profiles -------------------------------------------------------------------


def replicate_seeds(seed: int, count: int) -> tuple[int, ...]:
    """One integer seed per replicate, derived from the root ``seed``.

    One replicate uses the root seed itself; K > 1 replicates use the K children of
    ``SeedSequence(seed).spawn(K)``, each turned into an integer by ``generate_state(1)``.
    """
    seed = root_seed(seed)
    count = positive_count(count, "seeds")
    if count == 1:
        return (seed,)
    return tuple(
        int(child.generate_state(1)[0]) for child in np.random.SeedSequence(seed).spawn(count)
    )


def strategy_profiles(
    n_providers: int, strategies: Sequence[str] | None = None
) -> list[tuple[str, ...]]:
    """Every assignment of a strategy to each provider (``len(strategies) ** n_providers``).

    Ordered lexicographically in registry order, provider 1 varying slowest.
    """
    names = tuple(strategies) if strategies is not None else tuple(STRATEGIES.names())
    for name in names:
        STRATEGIES.get(name, field="strategies")
    return list(itertools.product(names, repeat=n_providers))


def profile_label(strategies: Sequence[str]) -> str:
    """A profile's name in tables: the strategies of providers 1..K joined by ``|``."""
    return PROFILE_SEPARATOR.join(strategies)


# ---- one run ------------------------------------------------------------------------------


def run_profile(
    scenario="cao2026",
    strategies="ours",
    seed: int = DEFAULT_SEED,
    T=None,
    eps=None,
    mechanism=None,
) -> DelegationResult:
    """Run one strategy profile to the end (a single batch: identical to any batch size)."""
    model = DelegationMarket(
        scenario,
        strategies,
        T=T,
        eps=eps,
        mechanism=mechanism,
        rng=seed,
        record_points=1,
    )
    return model.run()


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep: its position, the profile, the seed and the horizon."""

    index: int
    strategies: tuple[str, ...]
    seed: int
    T: int


@dataclass(frozen=True)
class RunChunk:
    """Runs simulated together by one worker call (shared scenario settings)."""

    scenario: DelegationScenario
    eps: float | None
    mechanism: str | None
    tasks: tuple[RunTask, ...]


def simulate_chunk(chunk: RunChunk) -> list[tuple[int, DelegationResult]]:
    """Simulate every run of ``chunk``; returns ``(task index, result)`` pairs.

    Top-level so that it pickles to worker processes.
    """
    return [
        (
            task.index,
            run_profile(
                chunk.scenario,
                task.strategies,
                task.seed,
                T=task.T,
                eps=chunk.eps,
                mechanism=chunk.mechanism,
            ),
        )
        for task in chunk.tasks
    ]


def chunk_tasks(tasks: Sequence[RunTask], jobs: int) -> list[tuple[RunTask, ...]]:
    """Cut tasks into about ``CHUNKS_PER_JOB`` chunks per process (contiguous, in order)."""
    if not tasks:
        return []
    size = max(1, math.ceil(len(tasks) / (jobs * CHUNKS_PER_JOB)))
    return [tuple(tasks[i : i + size]) for i in range(0, len(tasks), size)]


def process_context():
    """How worker processes start: ``fork`` where available, else the platform default.

    Forked workers inherit the loaded response table and start at once (``spawn`` or
    ``forkserver`` would re-import numpy, pandas and Mesa in every sweep, about a second).
    Python 3.12 warns that forking a process with threads may deadlock: importing pandas
    (pyarrow's jemalloc background thread) and Mesa starts native threads, which the workers
    never use (they run numpy and this package's code only), so that one warning is silenced
    in :func:`run_tasks`; a Python thread of our own would be a different matter, so with more
    than one Python thread alive ``forkserver`` is used instead.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return None


def progress_wanted() -> bool:
    """Show a progress bar only on an interactive stderr and outside CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")


class SilentProgress:
    """A progress bar that shows nothing (tqdm starts a monitor thread even when disabled)."""

    def __enter__(self) -> SilentProgress:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, n: int = 1) -> None:
        """Ignore progress."""


def progress_bar(total: int, description: str, show: bool):
    """A tqdm bar on stderr when ``show``, else a silent stand-in."""
    if not show:
        return SilentProgress()
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="run", file=sys.stderr, dynamic_ncols=True)


def run_tasks(
    scenario: DelegationScenario,
    tasks: Sequence[RunTask],
    *,
    eps=None,
    mechanism=None,
    jobs: int = 1,
    progress: bool = False,
    description: str = "runs",
) -> list[DelegationResult]:
    """Run ``tasks`` on ``jobs`` processes; results in task order whatever ``jobs`` is."""
    chunks = [RunChunk(scenario, eps, mechanism, c) for c in chunk_tasks(tasks, jobs)]
    parallel = jobs > 1 and len(chunks) > 1
    context = process_context() if parallel else None
    results: dict[int, DelegationResult] = {}
    if not parallel:
        with progress_bar(len(tasks), description, progress) as bar:
            for chunk in chunks:
                results.update(simulate_chunk(chunk))
                bar.update(len(chunk.tasks))
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=context) as pool:
            # submitting forks the workers, so do it before the progress bar's thread starts
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", FORK_WARNING, DeprecationWarning)
                futures = {pool.submit(simulate_chunk, chunk): chunk for chunk in chunks}
            with progress_bar(len(tasks), description, progress) as bar:
                for future in as_completed(futures):
                    results.update(future.result())
                    bar.update(len(futures[future].tasks))
    return [results[task.index] for task in tasks]


# ---- the strategy sweep (Figures 2 and 3) -------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: settings, the tidy profile table, its aggregations and timings.

    Attributes:
        settings: what was run (scenario, mechanism, T, eps, seeds, jobs, counts).
        profiles: one row per profile, seed and provider (:data:`PROFILE_COLUMNS`).
        summary: Figure 2's aggregation for every provider (:func:`strategy_means`).
        figure3: providers 2..K by strategy with provider 1 playing "ours"
            (:func:`responses_to_leader`).
        timings: wall-clock seconds of each stage.
    """

    settings: dict
    profiles: pd.DataFrame
    summary: pd.DataFrame
    figure3: pd.DataFrame
    timings: dict = field(default_factory=dict)


def prepare(scenario, T=None, eps=None, mechanism=None, seed: int = DEFAULT_SEED):
    """Resolve and validate a scenario with its overrides by building one model (no run).

    Raises a UserInputError for an unknown scenario or mechanism, eps outside (0, 1/2) and a
    T too small for an exploitation phase; returns the resolved scenario and that model.
    """
    resolved = resolve_scenario(scenario, T, eps, mechanism)
    model = DelegationMarket(resolved, LEADER_STRATEGY, batch=1, rng=seed, record_points=1)
    return resolved, model


def sweep(
    scenario="cao2026",
    T=None,
    eps=None,
    seeds: int = 1,
    seed: int = DEFAULT_SEED,
    jobs: int = 1,
    mechanism=None,
    strategies: Sequence[str] | None = None,
    progress: bool = False,
) -> SweepResult:
    """Run every strategy profile for every replicate seed (the paper's Section 6 sweep).

    Args:
        scenario: preset name, TOML path or scenario.
        T: horizon override.
        eps: epsilon override.
        seeds: number of replicate seeds (see :func:`replicate_seeds`).
        seed: the root seed.
        jobs: worker processes (results do not depend on it).
        mechanism: mechanism override.
        strategies: the strategies to enumerate (default: all registered).
        progress: show a tqdm bar on stderr.

    Returns:
        The :class:`SweepResult`.
    """
    started = time.perf_counter()
    seed, jobs = root_seed(seed), positive_count(jobs, "jobs")
    replicates = replicate_seeds(seed, seeds)
    resolved, model = prepare(scenario, T, eps, mechanism, seed)
    horizon_T = int(model.preset.T)
    profiles = strategy_profiles(len(model.providers), strategies)
    tasks = [
        RunTask(i * len(replicates) + j, profile, s, horizon_T)
        for i, profile in enumerate(profiles)
        for j, s in enumerate(replicates)
    ]
    prepared = time.perf_counter()
    results = run_tasks(resolved, tasks, jobs=jobs, progress=progress, description="profiles")
    simulated = time.perf_counter()
    table = profile_table(tasks, results)
    summary = strategy_means(table)
    figure3 = responses_to_leader(table)
    aggregated = time.perf_counter()
    settings = {
        "scenario": resolved.name,
        "mechanism": model.platform.mechanism.name,
        "T": horizon_T,
        "eps": float(model.preset.eps),
        "seed": seed,
        "seeds": len(replicates),
        "replicate_seeds": list(replicates),
        "jobs": jobs,
        "providers": [p.name for p in model.providers],
        "strategies": list(dict.fromkeys(name for profile in profiles for name in profile)),
        "profiles": len(profiles),
        "runs": len(tasks),
        "data_notes": list(model.economy.table.notes),
    }
    timings = {
        "prepare_seconds": prepared - started,
        "simulate_seconds": simulated - prepared,
        "aggregate_seconds": aggregated - simulated,
        "seconds_per_run": (simulated - prepared) / max(1, len(tasks)),
    }
    return SweepResult(settings, table, summary, figure3, timings)


def profile_table(tasks: Sequence[RunTask], results: Sequence[DelegationResult]) -> pd.DataFrame:
    """The tidy table: one row per profile, seed and provider (providers numbered from 1)."""
    rows = [
        (
            profile_label(task.strategies),
            task.seed,
            k,
            p.strategy,
            p.provider_utility,
            p.user_utility,
            p.delegations,
        )
        for task, result in zip(tasks, results, strict=True)
        for k, p in enumerate(result.providers, start=1)
    ]
    return pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))


def strategy_means(profiles: pd.DataFrame) -> pd.DataFrame:
    """Figure 2's aggregation for every provider.

    For each provider (from 1) and strategy it plays: the mean, over all profiles of the other
    providers and all seeds, of its provider utility, the user utility it delivered and its
    delegations. Strategies in registry order.
    """
    means = (
        profiles.groupby(["provider", "strategy"], sort=False)[
            ["provider_utility", "user_utility", "delegations"]
        ]
        .mean()
        .reset_index()
    )
    means["delegations"] = means["delegations"].astype(float)
    return order_strategies(means)


def responses_to_leader(
    profiles: pd.DataFrame, leader: int = 1, leader_strategy: str = LEADER_STRATEGY
) -> pd.DataFrame:
    """Figure 3: providers other than ``leader`` by strategy, while ``leader`` plays "ours".

    Means over the profiles in which provider ``leader`` plays ``leader_strategy`` (and over
    seeds), per other provider and its strategy.
    """
    first = profiles["profile"].str.split(PROFILE_SEPARATOR, regex=False).str[leader - 1]
    led = profiles[(first == leader_strategy) & (profiles["provider"] != leader)]
    return strategy_means(led)


def order_strategies(table: pd.DataFrame) -> pd.DataFrame:
    """Sort by provider, then strategies in registry order (unknown names last)."""
    rank = {name: i for i, name in enumerate(STRATEGIES.names())}
    key = table["strategy"].map(lambda s: rank.get(s, len(rank)))
    ordered = table.assign(_rank=key).sort_values(["provider", "_rank", "strategy"], kind="stable")
    return ordered.drop(columns="_rank").reset_index(drop=True)[list(SUMMARY_COLUMNS)]


# ---- the horizon sweep (Figure 4) ---------------------------------------------------------


@dataclass(frozen=True)
class HorizonResult:
    """Figure 4's data: one row per horizon T and seed (:data:`HORIZON_COLUMNS`)."""

    settings: dict
    table: pd.DataFrame
    timings: dict = field(default_factory=dict)


def horizon_values(T_from, T_to, points) -> tuple[int, ...]:
    """``points`` integer horizons evenly spaced from ``T_from`` to ``T_to`` (both included)."""
    T_from = positive_count(T_from, "T-from")
    T_to = positive_count(T_to, "T-to")
    points = positive_count(points, "points", minimum=2)
    if T_from > T_to:
        raise UserInputError("T-to", f"a horizon >= T-from ({T_from})", T_to)
    return tuple(int(t) for t in np.rint(np.linspace(T_from, T_to, points)).astype(np.int64))


def horizon(
    scenario="cao2026",
    T_from=1_000_000,
    T_to=2_000_000,
    points: int = 11,
    seeds: int = 1,
    seed: int = DEFAULT_SEED,
    jobs: int = 1,
    eps=None,
    mechanism=None,
    strategy: str = LEADER_STRATEGY,
    progress: bool = False,
) -> HorizonResult:
    """Figure 4: everyone plays ``strategy``; totals against the horizon T.

    The smallest T is checked for an exploitation phase before anything runs.

    Returns:
        A :class:`HorizonResult` whose table has, per T and seed, provider 1's delivered user
        utility, the user's total utility and ``u_SB = T x`` the second-best truthful
        per-query utility (Section 3.2).
    """
    started = time.perf_counter()
    values = horizon_values(T_from, T_to, points)
    seed, jobs = root_seed(seed), positive_count(jobs, "jobs")
    replicates = replicate_seeds(seed, seeds)
    STRATEGIES.get(strategy, field="strategies")
    resolved, model = prepare(scenario, values[0], eps, mechanism, seed)
    n = len(model.providers)
    tasks = [
        RunTask(i * len(replicates) + j, (strategy,) * n, s, t)
        for i, t in enumerate(values)
        for j, s in enumerate(replicates)
    ]
    prepared = time.perf_counter()
    results = run_tasks(resolved, tasks, jobs=jobs, progress=progress, description="horizons")
    simulated = time.perf_counter()
    table = pd.DataFrame(
        [
            (r.T, task.seed, r.providers[0].user_utility, r.user_utility, r.u_sb)
            for task, r in zip(tasks, results, strict=True)
        ],
        columns=list(HORIZON_COLUMNS),
    )
    settings = {
        "scenario": resolved.name,
        "mechanism": model.platform.mechanism.name,
        "eps": float(model.preset.eps),
        "strategy": strategy,
        "T_from": values[0],
        "T_to": values[-1],
        "points": len(values),
        "seed": seed,
        "seeds": len(replicates),
        "replicate_seeds": list(replicates),
        "jobs": jobs,
        "runs": len(tasks),
    }
    timings = {"prepare_seconds": prepared - started, "simulate_seconds": simulated - prepared}
    return HorizonResult(settings, table, timings)
