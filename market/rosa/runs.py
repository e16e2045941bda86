"""Runs of the ROSA game: plain functions with explicit parameters returning typed records.

This is the one layer the CLI, the dashboard, the benchmarks and the tests call:

* :func:`run_market` -- one run of the Mesa model, with the learner's monotonicity on it;
* :func:`simulate_runs` -- many independent runs as one vectorised batch (run r uses instance,
  environment and ROSA coins r, so its numbers do not depend on the batch or ``jobs``; run r
  equals ``RosaMarket(rng=seed, run=r)``);
* :func:`truthfulness_curve` -- one provider's expected utility over a grid of bids;
* :func:`regret_curve` -- regret against T (the paper's figures a and b, reconstructed);
* :func:`monotonicity_survey` -- each learner's ex-post monotonicity violation rate.

Parallel work is split into contiguous groups of rows, one per process (:func:`split_rows`);
each row is simulated exactly as it would be alone.

References:
    Patra et al. (2026), Def. 3-6, Experiments; ``shared/specs/rosa.md``. Reconstructed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents.rosa.strategies import BidderView, parse_strategies
from market.core.errors import UserInputError
from market.core.parallel import map_chunks
from market.rosa.engine import MarketBatch
from market.rosa.model import DEFAULT_RECORD_POINTS, RosaMarket, rosa_coins
from market.rosa.records import (
    MonotonicityCheck,
    MonotonicitySurvey,
    RegretCurve,
    RunResult,
    TruthfulnessCurve,
)
from market.rosa.scenarios import STRATEGY, RosaSetting, draw_instance, stream
from mechanisms.rosa.learners import LEARNERS
from mechanisms.rosa.resampling import MECHANISMS, ResamplingCoins

#: The most provider-rounds (rows x T x n) one command may ask for (about an hour here).
MAX_WORK = 50_000_000_000
TRAJECTORY_POINTS = 200


def check_work(rows: int, setting: RosaSetting, field: str) -> None:
    """Refuse a computation of more than :data:`MAX_WORK` provider-rounds."""
    work = rows * setting.T * setting.providers
    if work > MAX_WORK:
        raise UserInputError(
            field,
            f"at most {MAX_WORK:.0e} provider-rounds (markets x T x providers) per command",
            rows,
            note=f"{rows:,} markets x T={setting.T:,} x {setting.providers} providers = "
            f"{work:.1e}; use fewer runs or a shorter T",
        )


def split_rows(count: int, jobs: int) -> list[np.ndarray]:
    """Contiguous groups of row indices, one per process (none empty)."""
    return [part for part in np.array_split(np.arange(count), max(1, jobs)) if len(part)]


@dataclass(frozen=True)
class AllocationTask:
    """Markets to play for their allocation only: modified bids given, nobody flagged."""

    setting: RosaSetting
    seed: int
    thetas: np.ndarray
    costs: np.ndarray
    modified_bids: np.ndarray
    environments: np.ndarray


def served_counts(task: AllocationTask) -> np.ndarray:
    """Rounds served per row and provider when the learner sees ``modified_bids`` (top-level)."""
    rows = task.modified_bids.shape
    unflagged = ResamplingCoins(np.zeros(rows, dtype=bool), np.zeros(rows))
    batch = MarketBatch(
        task.setting,
        task.seed,
        task.thetas,
        task.costs,
        task.modified_bids,
        unflagged,
        task.environments,
        benchmark=False,
    )
    batch.advance(task.setting.T)
    return batch.served


def allocate(task: AllocationTask, jobs: int) -> np.ndarray:
    """:func:`served_counts` on ``jobs`` processes (rows split, results in row order)."""
    per_row = task.thetas.shape[0] > 1
    tasks = [
        AllocationTask(
            task.setting,
            task.seed,
            task.thetas[part] if per_row else task.thetas,
            task.costs[part] if per_row else task.costs,
            task.modified_bids[part],
            task.environments[part],
        )
        for part in split_rows(len(task.modified_bids), jobs)
    ]
    return np.concatenate(map_chunks(served_counts, tasks, jobs=jobs))


# ---- many independent runs ------------------------------------------------------------------


@dataclass(frozen=True)
class RunsTally:
    """Totals of independent runs (arrays over runs; ``(runs, n)`` per provider).

    ``checkpoint_*`` hold the cumulative values at ``checkpoints`` (shape ``(points, runs)``).
    """

    runs: tuple[int, ...]
    regret: np.ndarray
    user_utility: np.ndarray
    clairvoyant_utility: np.ndarray
    served: np.ndarray
    payments: np.ndarray
    provider_utility: np.ndarray
    checkpoints: tuple[int, ...] = ()
    checkpoint_regret: np.ndarray | None = None
    checkpoint_user_utility: np.ndarray | None = None
    checkpoint_clairvoyant: np.ndarray | None = None


def simulate_runs(
    setting: RosaSetting,
    seed: int,
    runs: Sequence[int],
    strategies="truthful",
    checkpoints: Sequence[int] = (),
) -> RunsTally:
    """Runs ``runs`` (indices) of ``setting`` as one batch, each its own instance and draws."""
    runs = tuple(int(r) for r in runs)
    check_work(len(runs), setting, "runs")
    instances = [draw_instance(setting, seed, r) for r in runs]
    plans = parse_strategies(strategies, setting.providers)
    bids = np.array(
        [
            [
                plan.bid(
                    BidderView(float(c), setting.cost_lo, setting.cost_hi),
                    stream(seed, STRATEGY, r),
                )
                for plan, c in zip(plans, inst.costs, strict=True)
            ]
            for r, inst in zip(runs, instances, strict=True)
        ]
    )
    coins = [rosa_coins(setting, seed, r) for r in runs]
    batch = MarketBatch(
        setting,
        seed,
        np.stack([i.thetas for i in instances]),
        np.stack([i.costs for i in instances]),
        bids,
        ResamplingCoins(np.stack([c.flagged for c in coins]), np.stack([c.uniform for c in coins])),
        np.asarray(runs),
    )
    recorded = [], [], []
    for point in checkpoints:
        batch.advance(point - batch.t)
        for store, values in zip(
            recorded, (batch.regret, batch.user_utility, batch.clairvoyant_utility), strict=True
        ):
            store.append(values.copy())
    batch.advance(setting.T - batch.t)
    return RunsTally(
        runs=runs,
        regret=batch.regret.copy(),
        user_utility=batch.user_utility,
        clairvoyant_utility=batch.clairvoyant_utility.copy(),
        served=batch.served.copy(),
        payments=batch.payments,
        provider_utility=batch.provider_utility,
        checkpoints=tuple(checkpoints),
        checkpoint_regret=np.array(recorded[0]) if checkpoints else None,
        checkpoint_user_utility=np.array(recorded[1]) if checkpoints else None,
        checkpoint_clairvoyant=np.array(recorded[2]) if checkpoints else None,
    )


# ---- one run ------------------------------------------------------------------------------


def monotonicity_grid(setting: RosaSetting, points: int) -> np.ndarray:
    """``points`` bids evenly spaced over the cost support."""
    return np.linspace(setting.cost_lo, setting.cost_hi, points)


def check_monotonicity(
    setting: RosaSetting, seed: int, run: int, modified_bids, points: int = 11, jobs: int = 1
) -> MonotonicityCheck:
    """Replay run ``run`` with each provider's modified bid moved over a grid, all else fixed."""
    n = setting.providers
    grid = monotonicity_grid(setting, points)
    rows = np.broadcast_to(np.asarray(modified_bids, dtype=float), (n, points, n)).copy()
    for i in range(n):
        rows[i, :, i] = grid
    instance = draw_instance(setting, seed, run)
    served = allocate(
        AllocationTask(
            setting,
            seed,
            instance.thetas[None],
            instance.costs[None],
            rows.reshape(-1, n),
            np.full(n * points, run),
        ),
        jobs,
    ).reshape(n, points, n)
    return MonotonicityCheck(
        grid=tuple(float(g) for g in grid),
        rounds=tuple(tuple(int(v) for v in served[i, :, i]) for i in range(n)),
    )


