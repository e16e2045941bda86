"""Runs of the ROSA game: plain functions with explicit parameters returning typed records.

This is the one layer the CLI, the dashboard, the benchmarks and the tests call:

* :func:`run_market` -- one run of the Mesa model, with the learner's monotonicity on it;
* :func:`simulate_runs` -- many independent runs as one vectorised batch (run r uses instance,
  environment and ROSA coins r, so its numbers do not depend on the batch or ``jobs``; run r
  equals ``RosaMarket(rng=seed, run=r)``; :mod:`market.rosa.batches`);
* :func:`truthfulness_curve` -- one provider's expected utility over a grid of bids;
* :func:`regret_curve` -- regret against T (the paper's figures a and b, reconstructed);
* :func:`monotonicity_survey` -- each learner's ex-post monotonicity violation rate.

The truthfulness curve, the monotonicity survey and the regret curve run on the experiment
engine (kinds ``rosa/allocations`` and ``rosa/regret``, :mod:`market.rosa.experiments`): with a
``store`` they resume and redraw without recomputing; results never depend on ``jobs``, the
executor or the chunking, since each market is simulated exactly as it would be alone.

References:
    Patra et al. (2026), Def. 3-6, Experiments; ``shared/specs/rosa.md``. Reconstructed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from market.core.providers import provider_index
from market.rosa.batches import (
    AllocationTask,
    Markets,
    RunsTally,
    allocate,
    check_work,
    monotonicity_grid,
    monotonicity_markets,
    own_counts,
    simulate_runs,
)
from market.rosa.experiments import allocations, setting_config
from market.rosa.model import DEFAULT_RECORD_POINTS, RosaMarket, rosa_coins
from market.rosa.records import (
    MonotonicityCheck,
    MonotonicitySurvey,
    RegretCurve,
    RunResult,
    TruthfulnessCurve,
)
from market.rosa.scenarios import RosaSetting, draw_instance
from mechanisms.rosa.learners import LEARNERS
from mechanisms.rosa.resampling import MECHANISMS, ResamplingCoins

__all__ = [
    "AllocationTask",
    "RunsTally",
    "bid_outcomes",
    "check_monotonicity",
    "monotonicity_survey",
    "regret_curve",
    "run_market",
    "simulate_runs",
    "truthfulness_curve",
]

TRAJECTORY_POINTS = 200


# ---- one run ------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class BidOutcomes:
    """Per-run outcomes of one provider over bids (the raw material of a truthfulness curve).

    Attributes:
        cost: the provider's true cost.
        points: the bids evaluated (the grid, then the true cost last).
        weights: the probability of each outcome of the provider's own ROSA flag
            (``(1 - mu, mu)``, or ``(1,)`` for a mechanism that never resamples).
        served: rounds served, shape ``(runs, len(points), len(weights))``.
        rates: payment per round served, same shape.
        simulated_rows: distinct markets simulated.
    """

    cost: float
    points: np.ndarray
    weights: np.ndarray
    served: np.ndarray
    rates: np.ndarray
    simulated_rows: int

    @property
    def utility(self) -> np.ndarray:
        """Realised utility per run, bid and flag outcome."""
        return self.served * (self.rates - self.cost)

    def expected(self, values: np.ndarray) -> np.ndarray:
        """``values`` averaged over the provider's own flag, shape ``(runs, len(points))``."""
        return values @ self.weights


