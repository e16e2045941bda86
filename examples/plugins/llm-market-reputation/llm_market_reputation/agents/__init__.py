"""The reputation market's provider strategies: serve honestly or cheaply, each round.

A strategy is a small class with a pure decision method: it reads a read-only
:class:`Observation` (its own rating, the best rival rating, whether the platform routes by
rating) and returns True to serve honestly this round, False to serve cheaply.

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from market.core.registry import Registry

STRATEGIES: Registry[type[ReputationStrategy]] = Registry(
    "strategy", group="llm_market.reputation.strategies"
)


@dataclass(frozen=True)
class Observation:
    """What a provider sees before it serves a round.

    Attributes:
        round: The round about to be served (1 for the first).
        rating: Its own rating on the platform.
        best_rival_rating: The best rating among the other providers (-inf alone).
        ranked: Whether the platform routes by rating.
    """

    round: int
    rating: float
    best_rival_rating: float
    ranked: bool

    @property
    def leads(self) -> bool:
        """Whether its rating is strictly the best."""
        return self.rating > self.best_rival_rating


class ReputationStrategy:
    """A provider's rule: honest (True) or cheap (False) service this round.

    Attributes:
        name: The registry name.
        classifier: What it is: ``honest`` (always honest), ``observes_ratings``.
    """

    name: ClassVar[str] = ""
    classifier: ClassVar[dict] = {}

    def serves_honestly(self, observation: Observation, rng: np.random.Generator) -> bool:
        """Whether to serve this round honestly."""
        raise NotImplementedError


@STRATEGIES.register
class Honest(ReputationStrategy):
    """Always the costly, high-quality service.

    References:
        The llm-market tutorial's reputation market; not from a paper.
    """

    name = "honest"
    classifier: ClassVar[dict] = {"honest": True, "observes_ratings": False}

    def serves_honestly(self, observation: Observation, rng: np.random.Generator) -> bool:
        """Always True."""
        return True


@STRATEGIES.register
class Cheap(ReputationStrategy):
    """Always the cheap, low-quality service.

    References:
        The llm-market tutorial's reputation market; not from a paper.
    """

    name = "cheap"
    classifier: ClassVar[dict] = {"honest": False, "observes_ratings": False}

    def serves_honestly(self, observation: Observation, rng: np.random.Generator) -> bool:
        """Always False."""
        return False


@STRATEGIES.register
class MilkReputation(ReputationStrategy):
    """Honest until its rating leads, then cheap while it still leads (milking the lead).

    References:
        The llm-market tutorial's reputation market; not from a paper.
    """

    name = "milk-reputation"
    classifier: ClassVar[dict] = {"honest": False, "observes_ratings": True}

    def serves_honestly(self, observation: Observation, rng: np.random.Generator) -> bool:
        """Cheap while it leads, honest otherwise."""
        return not observation.leads
