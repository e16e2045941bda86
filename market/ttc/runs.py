"""Scripted runs of the TTC game: the one layer the CLI, the dashboard, benchmarks and tests call.

Plain functions with explicit parameters that return typed records:

- :func:`build_game`: the game of a preset or of a curves file, with the warnings it raised.
- :func:`user_population`: simulated users (identical, or heterogeneous from the root seed).
- :func:`run_dynamics`: the Mesa model run to rest with a better-response rule.
- :func:`analyze`: the reached equilibrium, its price of anarchy, the exact maximum welfare, the
  number of pure equilibria and the truthful auction (:meth:`Analysis.json_record` is the JSON of
  ``llm-market ttc analyze --json``).
- :func:`dynamics`: Figure 2's run recorded step by step.
- :func:`sweep_beta`: the price of anarchy at the reached equilibrium against beta.
- :func:`compare`: Table 2, the market at equilibrium against the auction.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Sections 3-5, Figure 2 and Table 2.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from agents.ttc.strategies import PROVIDER_STRATEGIES
from agents.ttc.users import UserPopulation
from market.core.datafiles import DataFile
from market.core.errors import UserInputError
from market.core.experiments import execute
from market.core.seeds import root_seed
from market.ttc.analysis import price_of_anarchy, pure_equilibria
from market.ttc.curves import load_curves
from market.ttc.economy import DEFAULT_MARGIN, game_from_curves
from market.ttc.model import TTCMarket
from market.ttc.population import user_population
from market.ttc.results import (
    Analysis,
    BetaSweep,
    Comparison,
    Dynamics,
    EquilibriumSummary,
    GameSpec,
    TruthfulAuction,
)
from market.ttc.scenarios import get_scenario
from mechanisms.ttc.auction import run_auction, truthful_bids
from mechanisms.ttc.game import TTCGame
from mechanisms.ttc.optimum import DEFAULT_MAX_PROFILES, max_welfare, n_profiles

DEFAULT_BETA = 1000.0
"""The paper's user rationality in Figure 2 and Table 2."""
DEFAULT_RULE = "nearest-improving"
DEFAULT_SCHEDULE = "random-sweep"
DEFAULT_SEED = 0


# ---- the game ----------------------------------------------------------------------------