def bid_outcomes(
    setting: RosaSetting, seed: int, provider: int, bids, runs: int, jobs: int = 1, **engine
) -> BidOutcomes:
    """Simulate ``provider`` at each bid (and at its true cost), the others truthful.

    ``provider`` is numbered from 1 (``P1``, as the CLI's ``--provider`` and the JSON); 0 or
    more than ``setting.providers`` raises a UserInputError.
    Instance, contexts, noise and priorities are those of index 0 for every run and bid
    (common random numbers); run r draws ROSA's coins r. Both outcomes of the provider's own
    flag are simulated (with its V from run r), so the expectation over that flag is exact.
    Identical markets (for example all unflagged runs at one bid) are simulated once: the
    distinct ones are a ``rosa/allocations`` experiment (:func:`allocations`; ``engine``: its
    ``store``, ``executor``, ``scheduler``, ``progress`` and ``resume_hint``).
    """
    n = setting.providers
    index = provider_index(provider, n)
    mechanism = MECHANISMS.get(setting.mechanism, field="mechanism")(setting.resampling)
    instance = draw_instance(setting, seed, 0)
    cost = float(instance.costs[index])
    points = np.append(np.asarray(bids, dtype=float), cost)
    branches = (False, True) if mechanism.classifier.get("resamples") else (False,)
    mu = setting.resolved_mu
    weights = np.array([1.0 - mu, mu]) if len(branches) == 2 else np.array([1.0])
    coins = [rosa_coins(setting, seed, r) for r in range(runs)]
    shape = (runs, len(points), len(branches), n)
    flagged = np.broadcast_to(np.stack([c.flagged for c in coins])[:, None, None], shape).copy()
    uniform = np.broadcast_to(np.stack([c.uniform for c in coins])[:, None, None], shape)
    flagged[..., index] = np.asarray(branches)[None, None, :]
    reported = np.broadcast_to(instance.costs, shape).copy()
    reported[..., index] = points[None, :, None]
    coin_rows = ResamplingCoins(flagged, uniform)
    modified = mechanism.modified_bids(reported, coin_rows).reshape(-1, n)
    distinct, inverse = np.unique(modified, axis=0, return_inverse=True)
    check_work(len(distinct), setting, "runs")
    spec = {"command": "rosa truthfulness", "provider": index + 1, "bids": points.tolist()}
    spec.update(setting=setting_config(setting), seed=seed, runs=runs)
    markets = Markets(setting, np.zeros(len(distinct), dtype=np.int64), distinct)
    (served,) = allocations([markets], seed, spec, jobs=jobs, **engine)
    return BidOutcomes(
        cost=cost,
        points=points,
        weights=weights,
        served=served[inverse.ravel(), index].reshape(shape[:3]).astype(float),
        rates=mechanism.payment_rates(reported, coin_rows)[..., index],
        simulated_rows=len(distinct),
    )


def truthfulness_curve(
    setting: RosaSetting,
    seed: int,
    provider: int,
    bids,
    runs: int,
    jobs: int = 1,
    *,
    store=None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: bool = False,
    resume_hint: str = "",
) -> TruthfulnessCurve:
    """One provider's expected utility over ``bids``, the others truthful, environment fixed.

    ``provider`` is numbered from 1, like ``--provider`` of ``llm-market rosa truthfulness``
    and the curve's ``provider`` (:func:`bid_outcomes` checks it).

    The expectation over ROSA's coins is estimated by the mean over ``runs`` runs of
    :func:`bid_outcomes` (the provider's own flag averaged exactly in each run, an unbiased,
    low-variance estimate); the true cost is evaluated too, for the truthful utility and its
    worst realised run (universal ex-post IR: never below zero). The distinct markets are a
    ``rosa/allocations`` experiment on the experiment engine: ``store`` keeps them (the same
    call again resumes, or computes nothing), ``executor``, ``jobs`` and ``scheduler`` say
    where they run (the curve never depends on them).
    """
    engine = {"store": store, "executor": executor, "scheduler": scheduler}
    engine.update(progress=progress, resume_hint=resume_hint)
    outcomes = bid_outcomes(setting, seed, provider, bids, runs, jobs, **engine)
    per_run = outcomes.expected(outcomes.utility)
    mean = per_run.mean(axis=0)
    error = standard_errors(per_run)
    difference_error = standard_errors(per_run - per_run[:, -1:])
    rounds = outcomes.expected(outcomes.served).mean(axis=0)
    payments = outcomes.expected(outcomes.served * outcomes.rates).mean(axis=0)
    return TruthfulnessCurve(
        setting=setting,
        seed=seed,
        provider=int(provider),
        true_cost=outcomes.cost,
        bids=tuple(float(b) for b in outcomes.points[:-1]),
        expected_utility=tuple(mean[:-1]),
        standard_error=tuple(error[:-1]),
        difference_error=tuple(difference_error[:-1]),
        expected_rounds=tuple(rounds[:-1]),
        expected_payment=tuple(payments[:-1]),
        truthful_utility=float(mean[-1]),
        truthful_standard_error=float(error[-1]),
        min_truthful_run_utility=float(outcomes.utility[:, -1, :].min()),
        runs=runs,
        simulated_rows=outcomes.simulated_rows,
    )


def standard_errors(samples: np.ndarray) -> np.ndarray:
    """Standard error of the mean over axis 0 (NaN for a single sample)."""
    runs = samples.shape[0]
    if runs < 2:
        return np.full(samples.shape[1:], np.nan)
    return samples.std(axis=0, ddof=1) / math.sqrt(runs)


# ---- regret -------------------------------------------------------------------------------


