"""One provider's expected utility over its bids, the others truthful (truthfulness curves).

References:
    Patra et al. (2026), Def. 5-6 (truthfulness in expectation, ex-post IR); reconstructed.
"""

from __future__ import annotations

import math

import numpy as np

from market.core.engine import Engine, engine_with
from market.core.pricing import Price
from market.core.providers import provider_index
from market.rosa.batches import Markets, check_work
from market.rosa.experiments import allocations, setting_config
from market.rosa.model import rosa_coins
from market.rosa.outcomes import BidOutcomes
from market.rosa.results import TruthfulnessCurve
from market.rosa.scenarios import RosaSetting, as_setting, draw_instance
from mechanisms.rosa.resampling import MECHANISMS, ResamplingCoins


def bid_outcomes(
    setting: str | RosaSetting,
    seed: int,
    provider: int,
    bids,
    runs: int,
    jobs: int | None = None,
    *,
    store=None,
    engine: Engine | None = None,
    priced: Price | None = None,
) -> BidOutcomes:
    """Simulate ``provider`` at each bid (and at its true cost), the others truthful.

    ``provider`` is numbered from 1 (``P1``, as the CLI's ``--provider`` and the JSON); 0 or
    more than ``setting.providers`` raises a UserInputError.
    Instance, contexts, noise and priorities are those of index 0 for every run and bid
    (common random numbers); run r draws ROSA's coins r. Both outcomes of the provider's own
    flag are simulated (with its V from run r), so the expectation over that flag is exact.
    Identical markets (for example all unflagged runs at one bid) are simulated once: the
    distinct ones are a ``rosa/allocations`` experiment (:func:`allocations`).

    Args:
        setting: a preset name or a RosaSetting.
        seed: the root seed, a non-negative integer.
        provider: the deviating provider, numbered from 1 (``P1`` is
            ``RunResult.providers[0]``).
        bids: its bids to evaluate, per query in cost units.
        runs: runs (ROSA coin draws), >= 1.
        jobs: shorthand for ``Engine(jobs=...)`` (worker processes).
        store: shorthand for ``Engine(store=...)`` (the experiment store file).
        engine: how and where runs are computed: see :class:`market.core.engine.Engine`.
        priced: the request's price when the caller has made it already (the CLI, naming its
            flags); None: priced here (:func:`market.rosa.pricing.truthfulness_request_price`).

    Returns:
        The :class:`BidOutcomes` (rounds served and payment rates per run, bid and flag).

    Raises:
        UserInputError: a bad argument, or a request past this machine's memory or work
            limit or the game's cap on provider-rounds, refused in one line naming the
            argument (``bids``, ``runs`` or ``jobs``) before anything is allocated.
    """
    from market.rosa.pricing import truthfulness_request_price

    engine = engine_with(engine, jobs=jobs, store=store)
    setting = as_setting(setting)
    if priced is None:
        priced = truthfulness_request_price(bids, runs, engine, setting)
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
    (served,) = allocations([markets], seed, spec, engine)
    return BidOutcomes(
        cost=cost,
        points=points,
        weights=weights,
        served=served[inverse.ravel(), index].reshape(shape[:3]).astype(float),
        rates=mechanism.payment_rates(reported, coin_rows)[..., index],
        simulated_rows=len(distinct),
    )


def truthfulness_curve(
    setting: str | RosaSetting,
    seed: int,
    provider: int,
    bids,
    runs: int,
    jobs: int | None = None,
    *,
    store=None,
    engine: Engine | None = None,
    priced: Price | None = None,
) -> TruthfulnessCurve:
    """One provider's expected utility over ``bids``, the others truthful, environment fixed.

    ``provider`` is numbered from 1, like ``--provider`` of ``llm-market rosa truthfulness``
    and the curve's ``provider`` (:func:`bid_outcomes` checks it).

    The expectation over ROSA's coins is estimated by the mean over ``runs`` runs of
    :func:`bid_outcomes` (the provider's own flag averaged exactly in each run, an unbiased,
    low-variance estimate); the true cost is evaluated too, for the truthful utility and its
    worst realised run (universal ex-post IR: never below zero). The distinct markets are a
    ``rosa/allocations`` experiment on the experiment engine: a store keeps them (the same
    call again resumes, or computes nothing); where they run never changes the curve.

    Args:
        setting: a preset name or a RosaSetting.
        seed: the root seed, a non-negative integer (no default: it comes before the
            required arguments).
        provider: the provider whose bid moves, numbered from 1 (``P1`` is
            ``RunResult.providers[0]``).
        bids: the bids to evaluate, per query in cost units.
        runs: runs (ROSA coin draws) averaged, >= 1.
        jobs: shorthand for ``Engine(jobs=...)`` (worker processes).
        store: shorthand for ``Engine(store=...)`` (the experiment store file).
        engine: how and where runs are computed: see :class:`market.core.engine.Engine`.
        priced: the request's price when the caller has made it already (the CLI, naming its
            flags); None: priced here (by :func:`bid_outcomes`).

    Returns:
        The :class:`~market.rosa.results.TruthfulnessCurve`: expected utility (total over the
        run's rounds) at each bid, with standard errors, and at the true cost.

    Raises:
        UserInputError: as :func:`bid_outcomes` (a request too large is refused in one line
            naming ``bids``, ``runs`` or ``jobs``, before anything is allocated).
    """
    engine = engine_with(engine, jobs=jobs, store=store)
    setting = as_setting(setting)
    outcomes = bid_outcomes(setting, seed, provider, bids, runs, engine=engine, priced=priced)
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