def run_market(
    setting: RosaSetting,
    seed: int,
    strategies="truthful",
    run: int = 0,
    check_points: int = 11,
    jobs: int = 1,
) -> tuple[RunResult, RosaMarket]:
    """One run of the Mesa model to the end, plus the learner's monotonicity on its instance.

    Returns the result and the finished model (its ``history()`` and ``service_map()``).
    ``check_points = 0`` skips the monotonicity replay.
    """
    check_work(1 + setting.providers * check_points, setting, "T")
    rounds_per_step = max(1, setting.T // DEFAULT_RECORD_POINTS)  # one DataCollector row each
    model = RosaMarket(setting, strategies=strategies, batch=rounds_per_step, run=run, rng=seed)
    result = model.run()
    if check_points:
        modified = [p.modified_bid for p in result.providers]
        check = check_monotonicity(setting, seed, run, modified, check_points, jobs)
        result = RunResult(**{**result.__dict__, "monotonicity": check})
    return result, model


# ---- truthfulness -------------------------------------------------------------------------


def truthfulness_curve(
    setting: RosaSetting, seed: int, provider: int, bids, runs: int, jobs: int = 1
) -> TruthfulnessCurve:
    """One provider's expected utility over ``bids``, the others truthful, environment fixed.

    Instance, contexts, noise and priorities are those of index 0 for every run and bid
    (common random numbers); run r draws ROSA's coins r. In each run the provider's own flag is
    averaged exactly: both outcomes are simulated and weighted ``1 - mu`` and ``mu`` (an
    unbiased, low-variance estimate of the expectation over ROSA's coins); the true cost is
    evaluated too, for the truthful utility and its worst realised run. Identical markets (for
    example all unflagged runs at one bid) are simulated once.
    """
    n = setting.providers
    mechanism = MECHANISMS.get(setting.mechanism, field="mechanism")(setting.resampling)
    instance = draw_instance(setting, seed, 0)
    cost = float(instance.costs[provider])
    points = np.append(np.asarray(bids, dtype=float), cost)
    branches = (False, True) if mechanism.classifier.get("resamples") else (False,)
    mu = setting.resolved_mu
    weights = np.array([1.0 - mu, mu]) if len(branches) == 2 else np.array([1.0])
    coins = [rosa_coins(setting, seed, r) for r in range(runs)]
    shape = (runs, len(points), len(branches), n)
    flagged = np.broadcast_to(np.stack([c.flagged for c in coins])[:, None, None], shape).copy()
    uniform = np.broadcast_to(np.stack([c.uniform for c in coins])[:, None, None], shape)
    flagged[..., provider] = np.asarray(branches)[None, None, :]
    reported = np.broadcast_to(instance.costs, shape).copy()
    reported[..., provider] = points[None, :, None]
    coin_rows = ResamplingCoins(flagged, uniform)
    modified = mechanism.modified_bids(reported, coin_rows).reshape(-1, n)
    rates = mechanism.payment_rates(reported, coin_rows)[..., provider]
    distinct, inverse = np.unique(modified, axis=0, return_inverse=True)
    check_work(len(distinct), setting, "runs")
    served_distinct = allocate(
        AllocationTask(
            setting,
            seed,
            instance.thetas[None],
            instance.costs[None],
            distinct,
            np.zeros(len(distinct), dtype=np.int64),
        ),
        jobs,
    )
    served = served_distinct[inverse.ravel(), provider].reshape(shape[:3]).astype(float)
    utility = served * (rates - cost)
    per_run_utility = utility @ weights
    mean = per_run_utility.mean(axis=0)
    error = standard_errors(per_run_utility)
    difference_error = standard_errors(per_run_utility - per_run_utility[:, -1:])
    return TruthfulnessCurve(
        setting=setting,
        seed=seed,
        provider=provider,
        true_cost=cost,
        bids=tuple(float(b) for b in points[:-1]),
        expected_utility=tuple(mean[:-1]),
        standard_error=tuple(error[:-1]),
        difference_error=tuple(difference_error[:-1]),
        expected_rounds=tuple((served @ weights).mean(axis=0)[:-1]),
        expected_payment=tuple(((served * rates) @ weights).mean(axis=0)[:-1]),
        truthful_utility=float(mean[-1]),
        truthful_standard_error=float(error[-1]),
        min_truthful_run_utility=float(utility[:, -1, :].min()),
        runs=runs,
        simulated_rows=len(distinct),
    )


def standard_errors(samples: np.ndarray) -> np.ndarray:
    """Standard error of the mean over axis 0 (NaN for a single sample)."""
    runs = samples.shape[0]
    if runs < 2:
        return np.full(samples.shape[1:], np.nan)
    return samples.std(axis=0, ddof=1) / math.sqrt(runs)


# ---- regret -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegretTask:
    """One horizon's runs."""

    setting: RosaSetting
    seed: int
    runs: int
    checkpoints: tuple[int, ...]


def regret_task(task: RegretTask) -> RunsTally:
    """Top-level worker: :func:`simulate_runs` for one horizon."""
    return simulate_runs(task.setting, task.seed, range(task.runs), checkpoints=task.checkpoints)


def regret_curve(
    setting: RosaSetting, seed: int, horizons: Sequence[int], runs: int, jobs: int = 1
) -> RegretCurve:
    """Regret against T for each horizon (runs 0..runs-1 each), truthful bids.

    The longest horizon also records mean cumulative regret and user utility along the way.
    ``mu`` follows each T (``min(0.5, 1/sqrt(T))``) unless the setting fixes it.
    """
    horizons = tuple(sorted(int(T) for T in horizons))
    settings = [setting.replace(T=T) for T in horizons]
    for s in settings:
        check_work(runs * len(horizons), s, "runs")
    longest = horizons[-1]
    marks = np.unique(np.linspace(1, longest, TRAJECTORY_POINTS).round().astype(int))
    tasks = [
        RegretTask(s, seed, runs, tuple(int(m) for m in marks) if s.T == longest else ())
        for s in settings
    ]
    tallies = map_chunks(regret_task, tasks, jobs=jobs)
    last = tallies[-1]
    return RegretCurve(
        setting=settings[-1],
        seed=seed,
        horizons=horizons,
        regret=np.stack([t.regret for t in tallies]),
        user_utility=np.stack([t.user_utility for t in tallies]),
        clairvoyant_utility=np.stack([t.clairvoyant_utility for t in tallies]),
        trajectory_rounds=tuple(int(m) for m in marks),
        trajectory_regret=tuple(last.checkpoint_regret.mean(axis=1)),
        trajectory_user_utility=tuple(last.checkpoint_user_utility.mean(axis=1)),
        trajectory_clairvoyant=tuple(last.checkpoint_clairvoyant.mean(axis=1)),
    )


# ---- monotonicity survey --------------------------------------------------------------------


def monotonicity_counts(
    setting: RosaSetting, seed: int, instances: int, points: int, jobs: int = 1
) -> np.ndarray:
    """Rounds served, shape ``(instances, n, points)``: provider i's bid on the grid in row i.

    Instance k uses instance, environment and ROSA coins k (truthful bids, then resampled);
    only provider i's modified bid moves.
    """
    n = setting.providers
    grid = monotonicity_grid(setting, points)
    mechanism = MECHANISMS.get(setting.mechanism, field="mechanism")(setting.resampling)
    drawn = [draw_instance(setting, seed, k) for k in range(instances)]
    rows = np.empty((instances, n, points, n))
    for k, inst in enumerate(drawn):
        rows[k] = mechanism.modified_bids(inst.costs, rosa_coins(setting, seed, k))
        for i in range(n):
            rows[k, i, :, i] = grid
    thetas = np.repeat(np.stack([i.thetas for i in drawn]), n * points, axis=0)
    costs = np.repeat(np.stack([i.costs for i in drawn]), n * points, axis=0)
    environments = np.repeat(np.arange(instances), n * points)
    check_work(len(environments), setting, "instances")
    served = allocate(
        AllocationTask(setting, seed, thetas, costs, rows.reshape(-1, n), environments), jobs
    ).reshape(instances, n, points, n)
    return np.stack([served[:, i, :, i] for i in range(n)], axis=1)


def monotonicity_survey(
    setting: RosaSetting,
    seed: int,
    instances: int,
    points: int = 11,
    learners: Sequence[str] | None = None,
    jobs: int = 1,
) -> MonotonicitySurvey:
    """Each learner's ex-post monotonicity violations over ``instances`` random instances."""
    names = tuple(learners) if learners is not None else tuple(LEARNERS.names())
    instance_counts, pair_counts = [], []
    for name in names:
        counts = monotonicity_counts(setting.replace(learner=name), seed, instances, points, jobs)
        rising = np.any(np.diff(counts, axis=2) > 0, axis=2)
        instance_counts.append(int(rising.any(axis=1).sum()))
        pair_counts.append(int(rising.sum()))
    return MonotonicitySurvey(
        setting=setting,
        seed=seed,
        learners=names,
        instances=instances,
        grid_points=points,
        instance_violations=tuple(instance_counts),
        provider_violations=tuple(pair_counts),
    )
