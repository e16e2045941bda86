"""Settling a round: the :class:`Settlement` record and the pay-for-compute market's demand.

Under the paper's share function (Table 1) users split their queries by offered value; with a
simulated user population each user draws one choice (:func:`simulated_demand`). Either way the
users pay the posted prices and the providers earn Eq. 4 (:func:`pay_posted_prices`).

Simulated users are duck-typed (:class:`Users`, implemented by
:class:`agents.ttc.users.UserPopulation`), so the mechanisms never import the agents.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 2, Table 1, Eqs. 3-5 and 7,
    footnote 8.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from market.core.errors import UserInputError
from mechanisms.ttc.auction import Bid
from mechanisms.ttc.game import (
    TTCGame,
    abstention_share,
    at_profiles,
    check_profiles,
    check_provider,
    market_shares,
    welfare_from_shares,
)
from mechanisms.ttc.responses import potential


class Users(Protocol):
    """A simulated user population, as the mechanisms use it (duck-typed)."""

    n_users: int
    v0: float

    def user_values(self, quality: np.ndarray, price: np.ndarray) -> np.ndarray:
        """Each user's value of each offer, ``(..., U, N)``."""

    def log_expected_shares(self, values: np.ndarray) -> np.ndarray:
        """Log population shares ``(..., N + 1)``, abstention last."""

    def expected_shares(self, values: np.ndarray) -> np.ndarray:
        """Population shares ``(..., N + 1)``, abstention last."""

    def draw_choices(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One choice per user (``N`` = abstain)."""

    def realised_shares(self, choices: np.ndarray, n_providers: int) -> np.ndarray:
        """Fractions of users choosing each provider ``(N + 1,)``, abstention last."""


@dataclass(frozen=True, eq=False)
class Demand:
    """Where the users' queries go in one round of the pay-for-compute market.

    Attributes:
        shares: ``(N,)`` share of queries served by each provider (the users' realised choices
            when users are simulated).
        expected_shares: ``(N,)`` the share function the providers respond to.
        abstention: share of queries nobody serves, ``s_0``.
        user_value: average value per query received by users (``V_0`` when abstaining).
        price: average price paid per query.
        simulated: whether simulated users made the choices.
    """

    shares: np.ndarray
    expected_shares: np.ndarray
    abstention: float
    user_value: float
    price: float
    simulated: bool


@dataclass(frozen=True, eq=False)
class Settlement:
    """One round settled by a mechanism.

    Attributes:
        shares: ``(N,)`` share of queries served by each provider (realised user choices when
            users are simulated; the auction gives everything to its winner).
        expected_shares: ``(N,)`` the share function the providers respond to.
        abstention: share of queries nobody serves, ``s_0``.
        user_value: average value per query received by users.
        price: average price paid per query.
        provider_utility: ``(N,)`` utility per provider (Eq. 4, or Eq. 11 in the auction).
        welfare: social welfare (Eq. 5; with simulated users the users' value plus the
            providers' profit; the winner's ``q - c`` in the auction).
        potential: Theorem 1's potential (NaN in the auction and with simulated users).
    """

    shares: np.ndarray
    expected_shares: np.ndarray
    abstention: float
    user_value: float
    price: float
    provider_utility: np.ndarray
    welfare: float
    potential: float


def posted_offer(game: TTCGame, i: int, level: int) -> Bid:
    """Provider ``i``'s offer at ``level`` in the market: the level at its price ``p_i``."""
    i = check_provider(game, i)
    if not isinstance(level, int | np.integer) or not 0 <= level < game.n_levels:
        raise UserInputError("level", f"a level index in 0..{game.n_levels - 1}", level)
    return Bid(level=int(level), price=float(game.price[i, level]))


def offered_levels(game: TTCGame, bids: Sequence[Bid]) -> np.ndarray:
    """``(N,)`` the level index of each offer, checked against the game."""
    return check_profiles(game, np.array([bid.level for bid in bids], dtype=np.int64))


def share_function_demand(game: TTCGame, profile: np.ndarray) -> Demand:
    """Demand under the paper's share function (Table 1) at a checked profile.

    References:
        Velasco et al. (2026), Table 1 and Eq. 3.
    """
    values = at_profiles(game.value, profile)
    shares = market_shares(values, game.v0, game.beta)
    s0 = float(abstention_share(values, game.v0, game.beta))
    return Demand(
        shares=shares,
        expected_shares=shares,
        abstention=s0,
        user_value=float((shares * values).sum() + s0 * game.v0),
        price=float((shares * at_profiles(game.price, profile)).sum()),
        simulated=False,
    )


def simulated_demand(
    game: TTCGame, profile: np.ndarray, users: Users, rng: np.random.Generator
) -> Demand:
    """Demand made by one drawn choice per simulated user, all users at once.

    References:
        Velasco et al. (2026), Table 1 and footnote 8 (random utility models).
    """
    rows = np.arange(game.n_providers)
    quality, price = game.quality[rows, profile], game.price[rows, profile]
    values = users.user_values(quality, price)
    choices = users.draw_choices(values, rng)
    served = choices < game.n_providers
    chosen = np.where(served, choices, 0)
    user_value = np.where(served, values[np.arange(users.n_users), chosen], users.v0)
    paid = np.where(served, price[chosen], 0.0)
    realised = users.realised_shares(choices, game.n_providers)
    return Demand(
        shares=realised[:-1],
        expected_shares=users.expected_shares(values)[:-1],
        abstention=float(realised[-1]),
        user_value=float(user_value.mean()),
        price=float(paid.mean()),
        simulated=True,
    )


def pay_posted_prices(game: TTCGame, profile: np.ndarray, demand: Demand) -> Settlement:
    """Users pay the posted prices; providers earn ``U_i = s_i (p_i - c_i)`` (Eq. 4).

    Welfare is Eq. 5 under the share function; with simulated users, who may value quality
    differently from the representative user, it is their average value plus the providers'
    profit (prices are transfers and cancel), and Theorem 1's potential does not apply (NaN).

    References:
        Velasco et al. (2026), Eqs. 4, 5 and 7.
    """
    utility = demand.shares * at_profiles(game.profit, profile)
    if demand.simulated:
        welfare, phi = demand.user_value + float(utility.sum()), math.nan
    else:
        contribution = at_profiles(game.contribution, profile)
        welfare = welfare_from_shares(contribution, demand.shares, demand.abstention, game.v0)
        welfare = float(welfare)
        phi = float(potential(game, profile))
    return Settlement(
        shares=demand.shares,
        expected_shares=demand.expected_shares,
        abstention=demand.abstention,
        user_value=demand.user_value,
        price=demand.price,
        provider_utility=utility,
        welfare=welfare,
        potential=phi,
    )


def market_outcome(game: TTCGame, profile: Sequence[int]) -> Settlement:
    """Shares, user value, price, utilities, welfare and potential at one profile.

    The pay-for-compute market under the paper's share function.

    References:
        Velasco et al. (2026), Table 1, Eqs. 3-5 and 7.
    """
    profile_arr = check_profiles(game, np.asarray(profile))
    return pay_posted_prices(game, profile_arr, share_function_demand(game, profile_arr))


def simulated_deviation_log_utilities(
    game: TTCGame, profile: Sequence[int], i: int, users: Users
) -> np.ndarray:
    """``(L,)`` provider ``i``'s log-utility at each level, the others fixed, with simulated users.

    The users' expected shares averaged in log space (log-mean-exp), so very rational users
    (beta = 1e6) compare exactly.
    """
    rows = np.arange(game.n_providers)
    deviations = np.tile(np.asarray(profile), (game.n_levels, 1))
    deviations[:, i] = np.arange(game.n_levels)
    quality = game.quality[rows, deviations]
    price = game.price[rows, deviations]
    log_shares = users.log_expected_shares(users.user_values(quality, price))
    return log_shares[:, i] + game.log_profit[i]
