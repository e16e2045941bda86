"""The reputation market's routing mechanisms: how the platform splits the next queries.

A mechanism turns the providers' current ratings into routing shares (one per provider,
summing to one); the model then routes the round's queries at random with those shares.

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from market.core.registry import Registry

from llm_market_reputation.economics import explorer_share

MECHANISMS: Registry[type[RoutingMechanism]] = Registry(
    "mechanism", group="llm_market.reputation.mechanisms"
)


class RoutingMechanism:
    """A platform's routing rule.

    Attributes:
        name: The registry name.
        uses_ratings: Whether the shares depend on the ratings (providers observe it).
        exploration: The share routed uniformly whatever the ratings (epsilon).
    """

    name: ClassVar[str] = ""
    uses_ratings: ClassVar[bool] = False

    def __init__(self, exploration: float = 0.1):
        self.exploration = float(exploration)

    def routing_shares(self, ratings: np.ndarray) -> np.ndarray:
        """Each provider's share of the next round's queries (non-negative, summing to one)."""
        raise NotImplementedError


@MECHANISMS.register
class Uniform(RoutingMechanism):
    """Every query goes to a provider drawn uniformly at random: ratings earn nothing.

    References:
        The baseline of the llm-market tutorial's reputation market; not from a paper.
    """

    name = "uniform"

    def routing_shares(self, ratings: np.ndarray) -> np.ndarray:
        """1 / K each."""
        return np.full(len(ratings), 1.0 / len(ratings))


@MECHANISMS.register
class RatingRank(RoutingMechanism):
    """The best-rated provider gets the queries, but for a share epsilon routed uniformly.

    Providers tied at the best rating split the leader's part equally.

    References:
        The ranking of the llm-market tutorial's reputation market (epsilon-greedy routing on
        average ratings); not from a paper.
    """

    name = "rating-rank"
    uses_ratings = True

    def routing_shares(self, ratings: np.ndarray) -> np.ndarray:
        """(1 - eps) / leaders + eps / K to each leader, eps / K to everyone else."""
        leaders = np.isclose(ratings, ratings.max(), rtol=0.0, atol=1e-12)
        shares = np.full(len(ratings), explorer_share(self.exploration, len(ratings)))
        shares[leaders] += (1.0 - self.exploration) / leaders.sum()
        return shares
