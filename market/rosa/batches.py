"""Batches of ROSA markets for the runs layer: work limits, row splitting, allocation replays.

* :func:`simulate_runs` -- many independent runs as one vectorised batch (run r uses instance,
  environment and ROSA coins r, so its numbers do not depend on the batch or on ``jobs``; run
  r equals ``RosaMarket(rng=seed, run=r)``);
* :func:`market_allocations` -- play markets for their allocation only (given modified bids)
  as one batch (the ``rosa/allocations`` experiment kind's computation); each market's counts
  are exactly those it would have alone;
* :func:`allocate` -- the same on ``jobs`` processes, rows split into contiguous groups (the
  monotonicity check of one run);
* :func:`monotonicity_markets` -- the monotonicity survey's distinct markets of one learner.

References:
    Patra et al. (2026); ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents.rosa.strategies import BidderView, parse_strategies
from market.core.errors import UserInputError
from market.core.parallel import map_chunks
from market.rosa.engine import MarketBatch
from market.rosa.model import rosa_coins
from market.rosa.scenarios import STRATEGY, RosaSetting, draw_instance, stream
from mechanisms.rosa.resampling import MECHANISMS, ResamplingCoins

#: The most provider-rounds (rows x T x n) one command may ask for (about an hour here).
MAX_WORK = 50_000_000_000


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
    parts = max(1, min(jobs, count))
    return [part for part in np.array_split(np.arange(count), parts) if len(part)]


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


@dataclass(frozen=True)
class Markets:
    """Distinct markets of one setting: row m plays index ``environments[m]`` with ``bids[m]``."""

    setting: RosaSetting
    environments: np.ndarray
    bids: np.ndarray


def market_allocations(setting: RosaSetting, seed: int, environments, bids) -> np.ndarray:
    """Rounds served per market and provider, every market in one batch.

    Market m plays instance ``environments[m]``'s qualities and environment
    ``environments[m]``'s contexts, noise and priorities, the learner seeing the modified bids
    ``bids[m]`` (nobody flagged). One shared instance when every market has the same index.
    A market's counts do not depend on which markets share its batch.
    """
    environments = np.asarray(environments, dtype=np.int64)
    drawn = {int(k): draw_instance(setting, seed, int(k)) for k in np.unique(environments)}
    if len(drawn) == 1:
        (instance,) = drawn.values()
        thetas, costs = instance.thetas[None], instance.costs[None]
    else:
        thetas = np.stack([drawn[int(k)].thetas for k in environments])
        costs = np.stack([drawn[int(k)].costs for k in environments])
    bids = np.asarray(bids, dtype=float)
    return served_counts(AllocationTask(setting, seed, thetas, costs, bids, environments))


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
    checkpoint_surplus: np.ndarray | None = None


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
    recorded = [], [], [], []
    for point in checkpoints:
        batch.advance(point - batch.t)
        tallies = (
            batch.regret,
            batch.user_utility,
            batch.clairvoyant_utility,
            batch.clairvoyant_surplus,
        )
        for store, values in zip(recorded, tallies, strict=True):
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
        checkpoint_surplus=np.array(recorded[3]) if checkpoints else None,
    )


# ---- the monotonicity survey's markets -------------------------------------------------


def monotonicity_grid(setting: RosaSetting, points: int) -> np.ndarray:
    """``points`` bids evenly spaced over the cost support."""
    return np.linspace(setting.cost_lo, setting.cost_hi, points)


def monotonicity_markets(setting: RosaSetting, seed: int, instances: int, points: int):
    """The survey's markets of one learner, deduplicated, and where each grid cell's market is.

    Instance k uses instance, environment and ROSA coins k (truthful bids, then resampled);
    only provider i's modified bid moves over the grid. Returns the distinct :class:`Markets`
    and, for each ``(instance, provider, grid point)``, its market's row.
    """
    n = setting.providers
    grid = monotonicity_grid(setting, points)
    mechanism = MECHANISMS.get(setting.mechanism, field="mechanism")(setting.resampling)
    rows = np.empty((instances, n, points, n))
    for k in range(instances):
        costs = draw_instance(setting, seed, k).costs
        rows[k] = mechanism.modified_bids(costs, rosa_coins(setting, seed, k))
        for i in range(n):
            rows[k, i, :, i] = grid
    environments = np.repeat(np.arange(instances), n * points)
    check_work(len(environments), setting, "instances")
    keyed = np.column_stack([environments, rows.reshape(-1, n)])
    distinct, inverse = np.unique(keyed, axis=0, return_inverse=True)
    markets = Markets(setting, distinct[:, 0].astype(np.int64), distinct[:, 1:])
    return markets, inverse.reshape(instances, n, points)


def own_counts(served: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Rounds served, shape ``(instances, n, points)``: provider i's own, with its bid moved."""
    n = where.shape[1]
    return np.stack([served[where[:, i, :], i] for i in range(n)], axis=1)