def build_game(
    preset: str | None = None,
    curves: str | Path | DataFile | None = None,
    benchmark: str | None = None,
    method: str | None = None,
    models: Sequence[str] | None = None,
    alpha: float | None = None,
    margin: float | None = None,
    v0: float = 0.0,
    beta: float = DEFAULT_BETA,
) -> GameSpec:
    """The game of a preset, or of one benchmark x method slice of a curves file.

    Args:
        preset: A scenario name (exclusive with ``curves``).
        curves: A curves CSV file, or one held in memory (an upload; needs ``benchmark`` and
            ``method``).
        benchmark: Benchmark in the curves file.
        method: Test-time compute method in the curves file.
        models: Subset of models (curves only).
        alpha: USD per unit of accuracy (default by benchmark, or the preset's).
        margin: Profit margin over cost (default :data:`DEFAULT_MARGIN`).
        v0: Abstention value.
        beta: User rationality (``math.inf`` for perfectly rational users).

    Returns:
        The :class:`GameSpec`; warnings are recorded, not shown.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if (preset is None) == (curves is None):
            raise UserInputError("scenario", "either a preset or a curves file", preset)
        if preset is not None:
            if benchmark or method or models:
                raise UserInputError(
                    "scenario", "no --benchmark/--method/--models with --scenario", preset
                )
            scenario = get_scenario(preset)
            game = scenario.build(beta=beta, v0=v0, alpha=alpha, margin=margin)
            source = f"scenario {scenario.name}"
        else:
            if not benchmark or not method:
                raise UserInputError("curves", "--benchmark and --method with --curves", curves)
            game = game_from_curves(
                load_curves(curves),
                benchmark,
                method,
                alpha=alpha,
                margin=DEFAULT_MARGIN if margin is None else margin,
                v0=v0,
                beta=beta,
                models=None if not models else list(models),
            )
            label = curves.name if isinstance(curves, DataFile) else curves
            source = f"curves {label} ({benchmark}, {method})"
    return GameSpec(game=game, source=source, warnings=tuple(str(w.message) for w in caught))


# ---- dynamics ----------------------------------------------------------------------------


def dynamics_rule(name: str) -> str:
    """A registered better-response strategy name (the rules that end at an equilibrium)."""
    rules = [c.name for c in PROVIDER_STRATEGIES.filter(lambda c: c.get("better_response"))]
    if name not in rules:
        raise UserInputError("dynamics", f"one of {', '.join(rules)}", name)
    return name


def run_dynamics(
    game: TTCGame,
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
    seed: Any = DEFAULT_SEED,
    users: UserPopulation | None = None,
    collect: bool = True,
) -> TTCMarket:
    """The Mesa model run to rest with a better-response ``rule``, ``schedule`` and ``seed``."""
    model = TTCMarket(
        game,
        strategy=dynamics_rule(rule),
        schedule=schedule,
        users=users,
        collect=collect,
        rng=root_seed(seed),
    )
    return model.run_to_equilibrium()


def dynamics(
    game: TTCGame,
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
    seed: Any = DEFAULT_SEED,
    users: int = 0,
    spread: float = 0.0,
) -> Dynamics:
    """Figure 2: the dynamics from the lowest levels to rest, every step recorded."""
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


def truthful_auction(game: TTCGame) -> TruthfulAuction:
    """The auction when every provider bids truthfully (Theorem 5)."""
    bids = tuple(truthful_bids(game))
    return TruthfulAuction(game=game, bids=bids, outcome=run_auction(game, bids))


def analyze(
    game: TTCGame,
    source: str = "",
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
    seed: Any = DEFAULT_SEED,
    max_profiles: int = DEFAULT_MAX_PROFILES,
) -> Analysis:
    """The equilibrium the dynamics reach, its PoA, the exact max welfare and the auction.

    References:
        Velasco et al. (2026), Eqs. 6 and 9, Theorems 1 and 5.
    """
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
    game: TTCGame,
    betas: Sequence[float],
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
    seed: Any = DEFAULT_SEED,
    *,
    store=None,
    executor: str = "local",
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    resume_hint: str = "",
) -> BetaSweep:
    """Final PoA (exact maximum welfare over the reached equilibrium's welfare) per beta.

    The runs are a ``ttc/equilibria`` experiment (:mod:`market.ttc.experiments`) on the
    experiment engine: ``store`` keeps every finished run (the same call again resumes),
    ``executor``, ``jobs`` and ``scheduler`` say where runs are computed (results never depend
    on them), ``progress`` shows a bar with an ETA.
    """
    from market.ttc.experiments import INDEX, beta_experiment

    seed = root_seed(seed)
    dynamics_rule(rule)
    spec = {"command": "ttc sweep-beta", "seed": seed, "betas": [float(b) for b in betas]}
    experiment = beta_experiment(game, betas, rule, schedule, seed, spec)
    outcome = execute(
        experiment,
        store,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        progress=progress,
        resume_hint=resume_hint,
    )
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
    game: TTCGame,
    rule: str = DEFAULT_RULE,
    schedule: str = DEFAULT_SCHEDULE,
    seed: Any = DEFAULT_SEED,
) -> Comparison:
    """User value, price, provider utility (total) and welfare: market vs auction.

    References:
        Velasco et al. (2026), Table 2.
    """
    model = run_dynamics(game, rule, schedule, seed, collect=False)
    return Comparison(
        seed=int(model.seed),
        is_equilibrium=bool(model.equilibrium_reached),
        table=comparison_table(game, model.state),
    )
