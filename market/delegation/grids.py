"""Grid files of the delegation game (``llm-market experiment run``).

A grid file (:mod:`market.core.grids`) for the ``profiles`` kind
(:mod:`market.delegation.experiments`)::

    game = "delegation"
    kind = "profiles"
    seed = 42
    seeds = 2
    [grid]
    preset = "cao2026"                    # preset names or TOML files
    T = [100000, 1000000]                 # default: the scenario's
    eps = [0.25, 0.3]                     # default: the scenario's
    mechanism = ["second-best-artifact", "explore-then-commit"]  # default: the scenario's
    strategies = ["ours", "honest"]       # each provider's choices (default: the six)

Every strategy profile over ``strategies`` x T x eps x mechanism x replicate seeds.

References:
    Cao et al. (2026), Section 6.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from agents.delegation.strategies import paper_strategy_names
from market.core import pricing
from market.core.errors import UserInputError
from market.core.experiments import Experiment, product_runs
from market.core.grids import GridFile, real, text, whole
from market.core.seeds import ReplicateSeeds
from market.delegation.experiments import (
    GRID_PARAMETERS,
    KINDS,
    PROFILES,
    profile_config,
    scenario_fields,
    scenario_id,
)
from market.delegation.horizon import MAX_QUERIES
from market.delegation.model import resolve_scenario
from market.delegation.pricing import T_EXPECTED
from market.delegation.runs import prepare
from market.delegation.tables import strategy_profiles

__all__ = ["KINDS", "grid_experiment"]


def grid_experiment(grid: GridFile) -> Experiment:
    """The experiment of a ``delegation/profiles`` grid file (every combination x seeds)."""
    presets = grid.values("preset", text, None)
    Ts = grid.values("T", horizon, [None])
    epss = grid.values("eps", real, [None])
    mechanisms = grid.values("mechanism", text, [None])
    strategies = grid.values("strategies", text, list(paper_strategy_names()))
    grid.done(GRID_PARAMETERS)
    price_grid(grid, presets, Ts, len(epss) * len(mechanisms), len(strategies))
    seeds = ReplicateSeeds(grid.seed, grid.seeds)
    configs, context = [], {}
    for preset, T, eps, mechanism in itertools.product(presets, Ts, epss, mechanisms):
        resolved, model = grid.checked(
            "preset, T, eps, mechanism", prepare, preset, T, eps, mechanism, grid.seed
        )
        key = scenario_id(resolved)
        context[key] = resolved
        name = model.platform.mechanism.name
        profiles = grid.checked("strategies", strategy_profiles, len(model.providers), strategies)
        for profile in profiles:
            configs.append(profile_config(resolved, key, resolved.T, resolved.eps, name, profile))
    spec = {
        "presets": [context[k].name for k in context],
        "scenarios": {k: scenario_fields(s) for k, s in context.items()},
        "T": Ts,
        "eps": epss,
        "mechanism": mechanisms,
        "strategies": strategies,
        "seed": grid.seed,
        "seeds": grid.seeds,
    }
    runs = product_runs(PROFILES, configs, seeds, group=horizon_and_seed)
    return Experiment(PROFILES, spec, runs, context)


def horizon(value, where: str) -> int:
    """A grid's T: an integer from 1 to :data:`MAX_QUERIES` (query ids are drawn up front)."""
    T = whole(value, where)
    if T > MAX_QUERIES:
        raise UserInputError(where, T_EXPECTED, T)
    return T


def price_grid(grid: GridFile, presets, Ts, others: int, choices: int) -> None:
    """Refuse a grid past the work or memory limit before a model is built or a run listed.

    Each combination of preset, T, eps and mechanism is checked by building one model (its
    query ids drawn: T of them), and lists ``choices ** K`` profiles (K providers); each
    profile runs T queries for every seed. ``others``: the eps values x mechanisms.
    """
    from market.delegation.footprint import CONFIG_BYTES, queries_seconds

    scenarios = [grid.checked("preset", resolve_scenario, preset) for preset in presets]
    horizons = [[s.T if T is None else T for T in Ts] for s in scenarios]
    profiles = [choices ** len(s.providers) for s in scenarios]
    listed = sum(len(h) * p for h, p in zip(horizons, profiles, strict=True)) * others
    queries = sum(sum(h) * (1 + p * grid.seeds) for h, p in zip(horizons, profiles, strict=True))
    field = f"{Path(grid.path).name}: [grid]"
    runs = listed * grid.seeds
    sizes = [pricing.Size(field, f"{runs:,} runs", runs, "runs", minimum=min(runs, 1))]
    per_run = queries * others / max(runs, 1)
    limits = [
        pricing.memory(lambda s: CONFIG_BYTES * listed * s[field] / max(runs, 1)),
        pricing.work(lambda s: queries_seconds(per_run * s[field])),
    ]
    pricing.check(sizes, limits)  # long work is announced once, by the grid's runs_price


def horizon_and_seed(config: dict, seed: int) -> tuple:
    """A run's chunk group: its T and seed (runs of one seed share the running sums)."""
    return config["T"], seed
