"""Simulated user populations of a TTC game, and the memory they may take.

References:
    Velasco et al. (2026), Table 1 and Section 6 (heterogeneous users as future work).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.ttc.users import UserPopulation
from market.core.errors import UserInputError
from market.core.seeds import root_seed
from market.ttc.model import population_seed
from mechanisms.ttc.game import TTCGame

#: Simulated users cost about this many bytes each per level and option (providers and
#: abstention) while a provider checks its deviations: several (U, L, N + 1) float arrays at
#: once (measured: 3.0 KB per user for 9 providers x 6 levels, 50 bytes per user and offer).
BYTES_PER_USER_OFFER = 64
USER_MEMORY_BUDGET = 2 * 1024**3
#: The most spread of simulated users' log values: ``exp`` of a larger normal draw overflows
#: (a spread of 1e300 made infinite values per accuracy point).
MAX_USER_SPREAD = 50.0


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


def user_population(
    game: TTCGame, users: int = 0, spread: float = 0.0, seed: Any = 0
) -> UserPopulation | None:
    """``users`` simulated users of the game's beta and ``V_0`` (None for 0 users).

    Identical users when ``spread`` is 0; otherwise log-normal value per accuracy point and
    rationality with standard deviation ``spread``, drawn from the root seed's own stream
    (:func:`market.ttc.model.population_seed`). A population whose deviation checks would need
    more than 2 GB is refused before anything is allocated
    (:func:`check_user_memory`).
    """
    if isinstance(users, bool) or not isinstance(users, int | np.integer) or users < 0:
        raise UserInputError("users", "a non-negative integer", users)
    if not (0 <= spread <= MAX_USER_SPREAD):
        expected = f"a standard deviation from 0 to {MAX_USER_SPREAD:g}"
        raise UserInputError("user-spread", expected, spread)
    if users == 0:
        return None
    check_user_memory(int(users), game)
    if spread == 0:
        return UserPopulation.identical(int(users), game.beta, v0=game.v0)
    rng = np.random.default_rng(population_seed(root_seed(seed)))
    return UserPopulation.heterogeneous(
        int(users), rng, beta=game.beta, weight_spread=spread, beta_spread=spread, v0=game.v0
    )
