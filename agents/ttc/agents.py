"""The Mesa agent of the TTC market: a provider, its strategy and its current offer.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Sections 2-4.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from agents.ttc.strategies import TTCStrategy
from mechanisms.ttc.auction import Bid
from mechanisms.ttc.markets import TTCMechanism


class TTCProvider(mesa.Agent):
    """A provider in the TTC market: its strategy and its current offer (level and price).

    The agent asks its strategy for an action and hands it to the mechanism, which turns it into
    the offer it records (a level posted at its price in the market, a bid in the auction); the
    model computes the observations and settles the market.
    """

    def __init__(self, model: mesa.Model, index: int, name: str, strategy: TTCStrategy, bid: Bid):
        super().__init__(model)
        self.index = index
        self.provider_name = name
        self.strategy = strategy
        self.bid = bid

    @property
    def level(self) -> int:
        """The current compute level index."""
        return self.bid.level

    def revise(self, observation: Any, mechanism: TTCMechanism, rng: np.random.Generator) -> bool:
        """Ask the strategy for an action, record the mechanism's offer; whether it changed."""
        bid = self.next_offer(observation, mechanism, rng)
        changed = bid != self.bid
        self.bid = bid
        return changed

    def next_offer(
        self, observation: Any, mechanism: TTCMechanism, rng: np.random.Generator
    ) -> Bid:
        """The offer the strategy's next action makes, without recording it."""
        action = self.strategy.decide(observation, rng)
        return mechanism.offer(self.model.game, self.index, action)
