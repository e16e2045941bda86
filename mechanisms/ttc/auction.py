"""The reverse second-price scoring auction G~: bids, allocation, payment and truthfulness.

Providers bid a compute level (hence a quality, truthfully reported: footnote 11) and a price;
the platform gives the task to the highest bid value ``q_i(theta_i) - p_i`` and the user pays
the second-price payment of Eq. 10, so bidding the welfare-maximising level at its cost is a
dominant strategy (Theorem 5) and the auction is efficient (Eq. 13).

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 4, Eqs. 10-13, Theorem 5,
    Appendix B.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from market.core.errors import UserInputError
from mechanisms.ttc.game import TTCGame, at_profiles, check_profiles, check_provider
from mechanisms.ttc.optimum import inefficiency

EQUILIBRIUM_ATOL = 1e-12
"""Absolute tolerance on a utility gain in the auction's equilibrium check."""


@dataclass(frozen=True)
class Bid:
    """A provider's offer: a compute level (hence a quality) and a price.

    In the auction it is the provider's bid; in the pay-for-compute market it is the posted
    offer ``(theta_i, p_i(theta_i))`` (see :mod:`mechanisms.ttc.markets`).

    Attributes:
        level: Level index ``theta_i``; the bid quality is ``q_i(theta_i)`` (truthful, fn. 11).
        price: Bid price ``p_i >= 0``.
    """

    level: int
    price: float


@dataclass(frozen=True, eq=False)
class AuctionOutcome:
    """The outcome of one reverse second-price scoring auction (Eqs. 10-11).

    Attributes:
        winner: 0-based index of the provider with the highest bid value.
        runner_up: 0-based index of the provider with the second-highest bid value.
        payment: ``P = q_winner - V_runner_up`` paid by the user (Eq. 10).
        user_value: ``q_winner - P = V_runner_up``.
        winner_utility: ``P - c_winner(theta_winner)`` (Eq. 11).
        welfare: ``W_winner(theta_winner) = q - c`` of the winner.
        utilities: ``(N,)`` provider utilities (zero for losers).
        bid_values: ``(N,)`` bid values ``q_i(theta_i) - p_i``.
    """

    winner: int
    runner_up: int
    payment: float
    user_value: float
    winner_utility: float
    welfare: float
    utilities: np.ndarray
    bid_values: np.ndarray


def bid_values(game: TTCGame, bids: Sequence[Bid]) -> np.ndarray:
    """``(N,)`` values ``V_i(theta_i, p_i) = q_i(theta_i) - p_i`` of the bids (Section 4)."""
    if len(bids) != game.n_providers:
        raise UserInputError("bids", f"one bid per provider ({game.n_providers})", len(bids))
    levels = check_profiles(game, np.array([b.level for b in bids]))
    prices = np.array([b.price for b in bids], dtype=float)
    if not np.all(np.isfinite(prices)) or np.any(prices < 0):
        raise UserInputError("bids", "finite non-negative bid prices", prices.tolist())
    return at_profiles(game.quality, levels) - prices


def allocate_to_highest_value(values: np.ndarray) -> tuple[int, int]:
    """Winner and runner-up: the two highest bid values (ties go to the lower index)."""
    order = np.argsort(-values, kind="stable")
    return int(order[0]), int(order[1])


def second_price_payment(winner_quality: float, runner_up_value: float) -> float:
    """Eq. 10: the user pays the winner's quality minus the runner-up's offered value."""
    return winner_quality - runner_up_value


def run_auction(game: TTCGame, bids: Sequence[Bid]) -> AuctionOutcome:
    """Run the reverse second-price scoring auction on one bid per provider.

    The platform allocates the task to the highest bid value ``q_i(theta_i) - p_i``, the user
    pays ``P = q_winner - V_runner_up`` (Eq. 10), the winner earns ``P - c_winner`` and the
    others nothing (Eq. 11); the welfare is the winner's ``q - c``.

    Args:
        game: The providers' curves (``beta`` and ``V_0`` play no role in the auction).
        bids: One :class:`Bid` per provider, in provider order.

    Returns:
        The :class:`AuctionOutcome`.

    References:
        Velasco et al. (2026), Section 4, Eqs. 10-11.
    """
    values = bid_values(game, bids)
    winner, runner_up = allocate_to_highest_value(values)
    return second_price_outcome(game, bids, values, winner, runner_up)


