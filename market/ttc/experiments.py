"""The TTC game's experiment kinds, for the experiment engine (:mod:`market.core`).

One kind, ``equilibria``: one run is the better-response dynamics of one game at one user
rationality beta (and V_0, simulated user population, rule, schedule and seed) run to rest by
:func:`market.ttc.runs.run_dynamics` (the Mesa model); its tidy rows (table ``ttc_equilibria``)
have one row per provider with the resting level, share and utility and the run's welfare,
exact maximum welfare, price of anarchy, steps and whether it is a verified equilibrium. The
beta sweep (``ttc sweep-beta``) and ``llm-market experiment run`` grids are experiments of this
kind.

A grid file (:mod:`market.core.grids`) for this kind::

    game = "ttc"
    kind = "equilibria"
    seed = 0
    [grid]
    preset = ["gsm8k-best-of-n", "gpqa-best-of-n"]   # benchmark x method presets
    beta = [10, 100, 1000, "inf"]
    users = [0, 2000]             # simulated users (0: the paper's share function)
    user_spread = [0.0, 0.5]      # heterogeneity of simulated users
    dynamics = "nearest-improving"

References:
    Velasco et al. (2026), Sections 3-5; heterogeneous users: Section 6.
"""

from __future__ import annotations

import itertools
import math

from market.core.errors import UserInputError
from market.core.experiments import Experiment, ExperimentKind, digest, make_runs
from market.core.grids import GridFile, real, text
from market.core.seeds import replicate_seeds
from market.core.store import Column

GRID_PARAMETERS = ("preset", "beta", "v0", "users", "user_spread", "dynamics", "schedule")
COLUMNS = (
    Column("game", str),
    Column("beta", float),
    Column("v0", float),
    Column("users", int),
    Column("user_spread", float),
    Column("dynamics", str),
    Column("schedule", str),
    Column("seed", int),
    Column("provider", str),
    Column("provider_index", int),
    Column("theta", float),
    Column("level", int),
    Column("share", float),
    Column("provider_utility", float),
    Column("poa", float),
    Column("welfare", float),
    Column("max_welfare", float),
    Column("steps", int),
    Column("is_equilibrium", bool),
)
INDEX = {c.name: i for i, c in enumerate(COLUMNS)}
#: Simulated users cost about this many bytes each per level and option (providers and
#: abstention) while a provider checks its deviations: several (U, L, N + 1) float arrays at
#: once (measured: 3.0 KB per user for 9 providers x 6 levels, 50 bytes per user and offer).
BYTES_PER_USER_OFFER = 64
USER_MEMORY_BUDGET = 2 * 1024**3


def game_id(game) -> str:
    """A short hash of everything in a game but its beta (a run parameter)."""
    return digest(
        {
            "providers": list(game.providers),
            "levels": list(game.levels),
            "quality": game.quality.tolist(),
            "cost": game.cost.tolist(),
            "price": game.price.tolist(),
            "v0": game.v0,
            "approximate": bool(game.approximate),
        }
    )[:16]


def check_user_memory(users: int, game, field: str = "users") -> None:
    """Refuse a simulated population whose deviation checks would not fit in memory."""
    per_user = BYTES_PER_USER_OFFER * game.n_levels * (game.n_providers + 1)
    largest = USER_MEMORY_BUDGET // per_user
    if users > largest:
        raise UserInputError(
            field,
            f"at most {largest:,} simulated users for this game",
            users,
            note=f"each deviation check holds about {per_user * users / 1024**3:.1f} GB for "
            f"{users:,} users ({game.n_providers} providers x {game.n_levels} levels); the "
            f"limit keeps it under {USER_MEMORY_BUDGET / 1024**3:.0f} GB",
        )


def equilibrium_rows(config: dict, seed: int, game, model) -> list[tuple]:
    """The rows of one finished run: one per provider, in :data:`COLUMNS` order."""
    state = model.state
    return [
        (
            config["game"],
            config["beta"],
            config["v0"],
            config["users"],
            config["user_spread"],
            config["dynamics"],
            config["schedule"],
            seed,
            name,
            i,
            state.thetas[i],
            state.levels[i],
            state.shares[i],
            state.provider_utility[i],
            state.inefficiency,
            state.welfare,
            model.max_welfare,
            int(model.steps),
            bool(model.equilibrium_reached),
        )
        for i, name in enumerate(game.providers)
    ]


def compute_equilibria(context: dict, runs) -> list[list[tuple]]:
    """Run each ``(config, seed)`` to rest with :func:`market.ttc.runs.run_dynamics`.

    ``context`` maps game ids to games. Top-level, so it pickles.
    """
    from market.ttc.runs import run_dynamics, user_population

    rows = []
    for config, seed in runs:
        game = context[config["game"]].with_beta(config["beta"]).with_v0(config["v0"])
        users = user_population(game, config["users"], config["user_spread"], seed)
        model = run_dynamics(
            game, config["dynamics"], config["schedule"], seed, users=users, collect=False
        )
        rows.append(equilibrium_rows(config, seed, game, model))
    return rows


EQUILIBRIA = ExperimentKind(
    name="equilibria",
    game="ttc",
    table="ttc_equilibria",
    columns=COLUMNS,
    compute=compute_equilibria,
    seconds_per_run=0.01,
)
KINDS = {EQUILIBRIA.name: EQUILIBRIA}


def equilibrium_config(key, beta, v0, users, spread, dynamics, schedule) -> dict:
    """A run's configuration."""
    return {
        "game": key,
        "beta": float(beta),
        "v0": float(v0),
        "users": int(users),
        "user_spread": float(spread),
        "dynamics": dynamics,
        "schedule": schedule,
    }


def beta_experiment(game, betas, rule: str, schedule: str, seed: int, spec: dict) -> Experiment:
    """One run per beta of ``game`` (no simulated users), all with the same ``seed``."""
    key = game_id(game)
    items = [
        (equilibrium_config(key, beta, game.v0, 0, 0.0, rule, schedule), seed, None)
        for beta in betas
    ]
    return Experiment(EQUILIBRIA, {"game": key, **spec}, make_runs(EQUILIBRIA, items), {key: game})


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
    from market.core.grids import whole
    from market.ttc.runs import DEFAULT_RULE, DEFAULT_SCHEDULE, build_game, dynamics_rule

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
    if any(s < 0 for s in spreads):
        raise UserInputError(grid.field("user_spread"), "standard deviations >= 0", spreads)
    seeds = replicate_seeds(grid.seed, grid.seeds)
    games = {}
    for preset in presets:
        game = grid.checked("preset", build_game, preset=preset, beta=betas[0]).game
        games[preset] = game
        for n in users:
            check_user_memory(n, game, grid.field("users"))
    context = {game_id(game): game for game in games.values()}
    items = []
    for preset, beta, v0, n, spread, rule, schedule in itertools.product(
        presets, betas, v0s, users, spreads, rules, schedules
    ):
        key = game_id(games[preset])
        for seed in seeds:
            config = equilibrium_config(key, beta, v0, n, spread, rule, schedule)
            items.append((config, seed, None))
    spec = {
        "presets": presets,
        "games": {p: game_id(g) for p, g in games.items()},
        "grid": [betas, v0s, users, spreads, rules, schedules],
        "seed": grid.seed,
        "seeds": grid.seeds,
    }
    return Experiment(EQUILIBRIA, spec, make_runs(EQUILIBRIA, items), context)
