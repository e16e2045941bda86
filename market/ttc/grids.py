"""Grid files of the TTC game (``llm-market experiment run``), kind ``equilibria``.

Every preset (benchmark x method) x beta x V_0 x simulated user population x rule x schedule x
replicate seeds (see :mod:`market.ttc.experiments` for an example file).

References:
    Velasco et al. (2026), Sections 3-6.
"""

from __future__ import annotations

import itertools
import math

from market.core.errors import UserInputError
from market.core.experiments import Experiment, product_runs
from market.core.grids import GridFile, real, text, whole
from market.core.seeds import ReplicateSeeds
from market.ttc.experiments import (
    EQUILIBRIA,
    GRID_PARAMETERS,
    KINDS,
    equilibrium_config,
    game_id,
    preset_labels,
)
from market.ttc.population import check_user_memory
from market.ttc.runs import DEFAULT_RULE, DEFAULT_SCHEDULE, build_game, dynamics_rule

__all__ = ["KINDS", "grid_experiment"]


def beta_value(value, where: str) -> float:
    """A rationality: a positive number, or ``"inf"`` for perfectly rational users."""
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinity", "perfect"):
        return math.inf
    number = real(value, where)
    if number <= 0:
        raise UserInputError(where, 'a rationality > 0 (or "inf")', value)
    return number


def grid_experiment(grid: GridFile) -> Experiment:
    """The experiment of a ``ttc/equilibria`` grid file (every combination x seeds)."""
    presets = grid.values("preset", text, None)
    betas = grid.values("beta", beta_value, [1000.0])
    v0s = grid.values("v0", real, [0.0])
    users = grid.values("users", lambda v, w: whole(v, w, minimum=0), [0])
    spreads = grid.values("user_spread", real, [0.0])
    rules = grid.values("dynamics", text, [DEFAULT_RULE])
    schedules = grid.values("schedule", text, [DEFAULT_SCHEDULE])
    grid.done(GRID_PARAMETERS)
    for rule in rules:
        grid.checked("dynamics", dynamics_rule, rule)
    negative = [s for s in spreads if s < 0]
    if negative:
        raise UserInputError(grid.field("user_spread"), "standard deviations >= 0", negative[0])
    seeds = ReplicateSeeds(grid.seed, grid.seeds)
    games = {}
    for preset in presets:
        game = grid.checked("preset", build_game, preset=preset, beta=betas[0]).game
        games[preset] = game
        for n in users:
            check_user_memory(n, game, grid.field("users"))
    context = {game_id(game): game for game in games.values()}
    configs = [
        equilibrium_config(game_id(games[preset]), beta, v0, n, spread, rule, schedule)
        for preset, beta, v0, n, spread, rule, schedule in itertools.product(
            presets, betas, v0s, users, spreads, rules, schedules
        )
    ]
    spec = {
        "presets": presets,
        "games": {p: game_id(g) for p, g in games.items()},
        "grid": [betas, v0s, users, spreads, rules, schedules],
        "seed": grid.seed,
        "seeds": grid.seeds,
        **preset_labels(games),
    }
    return Experiment(EQUILIBRIA, spec, product_runs(EQUILIBRIA, configs, seeds), context)