def second_price_outcome(
    game: TTCGame, bids: Sequence[Bid], values: np.ndarray, winner: int, runner_up: int
) -> AuctionOutcome:
    """The payment and utilities once the task is allocated (Eqs. 10-11).

    Args:
        game: The providers' curves.
        bids: One :class:`Bid` per provider.
        values: ``(N,)`` their bid values (:func:`bid_values`).
        winner: The provider with the highest bid value.
        runner_up: The provider with the second-highest bid value.

    Returns:
        The :class:`AuctionOutcome`.

    References:
        Velasco et al. (2026), Section 4, Eqs. 10-11.
    """
    level = bids[winner].level
    payment = second_price_payment(float(game.quality[winner, level]), float(values[runner_up]))
    winner_utility = payment - float(game.cost[winner, level])
    utilities = np.zeros(game.n_providers)
    utilities[winner] = winner_utility
    return AuctionOutcome(
        winner=winner,
        runner_up=runner_up,
        payment=payment,
        user_value=float(game.quality[winner, level]) - payment,
        winner_utility=winner_utility,
        welfare=float(game.contribution[winner, level]),
        utilities=utilities,
        bid_values=values,
    )


def auction_utility(game: TTCGame, bids: Sequence[Bid], i: int) -> float:
    """Provider ``i``'s utility (Eq. 11) when everyone bids ``bids``."""
    return float(run_auction(game, bids).utilities[check_provider(game, i)])


def truthful_bid(game: TTCGame, i: int) -> Bid:
    """The dominant bid of Theorem 5: the welfare-maximising level, priced at its cost.

    ``theta_i* = argmax_theta W_i(theta)`` (lowest level on ties) and ``p_i = c_i(theta_i*)``.

    References:
        Velasco et al. (2026), Theorem 5, Appendix B.5.
    """
    i = check_provider(game, i)
    level = int(np.argmax(game.contribution[i]))
    return Bid(level=level, price=float(game.cost[i, level]))


def truthful_bids(game: TTCGame) -> list[Bid]:
    """Every provider's truthful bid (Theorem 5)."""
    return [truthful_bid(game, i) for i in range(game.n_providers)]


def auction_max_welfare(game: TTCGame) -> float:
    """``max_i max_theta W_i(theta)``: the best welfare any auction outcome can reach (Eq. 13)."""
    return float(game.contribution.max())


def auction_price_of_anarchy(game: TTCGame, outcome: AuctionOutcome) -> float:
    """Eq. 13: best achievable auction welfare over the outcome's welfare (1 when truthful)."""
    return inefficiency(auction_max_welfare(game), outcome.welfare)


def truthful_bid_improves(
    game: TTCGame, bids: Sequence[Bid], i: int, atol: float = EQUILIBRIUM_ATOL
) -> bool:
    """Whether provider ``i`` earns more than ``atol`` extra by switching to its truthful bid.

    References:
        Velasco et al. (2026), Theorem 5 and Eq. 11.
    """
    deviation = list(bids)
    deviation[i] = truthful_bid(game, i)
    return auction_utility(game, deviation, i) > auction_utility(game, bids, i) + atol


def auction_equilibrium(game: TTCGame, bids: Sequence[Bid], atol: float = EQUILIBRIUM_ATOL) -> bool:
    """Whether no bidder gains (by more than ``atol``) by switching to its truthful bid.

    Truthful bidding is dominant (Theorem 5), so this is the pure Nash equilibrium check of
    the auction G~.

    References:
        Velasco et al. (2026), Theorem 5.
    """
    return not any(truthful_bid_improves(game, bids, i, atol) for i in range(game.n_providers))