def regret_curve(
    setting: RosaSetting,
    seed: int,
    horizons: Sequence[int],
    runs: int,
    jobs: int = 1,
    *,
    store=None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: bool = False,
    resume_hint: str = "",
) -> RegretCurve:
    """Regret against T for each horizon (runs 0..runs-1 each), truthful bids.

    The longest horizon also records mean cumulative regret and user utility along the way.
    ``mu`` follows each T (``min(0.5, 1/sqrt(T))``) unless the setting fixes it. The runs are
    a ``rosa/regret`` experiment (:mod:`market.rosa.experiments`) on the experiment engine:
    ``store`` keeps finished runs (the same call again resumes), ``executor``, ``jobs`` and
    ``scheduler`` say where they run (results never depend on them).
    """
    from market.core.experiments import execute
    from market.rosa.experiments import INDEX, regret_experiment

    horizons = tuple(sorted(int(T) for T in horizons))
    settings = [setting.replace(T=T) for T in horizons]
    for s in settings:
        check_work(runs * len(horizons), s, "runs")
    longest = horizons[-1]
    marks = tuple(
        int(m) for m in np.unique(np.linspace(1, longest, TRAJECTORY_POINTS).round().astype(int))
    )
    checkpoints = [marks if s.T == longest else () for s in settings]
    spec = {"command": "rosa regret", "horizons": list(horizons), "runs": runs, "seed": seed}
    experiment = regret_experiment(settings, seed, runs, checkpoints, spec)
    outcome = execute(
        experiment,
        store,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        progress=progress,
        resume_hint=resume_hint,
    )
    per_run = outcome.rows_by_position()  # horizon-major, then run
    finals = np.array(
        [[rows[-1][INDEX[name]] for rows in per_run] for name in FINAL_COLUMNS]
    ).reshape(len(FINAL_COLUMNS), len(horizons), runs)
    trajectory = np.array(
        [
            [[row[INDEX[name]] for row in rows[: len(marks)]] for rows in per_run[-runs:]]
            for name in TRAJECTORY_COLUMNS
        ]
    )
    trajectory = np.ascontiguousarray(trajectory.transpose(0, 2, 1))  # (series, points, runs)
    return RegretCurve(
        setting=settings[-1],
        seed=seed,
        horizons=horizons,
        regret=finals[0],
        user_utility=finals[1],
        clairvoyant_utility=finals[2],
        trajectory_rounds=marks,
        trajectory_regret=tuple(trajectory[0].mean(axis=1)),
        trajectory_user_utility=tuple(trajectory[1].mean(axis=1)),
        trajectory_clairvoyant=tuple(trajectory[2].mean(axis=1)),
        trajectory_surplus=tuple(trajectory[3].mean(axis=1)),
    )


FINAL_COLUMNS = ("regret", "user_utility", "clairvoyant_utility")
TRAJECTORY_COLUMNS = ("regret", "user_utility", "clairvoyant_utility", "surplus")


# ---- monotonicity survey --------------------------------------------------------------------


def monotonicity_counts(
    setting: RosaSetting, seed: int, instances: int, points: int, jobs: int = 1, **engine
) -> np.ndarray:
    """Rounds served, shape ``(instances, n, points)``: provider i's bid on the grid in row i.

    See :func:`monotonicity_markets`; ``engine`` as in :func:`bid_outcomes`.
    """
    markets, where = monotonicity_markets(setting, seed, instances, points)
    spec = {"command": "rosa monotonicity", "setting": setting_config(setting), "seed": seed}
    spec.update(instances=instances, points=points)
    (served,) = allocations([markets], seed, spec, jobs=jobs, **engine)
    return own_counts(served, where)


def monotonicity_survey(
    setting: RosaSetting,
    seed: int,
    instances: int,
    points: int = 11,
    learners: Sequence[str] | None = None,
    jobs: int = 1,
    *,
    store=None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: bool = False,
    resume_hint: str = "",
) -> MonotonicitySurvey:
    """Each learner's ex-post monotonicity violations over ``instances`` random instances.

    Every learner's distinct markets together are one ``rosa/allocations`` experiment
    (``store``, ``executor``, ``jobs``, ``scheduler``: see :func:`truthfulness_curve`).
    """
    names = tuple(learners) if learners is not None else tuple(LEARNERS.names())
    surveyed = [
        monotonicity_markets(setting.replace(learner=name), seed, instances, points)
        for name in names
    ]
    spec = {"command": "rosa monotonicity", "setting": setting_config(setting), "seed": seed}
    spec.update(instances=instances, points=points, learners=list(names))
    engine = {"store": store, "executor": executor, "scheduler": scheduler}
    engine.update(jobs=jobs, progress=progress, resume_hint=resume_hint)
    served = allocations([markets for markets, _ in surveyed], seed, spec, **engine)
    instance_counts, pair_counts = [], []
    for (_, where), counts_served in zip(surveyed, served, strict=True):
        counts = own_counts(counts_served, where)
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
