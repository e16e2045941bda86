"""Runs of the ROSA game: plain functions with explicit parameters returning typed records.

This is the one layer the CLI, the dashboard, the benchmarks and the tests call:

* :func:`run` -- one run of the Mesa model to its end, as a :class:`~market.rosa.results.RunResult`
  (the same call in every game: ``run(preset, seed=42, **params)``);
* :func:`run_market` -- one run of the Mesa model, with the learner's monotonicity on it (the
  older form: it returns the result and the model);
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

Every function taking a ``setting`` accepts a preset name or a
:class:`~market.rosa.scenarios.RosaSetting` (:func:`as_setting`). Costs, bids and payments are
per query served, in the setting's cost units (the presets' support is [0, 0.5]); utilities
and regret are totals over the run's query rounds.

References:
    Patra et al. (2026), Def. 3-6, Experiments; ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from market.core.engine import Engine, engine_with
from market.core.pricing import Price
from market.core.seeds import root_seed
from market.rosa.batches import (
    AllocationTask,
    RunsTally,
    allocate,
    check_work,
    monotonicity_grid,
    monotonicity_markets,
    own_counts,
    simulate_runs,
)
from market.rosa.experiments import allocations, setting_config
from market.rosa.model import DEFAULT_RECORD_POINTS, TRAJECTORY_POINTS, RosaMarket
from market.rosa.results import (
    MonotonicityCheck,
    MonotonicitySurvey,
    RegretCurve,
    RunResult,
)
from market.rosa.scenarios import RosaSetting, as_setting, draw_instance
from market.rosa.truthfulness import (
    BidOutcomes,
    bid_outcomes,
    standard_errors,
    truthfulness_curve,
)
from mechanisms.rosa.learners import LEARNERS

__all__ = [
    "AllocationTask",
    "BidOutcomes",
    "RunsTally",
    "as_setting",
    "bid_outcomes",
    "check_monotonicity",
    "monotonicity_survey",
    "regret_curve",
    "run",
    "run_market",
    "simulate_runs",
    "standard_errors",
    "truthfulness_curve",
]

DEFAULT_SEED = 42
"""The root seed of every run function (the same in every game)."""


# ---- one run ------------------------------------------------------------------------------


def run(
    preset: str | RosaSetting = "patra2026", *, seed: int = DEFAULT_SEED, **params
) -> RunResult:
    """Run the Mesa model once to its end.

    The same call in every game (:mod:`market.delegation.runs`, :mod:`market.ttc.runs`):
    exactly ``RosaMarket(preset, rng=seed, **params).run()``. :func:`run_market` adds the
    learner's monotonicity check and returns the model too.

    Args:
        preset: a preset name (default ``"patra2026"``) or a RosaSetting.
        seed: the root seed, a non-negative integer (default 42).
        **params: any other keyword of :class:`~market.rosa.model.RosaMarket` (``providers``,
            ``T`` in query rounds, ``learner``, ``mechanism``, ``mu``, ``strategies``,
            ``run``, ``batch``, ...).

    Returns:
        The :class:`~market.rosa.results.RunResult` of the run.
    """
    return RosaMarket(preset, rng=root_seed(seed), **params).run()


def check_monotonicity(
    setting: str | RosaSetting,
    seed: int,
    run: int,
    modified_bids,
    points: int = 11,
    jobs: int = 1,
) -> MonotonicityCheck:
    """Replay run ``run`` with each provider's modified bid moved over a grid, all else fixed.

    Args:
        setting: a preset name or a RosaSetting.
        seed: the root seed, a non-negative integer.
        run: the run index within the seed, >= 0.
        modified_bids: every provider's bid after ROSA's resampling (cost units per query).
        points: bids on the grid, >= 2 (default 11).
        jobs: worker processes, >= 1 (default 1).

    Returns:
        The :class:`~market.rosa.results.MonotonicityCheck`: the grid and, per provider, the
        rounds it serves at each grid bid.
    """
    setting = as_setting(setting)
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
    setting: str | RosaSetting,
    seed: int = DEFAULT_SEED,
    strategies="truthful",
    run: int = 0,
    check_points: int = 11,
    jobs: int = 1,
) -> tuple[RunResult, RosaMarket]:
    """One run of the Mesa model to the end, plus the learner's monotonicity on its instance.

    The older form of :func:`run` (what ``llm-market rosa run`` calls): it steps about 500
    DataCollector rows' worth of rounds at a time and returns the model as well.

    Args:
        setting: a preset name or a RosaSetting.
        seed: the root seed, a non-negative integer (default 42).
        strategies: one bidding strategy per provider (comma-separated) or one for everyone
            (default ``"truthful"``).
        run: the run index within the seed, >= 0 (default 0).
        check_points: grid bids of the monotonicity replay (default 11; 0 skips it).
        jobs: worker processes of the replay, >= 1 (default 1).

    Returns:
        The :class:`~market.rosa.results.RunResult` (with ``monotonicity`` unless skipped) and
        the finished :class:`~market.rosa.model.RosaMarket` (its ``history()`` and
        ``service_map()``).
    """
    setting = as_setting(setting)
    check_work(1 + setting.providers * check_points, setting, "T")
    rounds_per_step = max(1, setting.T // DEFAULT_RECORD_POINTS)  # one DataCollector row each
    model = RosaMarket(setting, strategies=strategies, batch=rounds_per_step, run=run, rng=seed)
    result = model.run()
    if check_points:
        modified = [p.modified_bid for p in result.providers]
        check = check_monotonicity(setting, seed, run, modified, check_points, jobs)
        result = RunResult(**{**result.__dict__, "monotonicity": check})
    return result, model


# ---- regret -------------------------------------------------------------------------------


def regret_curve(
    setting: str | RosaSetting,
    seed: int,
    horizons: Sequence[int],
    runs: int,
    jobs: int | None = None,
    *,
    store=None,
    engine: Engine | None = None,
    priced: Price | None = None,
) -> RegretCurve:
    """Regret against T for each horizon (runs 0..runs-1 each), truthful bids.

    The longest horizon also records mean cumulative regret and user utility along the way.
    ``mu`` follows each T (``min(0.5, 1/sqrt(T))``) unless the setting fixes it. The runs are
    a ``rosa/regret`` experiment (:mod:`market.rosa.experiments`) on the experiment engine: a
    store keeps finished runs (the same call again resumes); where they run never changes
    the results.

    Args:
        setting: a preset name or a RosaSetting (its ``T`` is replaced by each horizon).
        seed: the root seed, a non-negative integer (no default: it comes before the
            required arguments).
        horizons: the horizons T, in query rounds.
        runs: runs per horizon, >= 1.
        jobs: shorthand for ``Engine(jobs=...)`` (worker processes).
        store: shorthand for ``Engine(store=...)`` (the experiment store file).
        engine: how and where runs are computed: see :class:`market.core.engine.Engine`.
        priced: the request's price when the caller has made it already (the CLI, naming its
            flags); None: priced here (:func:`market.rosa.pricing.regret_request_price`).

    Returns:
        The :class:`~market.rosa.results.RegretCurve`: regret and user utility (totals over
        T rounds) per horizon and run, and the mean trajectory along the longest.

    Raises:
        UserInputError: a bad argument, or a request past this machine's memory or work
            limit or the game's cap on provider-rounds, refused in one line naming the
            argument (``horizons``, ``runs`` or ``jobs``) before anything is allocated.
    """
    from market.core.experiments import execute
    from market.rosa.experiments import INDEX, regret_experiment
    from market.rosa.pricing import regret_request_price

    engine = engine_with(engine, jobs=jobs, store=store)
    setting = as_setting(setting)
    if priced is None:
        regret_request_price(horizons, runs, engine, setting)
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
    outcome = execute(experiment, engine=engine)
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
    setting: str | RosaSetting,
    seed: int,
    instances: int,
    points: int,
    jobs: int | None = None,
    *,
    store=None,
    engine: Engine | None = None,
) -> np.ndarray:
    """Rounds served, shape ``(instances, n, points)``: provider i's bid on the grid in row i.

    See :func:`monotonicity_markets`; ``jobs``, ``store`` and ``engine`` (how and where runs
    are computed: see :class:`market.core.engine.Engine`) as in :func:`bid_outcomes`. Priced
    first, as :func:`monotonicity_survey` of one learner.
    """
    from market.rosa.pricing import monotonicity_request_price

    engine = engine_with(engine, jobs=jobs, store=store)
    setting = as_setting(setting)
    monotonicity_request_price(instances, points, engine, setting, learners=1)
    markets, where = monotonicity_markets(setting, seed, instances, points)
    spec = {"command": "rosa monotonicity", "setting": setting_config(setting), "seed": seed}
    spec.update(instances=instances, points=points)
    (served,) = allocations([markets], seed, spec, engine)
    return own_counts(served, where)


def monotonicity_survey(
    setting: str | RosaSetting,
    seed: int,
    instances: int,
    points: int = 11,
    learners: Sequence[str] | None = None,
    jobs: int | None = None,
    *,
    store=None,
    engine: Engine | None = None,
    priced: Price | None = None,
) -> MonotonicitySurvey:
    """Each learner's ex-post monotonicity violations over ``instances`` random instances.

    Every learner's distinct markets together are one ``rosa/allocations`` experiment
    (``engine``: see :func:`truthfulness_curve`).

    Args:
        setting: a preset name or a RosaSetting (its learner is replaced by each of
            ``learners``).
        seed: the root seed, a non-negative integer (no default: it comes before the
            required arguments).
        instances: random instances surveyed, >= 1.
        points: bids on each provider's grid, >= 2 (default 11).
        learners: the registered learners to survey (default None: all).
        jobs: shorthand for ``Engine(jobs=...)`` (worker processes).
        store: shorthand for ``Engine(store=...)`` (the experiment store file).
        engine: how and where runs are computed: see :class:`market.core.engine.Engine`.
        priced: the request's price when the caller has made it already (the CLI, naming its
            flags); None: priced here (:func:`market.rosa.pricing.monotonicity_request_price`).

    Returns:
        The :class:`~market.rosa.results.MonotonicitySurvey`: per learner, the instances and
        the (instance, provider) pairs where serving rose with the bid.

    Raises:
        UserInputError: a bad argument, or a request past this machine's memory or work
            limit or the game's cap on provider-rounds, refused in one line naming the
            argument (``instances``, ``points`` or ``jobs``) before anything is allocated.
    """
    from market.rosa.pricing import monotonicity_request_price

    engine = engine_with(engine, jobs=jobs, store=store)
    setting = as_setting(setting)
    names = tuple(learners) if learners is not None else tuple(LEARNERS.names())
    if priced is None:
        monotonicity_request_price(instances, points, engine, setting, len(names))
    surveyed = [
        monotonicity_markets(setting.replace(learner=name), seed, instances, points)
        for name in names
    ]
    spec = {"command": "rosa monotonicity", "setting": setting_config(setting), "seed": seed}
    spec.update(instances=instances, points=points, learners=list(names))
    served = allocations([markets for markets, _ in surveyed], seed, spec, engine)
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
