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

from agents.delegation.strategies import base_strategy_names
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
from market.delegation.runs import prepare
from market.delegation.tables import strategy_profiles

__all__ = ["KINDS", "grid_experiment"]


def grid_experiment(grid: GridFile) -> Experiment:
    """The experiment of a ``delegation/profiles`` grid file (every combination x seeds)."""
    presets = grid.values("preset", text, None)
    Ts = grid.values("T", lambda v, w: whole(v, w), [None])
    epss = grid.values("eps", real, [None])
    mechanisms = grid.values("mechanism", text, [None])
    strategies = grid.values("strategies", text, list(base_strategy_names()))
    grid.done(GRID_PARAMETERS)
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


def horizon_and_seed(config: dict, seed: int) -> tuple:
    """A run's chunk group: its T and seed (runs of one seed share the running sums)."""
    return config["T"], seed
