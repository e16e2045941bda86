"""The reputation market's experiment kind and grid files (``llm-market experiment run``).

One kind, ``profits``: one run is one preset played to its last round under one mechanism,
exploration and seed (:func:`llm_market_reputation.runs.run`); its rows (table
``reputation_profits``) have one row per provider, numbered from 1. A grid file::

    game = "reputation"
    kind = "profits"
    seed = 42
    seeds = 5
    [grid]
    preset = ["honest-vs-cheap", "milking"]
    mechanism = ["uniform", "rating-rank"]
    exploration = [0.1, 0.3]
    rounds = 60

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

import itertools

from market.core.experiments import Experiment, ExperimentKind, product_runs
from market.core.grids import GridFile, real, text, whole
from market.core.seeds import ReplicateSeeds
from market.core.store import Column

GRID_PARAMETERS = ("preset", "mechanism", "exploration", "rounds", "queries")
COLUMNS = (
    Column("preset", str),
    Column("mechanism", str),
    Column("exploration", float),
    Column("rounds", int),
    Column("queries", int),
    Column("seed", int),
    Column("provider", int),
    Column("strategy", str),
    Column("honest_rounds", float),
    Column("served", int),
    Column("profit", float),
    Column("expected_profit", float),
    Column("rating", float),
)


def profit_rows(config: dict, seed: int, result) -> list[tuple]:
    """One row per provider of a finished run, in :data:`COLUMNS` order."""
    head = (
        config["preset"],
        config["mechanism"],
        config["exploration"],
        config["rounds"],
        config["queries"],
        seed,
    )
    return [
        (
            *head,
            p.provider,
            p.strategy,
            p.honest_rounds,
            p.queries,
            p.profit,
            p.expected_profit,
            p.rating,
        )
        for p in result.providers
    ]


def compute_profits(context, runs) -> list[list[tuple]]:
    """Run each ``(config, seed)``: exactly :func:`llm_market_reputation.runs.run`."""
    from llm_market_reputation.runs import run

    return [
        profit_rows(config, seed, run(config["preset"], seed=seed, **settings_of(config)))
        for config, seed in runs
    ]


def settings_of(config: dict) -> dict:
    """The scenario fields a run's configuration changes."""
    return {key: config[key] for key in ("mechanism", "exploration", "rounds", "queries")}


def run_seconds(config: dict) -> float:
    """One core's seconds for the run (:func:`llm_market_reputation.pricing.run_seconds`)."""
    from llm_market_reputation.pricing import run_seconds as seconds
    from llm_market_reputation.scenarios import scenario_named

    return seconds(config["rounds"], scenario_named(config["preset"]).providers) + 1e-3


PROFITS = ExperimentKind(
    name="profits",
    game="reputation",
    table="reputation_profits",
    columns=COLUMNS,
    compute=compute_profits,
    seconds_per_run=0.005,
    run_seconds=run_seconds,
)
KINDS = {PROFITS.name: PROFITS}


def grid_experiment(grid: GridFile) -> Experiment:
    """The experiment of a ``reputation/profits`` grid file (every combination x seeds)."""
    from llm_market_reputation.pricing import PYTHON_ARGUMENTS, run_price
    from llm_market_reputation.scenarios import scenario_named

    presets = grid.values("preset", text, ["honest-vs-cheap"])
    mechanisms = grid.values("mechanism", text, [None])
    explorations = grid.values("exploration", real, [None])
    rounds = grid.values("rounds", whole, [None])
    queries = grid.values("queries", whole, [None])
    grid.done(GRID_PARAMETERS)
    configs = []
    for preset, mechanism, eps, t, n in itertools.product(
        presets, mechanisms, explorations, rounds, queries
    ):
        base = grid.checked("preset", scenario_named, preset)
        changes = {"mechanism": mechanism, "exploration": eps, "rounds": t, "queries": n}
        scenario = grid.checked(
            "mechanism", checked_scenario, base, {k: v for k, v in changes.items() if v is not None}
        )
        grid.checked("rounds", run_price, scenario, names=PYTHON_ARGUMENTS)  # each run fits
        configs.append({"preset": preset, **{k: getattr(scenario, k) for k in changes}})
    spec = {
        "grid": [presets, mechanisms, explorations, rounds, queries],
        "seed": grid.seed,
        "seeds": grid.seeds,
    }
    return Experiment(
        PROFITS, spec, product_runs(PROFITS, configs, ReplicateSeeds(grid.seed, grid.seeds)), None
    )


def checked_scenario(base, changes: dict):
    """``base`` with ``changes``, its mechanism known (a mistake is one line)."""
    from llm_market_reputation.mechanisms import MECHANISMS

    scenario = base.with_settings(**changes)
    MECHANISMS.get(scenario.mechanism, "mechanism")
    return scenario
