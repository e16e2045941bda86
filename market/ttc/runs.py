"""Scripted runs of the TTC game: the one layer the CLI, the dashboard, benchmarks and tests call.

Plain functions with explicit parameters that return typed records:

- :func:`run`: one run of the Mesa model to its end, as a :class:`~market.ttc.results.TTCResult`
  (the same call in every game: ``run(preset, seed=42, **params)``).
- :func:`build_game`: the game of a preset or of a curves file, with the warnings it raised.
- :func:`user_population`: simulated users (identical, or heterogeneous from the root seed).
- :func:`run_dynamics`: the Mesa model run to rest with a better-response rule (the older form
  of :func:`run`: it returns the model).
- :func:`analyze`: the reached equilibrium, its price of anarchy, the exact maximum welfare, the
  number of pure equilibria and the truthful auction (:meth:`Analysis.json_record` is the JSON of
  ``llm-market ttc analyze --json``).
- :func:`dynamics`: Figure 2's run recorded step by step.
- :func:`sweep_beta`: the price of anarchy at the reached equilibrium against beta.
- :func:`compare`: Table 2, the market at equilibrium against the auction.

Every function taking a ``game`` accepts a preset name (built at :data:`DEFAULT_BETA`), a
:class:`~market.ttc.results.GameSpec` from :func:`build_game` or a
:class:`~mechanisms.ttc.game.TTCGame` (:func:`as_game`). Values, prices, costs and welfare are in
USD per query; beta is in 1/USD.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Sections 3-5, Figure 2 and Table 2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from agents.ttc.users import UserPopulation
from market.core.engine import Engine, engine_with
from market.core.errors import UserInputError
from market.core.experiments import execute
from market.core.pricing import Price, engine_jobs, length_size
from market.core.seeds import root_seed
from market.ttc.analysis import price_of_anarchy, pure_equilibria
from market.ttc.build import build_game as build_game
from market.ttc.model import DEFAULT_SCHEDULE, TTCMarket
from market.ttc.population import user_population
from market.ttc.resolve import DEFAULT_BETA as DEFAULT_BETA
from market.ttc.resolve import DEFAULT_RULE, as_game, dynamics_rule
from market.ttc.results import (
    Analysis,
    BetaSweep,
    Comparison,
    Dynamics,
    EquilibriumSummary,
    GameSpec,
    TruthfulAuction,
    TTCResult,
)
from market.ttc.scenarios import get_scenario
from mechanisms.ttc.auction import run_auction, truthful_bids
from mechanisms.ttc.game import TTCGame
from mechanisms.ttc.optimum import DEFAULT_MAX_PROFILES, max_welfare, n_profiles

DEFAULT_SEED = 42
"""The root seed of every run function, the CLI and the dashboard (the same in every game)."""

GameLike = str | GameSpec | TTCGame
"""What a run function takes as its game: a preset name, a GameSpec or a TTCGame."""


# ---- one run -----------------------------------------------------------------------------


def run(preset: GameLike = "intro-example", *, seed: int = DEFAULT_SEED, **params) -> TTCResult:
    """Run the Mesa model once to its end (equilibrium, rest or ``max_steps``).

    The same call in every game (:mod:`market.delegation.runs`, :mod:`market.rosa.runs`):
    exactly ``TTCMarket(preset, rng=seed, **params).run()``.

    Args:
        preset: the game: a preset name (default ``"intro-example"``, built at
            :data:`DEFAULT_BETA` unless ``beta`` is given), a GameSpec or a TTCGame.
        seed: the root seed, a non-negative integer (default 42).
        **params: any other keyword of :class:`~market.ttc.model.TTCMarket` (``beta`` in
            1/USD, ``v0`` in USD per query, ``mechanism``, ``strategy``, ``schedule``,
            ``start``, ``n_users``, ``max_steps``, ...).

    Returns:
        The :class:`~market.ttc.results.TTCResult` of the run.
    """
    return TTCMarket(preset, rng=root_seed(seed), **params).run()


def game_source(game: GameLike) -> str:
    """Where ``game`` came from, as :func:`build_game` says it ("" for a bare TTCGame)."""
    if isinstance(game, GameSpec):
        return game.source
    return f"scenario {get_scenario(game).name}" if isinstance(game, str) else ""


# ---- dynamics ----------------------------------------------------------------------------


def run_dynamics(
    game: GameLike,
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
    seed: int = DEFAULT_SEED,
    users: UserPopulation | None = None,
    collect: bool = True,
) -> TTCMarket:
    """The Mesa model run to rest with a better-response rule (the older form of :func:`run`).

    Args:
        game: a preset name, a GameSpec or a TTCGame.
        rule: a registered better-response strategy every provider follows (default
            ``"nearest-improving"``).
        schedule: who revises each step: ``"random-sweep"`` (default), ``"uniform"`` or
            ``"round-robin"``.
        seed: the root seed, a non-negative integer (default 42).
        users: a simulated user population (default None: the paper's share function).
        collect: record every step in the DataCollector (default True).

    Returns:
        The finished :class:`~market.ttc.model.TTCMarket` (its ``history()`` and state);
        :func:`run` returns its result record instead.
    """
    model = TTCMarket(
        as_game(game),
        strategy=dynamics_rule(rule),
        schedule=schedule,
        users=users,
        collect=collect,
        rng=root_seed(seed),
    )
    return model.run_to_equilibrium()


def dynamics(
    game: GameLike,
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
    seed: int = DEFAULT_SEED,
    users: int = 0,
    spread: float = 0.0,
) -> Dynamics:
    """Figure 2: the dynamics from the lowest levels to rest, every step recorded.

    Args:
        game: a preset name, a GameSpec or a TTCGame.
        rule: a registered better-response rule (default ``"nearest-improving"``).
        schedule: who revises each step (default ``"random-sweep"``).
        seed: the root seed, a non-negative integer (default 42); it also draws the users.
        users: simulated users (default 0: the paper's share function).
        spread: heterogeneity of the simulated users' quality weights, >= 0 (default 0:
            identical users).

    Returns:
        The :class:`~market.ttc.results.Dynamics` record (its ``history`` one row per step).
    """
    game = as_game(game)
    population = user_population(game, users, spread, seed)
    model = run_dynamics(game, rule, schedule, seed, population, collect=True)
    return Dynamics(
        rule=rule,
        seed=int(model.seed),
        steps=int(model.steps),
        equilibrium_reached=bool(model.equilibrium_reached),
        final=model.state,
        n_users=0 if population is None else population.n_users,
        history=model.history(),
    )


def steps_to_rest(
    game: GameLike,
    seeds,
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
) -> np.ndarray:
    """Steps the dynamics take to rest, one run per seed (the spread behind Figure 2's count).

    The paper reports one run's count (44 rounds for GSM8K best-of-n at beta = 1000); the
    count depends on the order in which providers revise (the schedule's draws), so one seed's
    number is one draw of this spread.

    Args:
        game: a preset name, a GameSpec or a TTCGame.
        seeds: the root seeds, non-negative integers.
        rule: a registered better-response rule.
        schedule: who revises each step.

    Returns:
        The steps of each run, in the order of ``seeds``.
    """
    game = as_game(game)
    models = (run_dynamics(game, rule, schedule, seed, collect=False) for seed in seeds)
    return np.array([model.steps for model in models], dtype=int)


# ---- analysis ----------------------------------------------------------------------------


def equilibrium_summary(game: TTCGame, model: TTCMarket) -> EquilibriumSummary:
    """Where ``model`` rests, with the exact price of anarchy there (Eq. 9)."""
    return EquilibriumSummary(
        game=game,
        levels=model.profile,
        state=model.state,
        poa=price_of_anarchy(game, model.profile),
        steps=int(model.steps),
        moves=int(model.moves),
        is_equilibrium=bool(model.equilibrium_reached),
    )


def truthful_auction(game: GameLike) -> TruthfulAuction:
    """The auction when every provider bids truthfully (Theorem 5).

    Args:
        game: a preset name, a GameSpec or a TTCGame (beta and ``V_0`` play no role).

    Returns:
        The :class:`~market.ttc.results.TruthfulAuction`: bids (theta, USD per query), winner,
        payment, user value and welfare (USD per query).
    """
    game = as_game(game)
    bids = tuple(truthful_bids(game))
    return TruthfulAuction(game=game, bids=bids, outcome=run_auction(game, bids))


def analyze(
    game: GameLike,
    source: str = "",
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
    seed: int = DEFAULT_SEED,
    max_profiles: int = DEFAULT_MAX_PROFILES,
) -> Analysis:
    """The equilibrium the dynamics reach, its PoA, the exact max welfare and the auction.

    Args:
        game: a preset name, a GameSpec or a TTCGame.
        source: where the game came from, for the record (default "": the GameSpec's source,
            ``"scenario NAME"`` for a name).
        rule: a registered better-response rule (default ``"nearest-improving"``).
        schedule: who revises each step (default ``"random-sweep"``).
        seed: the root seed of the dynamics, a non-negative integer (default 42).
        max_profiles: count the pure equilibria only when the game has at most this many
            level profiles ``L^N`` (default 20,000,000).

    Returns:
        The :class:`~market.ttc.results.Analysis` (welfare and prices in USD per query).

    References:
        Velasco et al. (2026), Eqs. 6 and 9, Theorems 1 and 5.
    """
    source = source or game_source(game)
    game = as_game(game)
    if isinstance(max_profiles, bool) or not isinstance(max_profiles, int) or max_profiles < 0:
        raise UserInputError("max-profiles", "a non-negative integer", max_profiles)
    model = run_dynamics(game, rule, schedule, seed, collect=False)
    count = None
    if n_profiles(game) <= max_profiles:
        count = len(pure_equilibria(game, max_profiles=max_profiles))
    return Analysis(
        game=game,
        source=source,
        seed=int(model.seed),
        rule=rule,
        max_profiles=max_profiles,
        equilibrium=equilibrium_summary(game, model),
        max_welfare=max_welfare(game),
        pure_equilibria=count,
        auction=truthful_auction(game),
    )


# ---- sweeps and comparisons --------------------------------------------------------------


def sweep_beta(
    game: GameLike,
    betas: Sequence[float],
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
    seed: int = DEFAULT_SEED,
    *,
    store=None,
    jobs: int | None = None,
    engine: Engine | None = None,
    priced: Price | None = None,
) -> BetaSweep:
    """Final PoA (exact maximum welfare over the reached equilibrium's welfare) per beta.

    The runs are a ``ttc/equilibria`` experiment (:mod:`market.ttc.experiments`) on the
    experiment engine: a store keeps every finished run (the same call again resumes); where
    and how runs are computed never changes the results.

    Args:
        game: a preset name, a GameSpec or a TTCGame (its beta is replaced by each of
            ``betas``).
        betas: the user rationalities to run, in 1/USD, each > 0.
        rule: a registered better-response rule (default ``"nearest-improving"``).
        schedule: who revises each step (default ``"random-sweep"``).
        seed: the root seed of every run, a non-negative integer (default 42).
        store: shorthand for ``Engine(store=...)`` (the experiment store file).
        jobs: shorthand for ``Engine(jobs=...)`` (worker processes).
        engine: how and where runs are computed: see :class:`market.core.engine.Engine`.
        priced: the request's price when the caller has made it already (the CLI, naming its
            flags); None: priced here (:func:`market.ttc.pricing.beta_sweep_price`).

    Returns:
        The :class:`~market.ttc.results.BetaSweep`: one row per beta with the PoA (Eq. 9),
        welfare (USD per query), steps and each provider's theta.

    Raises:
        UserInputError: a bad argument, or more betas (or ``jobs``) than this machine's
            memory or work limit allows, refused in one line before anything is allocated.
    """
    from market.ttc.experiments import INDEX, beta_experiment, preset_labels
    from market.ttc.pricing import TYPICAL_BETAS, beta_sweep_price

    engine = engine_with(engine, jobs=jobs, store=store)
    label = game_source(game).removeprefix("scenario ")  # what a store shows beside the hash
    game = as_game(game)
    if priced is None:
        swept = length_size(betas, "betas", "betas", typical=TYPICAL_BETAS)
        beta_sweep_price(swept, game, engine_jobs(engine))
    seed = root_seed(seed)
    dynamics_rule(rule)
    spec = {"command": "ttc sweep-beta", "seed": seed, "betas": [float(b) for b in betas]}
    if label:
        spec.update(preset_labels({label: game}))
    experiment = beta_experiment(game, betas, rule, schedule, seed, spec)
    outcome = execute(experiment, engine=engine)
    rows = []
    for provider_rows in outcome.rows_by_position():
        first = provider_rows[0]
        rows.append(
            {
                "beta": first[INDEX["beta"]],
                "poa": first[INDEX["poa"]],
                "max_welfare": first[INDEX["max_welfare"]],
                "welfare": first[INDEX["welfare"]],
                "steps": first[INDEX["steps"]],
                "is_equilibrium": first[INDEX["is_equilibrium"]],
                **{
                    f"theta[{row[INDEX['provider']]}]": row[INDEX["theta"]] for row in provider_rows
                },
            }
        )
    return BetaSweep(seed=seed, table=pd.DataFrame(rows))


def comparison_table(game: TTCGame, state) -> pd.DataFrame:
    """Table 2's rows: the market in ``state`` against truthful bidding in the auction.

    ``state`` is the model's :class:`~market.ttc.state.MarketState` (at equilibrium for the
    paper's table; the dashboard shows it at the current profile). Rows ``user_value, price,
    provider_utility, welfare``; columns ``quantity, game, auction, change_pct``.

    References:
        Velasco et al. (2026), Table 2 and Theorem 5.
    """
    auction = truthful_auction(game).outcome
    market = {
        "user_value": state.user_value,
        "price": state.price,
        "provider_utility": float(sum(state.provider_utility)),
        "welfare": state.welfare,
    }
    auctioned = {
        "user_value": auction.user_value,
        "price": auction.payment,
        "provider_utility": auction.winner_utility,
        "welfare": auction.welfare,
    }
    rows = []
    for quantity, g in market.items():
        a = auctioned[quantity]
        change = 100.0 * (a - g) / abs(g) if g != 0 else math.nan
        rows.append({"quantity": quantity, "game": g, "auction": a, "change_pct": change})
    return pd.DataFrame(rows)


def compare(
    game: GameLike,
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
    seed: int = DEFAULT_SEED,
) -> Comparison:
    """User value, price, provider utility (total) and welfare: market vs auction.

    Args:
        game: a preset name, a GameSpec or a TTCGame.
        rule: a registered better-response rule (default ``"nearest-improving"``).
        schedule: who revises each step (default ``"random-sweep"``).
        seed: the root seed of the dynamics, a non-negative integer (default 42).

    Returns:
        The :class:`~market.ttc.results.Comparison`; its table's quantities are in USD per
        query and ``change_pct`` in percent.

    References:
        Velasco et al. (2026), Table 2.
    """
    game = as_game(game)
    model = run_dynamics(game, rule, schedule, seed, collect=False)
    return Comparison(
        seed=int(model.seed),
        is_equilibrium=bool(model.equilibrium_reached),
        table=comparison_table(game, model.state),
    )
