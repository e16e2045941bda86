"""Scripted runs of the delegation game: one profile, the strategy sweep and the horizon sweep.

The one layer that the CLI, the dashboard, the benchmarks and the tests call: plain functions
with explicit parameters, returning typed records.

- :func:`run`: one run of the Mesa model to its end, as a
  :class:`~market.delegation.results.DelegationResult` (the same call in every game:
  ``run(preset, seed=42, **params)``).
- :func:`run_profile`: one strategy profile, run to the end (the older form of :func:`run`;
  results never depend on the batch size, so the whole horizon is one step).
- :func:`sweep`: every strategy profile (``6^K`` for K providers) times replicate seeds, run on
  ``jobs`` processes, as a tidy table with one row per profile, seed and provider; aggregated as
  in the paper's Figure 2 and Figure 3 (:mod:`market.delegation.tables`).
- :func:`horizon`: Figure 4, everyone plays "ours", provider 1's delivered user utility against
  T, with the second-best reference ``u_SB``.

Seeds: one root seed. With one replicate the root seed itself seeds every run (so a sweep row
matches ``llm-market delegation run --seed S``); with K replicates the root seed's
``SeedSequence`` spawns K children (:func:`market.core.seeds.replicate_seeds`). Every profile of
a replicate uses the same seed (common random numbers across profiles).

Parallel runs: the sweeps run on the experiment engine (:mod:`market.core.experiments`);
:mod:`market.delegation.chunks` cuts plain runs into chunks for worker processes. Workers reuse
the loaded response table through the per-process caches of :mod:`market.delegation.spec` and
:mod:`market.delegation.responses`.

References:
    Cao et al. (2026), Section 6 and Figures 2-4.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from agents.delegation.strategies import STRATEGIES
from market.core.engine import Engine, engine_with
from market.core.errors import UserInputError
from market.core.experiments import execute
from market.core.pricing import Price
from market.core.seeds import replicate_seeds, root_seed
from market.core.values import count
from market.delegation.economy import build_economy
from market.delegation.experiments import INDEX as EXPERIMENT_COLUMNS
from market.delegation.experiments import profiles_experiment
from market.delegation.horizon import HorizonPlan, horizon_plan
from market.delegation.model import DelegationMarket, mechanism_params, prepare, resolve_scenario
from market.delegation.pricing import PYTHON_ARGUMENTS, horizon_price, sweep_price
from market.delegation.results import (
    HORIZON_COLUMNS,
    DelegationResult,
    HorizonResult,
    SweepResult,
)
from market.delegation.tables import (
    LEADER_STRATEGY,
    PROFILE_COLUMNS,
    responses_to_leader,
    strategy_means,
    strategy_profiles,
)
from mechanisms.delegation import MECHANISMS

DEFAULT_SEED = 42


def mechanism_description(name: str) -> str:
    """Where a registered mechanism comes from, in words (printed beside every result)."""
    return MECHANISMS.get(name, field="mechanism").description


# ---- one run ------------------------------------------------------------------------------


def run(preset="cao2026", *, seed: int = DEFAULT_SEED, **params) -> DelegationResult:
    """Run the Mesa model once to its end.

    The same call in every game (:mod:`market.ttc.runs`, :mod:`market.rosa.runs`): exactly
    ``DelegationMarket(preset, rng=seed, **params).run()``.

    Args:
        preset: a preset name (default ``"cao2026"``), a TOML path or a scenario.
        seed: the root seed, a non-negative integer (default 42).
        **params: any other keyword of :class:`~market.delegation.model.DelegationMarket`
            (``strategies``, ``T`` in queries, ``eps``, ``mechanism``, ``batch``, ...).

    Returns:
        The :class:`~market.delegation.results.DelegationResult` of the run: utilities per
        run total, in the paper's units (a query's reward ``R r`` with ``R = 1``, less the
        price in USD per output token times the tokens billed; Section 3).
    """
    return DelegationMarket(preset, rng=root_seed(seed), **params).run()


def run_profile(
    preset="cao2026",
    strategies="ours",
    seed: int = DEFAULT_SEED,
    T=None,
    eps=None,
    mechanism=None,
    batch: int | None = None,
) -> DelegationResult:
    """Run one strategy profile to the end (the older form of :func:`run`, used by sweeps).

    Args:
        preset: a preset name (default ``"cao2026"``), a TOML path or a scenario.
        strategies: one strategy name per provider (comma-separated or a sequence), or one
            name for every provider (default ``"ours"``).
        seed: the root seed, a non-negative integer (default 42).
        T: the horizon, in queries (default None: the preset's).
        eps: the mechanism's epsilon in (0, 1/2) (default None: the preset's).
        mechanism: a registered mechanism name (default None: the preset's).
        batch: queries per Mesa step (default None: the whole horizon in one step, since one
            DataCollector row is recorded). Never changes results.

    Returns:
        The :class:`~market.delegation.results.DelegationResult`.
    """
    model = DelegationMarket(
        preset,
        strategies=strategies,
        T=T,
        eps=eps,
        mechanism=mechanism,
        batch=batch,
        rng=seed,
        record_points=1,
    )
    return model.run()


def plan(preset="cao2026", T=None, eps=None, mechanism=None) -> HorizonPlan:
    """How long a horizon the market needs: B, M, the reserve, T_R and phases (no run).

    Unlike :func:`prepare` it never refuses a short T: the plan says whether T works and,
    when it does not, what would (see :func:`market.delegation.horizon.horizon_plan`).

    Args:
        preset: a preset name (default ``"cao2026"``), a TOML path or a scenario.
        T: the horizon, in queries (default None: the preset's).
        eps: the mechanism's epsilon in (0, 1/2) (default None: the preset's).
        mechanism: a registered mechanism name (default None: the preset's).

    Returns:
        The :class:`~market.delegation.horizon.HorizonPlan` (lengths in queries).
    """
    resolved = resolve_scenario(preset, T, eps, mechanism)
    mechanism_cls = MECHANISMS.get(resolved.mechanism, field="mechanism")
    economy = build_economy(resolved, mechanism_cls.rules)
    return horizon_plan(mechanism_cls(mechanism_params(resolved, economy)), economy)


# ---- the strategy sweep (Figures 2 and 3) -------------------------------------------------


def sweep(
    preset="cao2026",
    T=None,
    eps=None,
    seeds: int = 1,
    seed: int = DEFAULT_SEED,
    jobs: int | None = None,
    mechanism=None,
    strategies: Sequence[str] | None = None,
    *,
    store=None,
    engine: Engine | None = None,
    priced: Price | None = None,
) -> SweepResult:
    """Run every strategy profile for every replicate seed (the paper's Section 6 sweep).

    The runs are an experiment of kind ``delegation/profiles``
    (:mod:`market.delegation.experiments`) run by the experiment engine: with a store every
    finished run is kept there, and the same call again resumes and returns the same table.

    Args:
        preset: preset name, TOML path or scenario (default ``"cao2026"``).
        T: horizon override, in queries (default None: the preset's).
        eps: epsilon override, in (0, 1/2) (default None: the preset's).
        seeds: number of replicate seeds (default 1; see
            :func:`market.core.seeds.replicate_seeds`).
        seed: the root seed, a non-negative integer (default 42).
        jobs: shorthand for ``Engine(jobs=...)`` (worker processes; results do not depend
            on it).
        mechanism: mechanism override (default None: the preset's).
        strategies: the strategies to enumerate (default: the paper's six, Table 1).
        store: shorthand for ``Engine(store=...)`` (the experiment store file).
        engine: how and where runs are computed: see :class:`market.core.engine.Engine`.
        priced: the request's price when the caller has made it already (the CLI, naming its
            flags); None: priced here (:func:`market.delegation.pricing.sweep_price`).

    Returns:
        The :class:`SweepResult`.

    Raises:
        UserInputError: a bad argument, or a request past this machine's memory or work
            limit (:mod:`market.core.pricing`), refused in one line naming the argument
            (``seeds``, ``T``, ``jobs`` or ``strategies``) before anything is allocated.
    """
    engine = engine_with(engine, jobs=jobs, store=store)
    if priced is None:
        request = argparse.Namespace(
            scenario=preset, T=T, seeds=seeds, jobs=engine.jobs, strategies=strategies
        )
        sweep_price(request, PYTHON_ARGUMENTS)
    started = time.perf_counter()
    seed = root_seed(seed)
    replicates = replicate_seeds(seed, seeds)
    resolved, model = prepare(preset, T, eps, mechanism, seed)
    horizon_T, horizon_eps = int(model.preset.T), float(model.preset.eps)
    mechanism_name = model.platform.mechanism.name
    profiles = strategy_profiles(len(model.providers), strategies)
    experiment = profiles_experiment(
        resolved,
        [(horizon_T, horizon_eps, mechanism_name, p, s) for p in profiles for s in replicates],
        {"command": "delegation sweep", "seeds": list(replicates)},
    )
    prepared = time.perf_counter()
    outcome = execute(experiment, engine=engine)
    simulated = time.perf_counter()
    table = profile_frame(outcome)
    summary = strategy_means(table)
    figure3 = responses_to_leader(table)
    aggregated = time.perf_counter()
    settings = {
        "scenario": resolved.name,
        "mechanism": mechanism_name,
        "T": horizon_T,
        "eps": horizon_eps,
        "seed": seed,
        "seeds": len(replicates),
        "replicate_seeds": list(replicates),
        "jobs": engine.jobs,
        "providers": [p.name for p in model.providers],
        "strategies": list(dict.fromkeys(name for profile in profiles for name in profile)),
        "profiles": len(profiles),
        "runs": len(experiment.runs),
        "data_notes": list(model.economy.table.notes),
        "u_sb": model.economy.second_best(horizon_T),
        "u_fb": model.economy.first_best(horizon_T),
    }
    timings = {
        "prepare_seconds": prepared - started,
        "simulate_seconds": simulated - prepared,
        "aggregate_seconds": aggregated - simulated,
        "seconds_per_run": (simulated - prepared) / max(1, len(experiment.runs)),
        "runs_computed": outcome.computed,
        "runs_from_store": outcome.reused,
    }
    return SweepResult(settings, table, summary, figure3, timings)


def profile_frame(outcome) -> pd.DataFrame:
    """The tidy profile table (:data:`~market.delegation.tables.PROFILE_COLUMNS`) of a run."""
    picks = [EXPERIMENT_COLUMNS[name] for name in PROFILE_COLUMNS]
    rows = [tuple(row[i] for i in picks) for _, row in outcome.rows]
    return pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))


# ---- the horizon sweep (Figure 4) ---------------------------------------------------------


def horizon_values(T_from, T_to, points) -> tuple[int, ...]:
    """``points`` integer horizons evenly spaced from ``T_from`` to ``T_to`` (both included)."""
    T_from = count(T_from, "T-from")
    T_to = count(T_to, "T-to")
    points = count(points, "points", minimum=2)
    if T_from > T_to:
        raise UserInputError("T-to", f"a horizon >= T-from ({T_from})", T_to)
    return tuple(int(t) for t in np.rint(np.linspace(T_from, T_to, points)).astype(np.int64))


def horizon(
    preset="cao2026",
    T_from=1_000_000,
    T_to=2_000_000,
    points: int = 11,
    seeds: int = 1,
    seed: int = DEFAULT_SEED,
    jobs: int | None = None,
    eps=None,
    mechanism=None,
    strategy: str = LEADER_STRATEGY,
    *,
    store=None,
    engine: Engine | None = None,
    priced: Price | None = None,
) -> HorizonResult:
    """Figure 4: everyone plays ``strategy``; totals against the horizon T.

    The smallest T is checked for an exploitation phase before anything runs. The runs are a
    ``delegation/profiles`` experiment (``engine``: see :func:`sweep`).

    Args:
        preset: preset name, TOML path or scenario (default ``"cao2026"``).
        T_from: the smallest horizon, in queries (default 1,000,000).
        T_to: the largest horizon, in queries (default 2,000,000).
        points: horizons evenly spaced from ``T_from`` to ``T_to``, >= 2 (default 11).
        seeds: number of replicate seeds (default 1).
        seed: the root seed, a non-negative integer (default 42).
        jobs: shorthand for ``Engine(jobs=...)`` (worker processes).
        eps: epsilon override, in (0, 1/2) (default None: the preset's).
        mechanism: mechanism override (default None: the preset's).
        strategy: the strategy every provider plays (default ``"ours"``).
        store: shorthand for ``Engine(store=...)`` (the experiment store file).
        engine: how and where runs are computed: see :class:`market.core.engine.Engine`.
        priced: the request's price when the caller has made it already (the CLI, naming its
            flags); None: priced here (:func:`market.delegation.pricing.horizon_price`).

    Returns:
        A :class:`HorizonResult` whose table has, per T and seed, provider 1's delivered user
        utility, the user's total utility and ``u_SB = T x`` the second-best truthful
        per-query utility (Section 3.2).

    Raises:
        UserInputError: a bad argument, or a request past this machine's memory or work
            limit, refused in one line naming the argument (``points``, ``seeds``, ``T_from``,
            ``T_to`` or ``jobs``) before anything is allocated.
    """
    engine = engine_with(engine, jobs=jobs, store=store)
    if priced is None:
        request = argparse.Namespace(
            scenario=preset, T_from=T_from, T_to=T_to, points=points, seeds=seeds, jobs=engine.jobs
        )
        horizon_price(request, PYTHON_ARGUMENTS)
    started = time.perf_counter()
    values = horizon_values(T_from, T_to, points)
    seed = root_seed(seed)
    replicates = replicate_seeds(seed, seeds)
    STRATEGIES.get(strategy, field="strategies")
    resolved, model = prepare(preset, values[0], eps, mechanism, seed)
    n, horizon_eps = len(model.providers), float(model.preset.eps)
    mechanism_name = model.platform.mechanism.name
    experiment = profiles_experiment(
        resolved,
        [(t, horizon_eps, mechanism_name, (strategy,) * n, s) for t in values for s in replicates],
        {"command": "delegation horizon", "seeds": list(replicates)},
    )
    prepared = time.perf_counter()
    outcome = execute(experiment, engine=engine)
    simulated = time.perf_counter()
    column = EXPERIMENT_COLUMNS
    table = pd.DataFrame(
        [
            (
                rows[0][column["T"]],
                rows[0][column["seed"]],
                rows[0][column["user_utility"]],
                rows[0][column["run_user_utility"]],
                model.economy.second_best(rows[0][column["T"]]),
            )
            for rows in outcome.rows_by_position()
        ],
        columns=list(HORIZON_COLUMNS),
    )
    settings = {
        "scenario": resolved.name,
        "mechanism": mechanism_name,
        "eps": horizon_eps,
        "strategy": strategy,
        "T_from": values[0],
        "T_to": values[-1],
        "points": len(values),
        "seed": seed,
        "seeds": len(replicates),
        "replicate_seeds": list(replicates),
        "jobs": engine.jobs,
        "runs": len(experiment.runs),
    }
    timings = {
        "prepare_seconds": prepared - started,
        "simulate_seconds": simulated - prepared,
        "runs_computed": outcome.computed,
        "runs_from_store": outcome.reused,
    }
    return HorizonResult(settings, table, timings)
