"""Mesa agents of the ROSA game: bidding providers and the platform that runs ROSA.

A :class:`ProviderAgent` holds a private per-query cost and a bidding strategy; it bids once,
before the rounds, through the strategy's pure ``bid`` method. The :class:`PlatformAgent` is the
user's side: it runs ROSA and the learner over the query rounds. The model hands it the market
engine (a one-row batch, :class:`market.rosa.engine.MarketBatch`) so this module imports nothing
above ``market.core`` and the game's mechanisms.

References:
    Patra et al. (2026), Setting and Def. 4; ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

import mesa
import numpy as np

from agents.rosa.strategies import BidderView, BiddingStrategy


class ProviderAgent(mesa.Agent):
    """A provider with a private cost ``c_i`` that bids once (single-parameter domain).

    Args:
        model: the market.
        index: the provider's position (0-based); its name is ``P<index + 1>``.
        cost: the private per-query cost.
        strategy: the bidding strategy.
        view: the public cost support, with this provider's cost.
    """

    def __init__(self, model: mesa.Model, index: int, cost: float, strategy: BiddingStrategy, view):
        super().__init__(model)
        self.index = index
        self.cost = float(cost)
        self.strategy = strategy
        self.bid = strategy.bid(BidderView(self.cost, view.c_lo, view.c_hi), model.strategy_rng)

    @property
    def name(self) -> str:
        """Display name (``P1``, ``P2``, ...)."""
        return f"P{self.index + 1}"

    @property
    def market(self):
        """The platform's engine (one row)."""
        return self.model.platform.engine

    @property
    def rounds_served(self) -> int:
        """Rounds this provider has served so far."""
        return int(self.market.served[0, self.index])

    @property
    def payments(self) -> float:
        """Payments received so far."""
        return float(self.market.payments[0, self.index])

    @property
    def utility(self) -> float:
        """Payments minus the true cost of every round served."""
        return float(self.market.provider_utility[0, self.index])

    @property
    def flagged(self) -> bool:
        """Whether ROSA resampled this provider's bid."""
        return bool(self.market.flagged[0, self.index])

    @property
    def modified_bid(self) -> float:
        """The bid the learner sees (the ROSA-resampled bid when flagged)."""
        return float(self.market.modified_bids[0, self.index])


class PlatformAgent(mesa.Agent):
    """The user's platform: runs ROSA and the learner, round by round.

    Args:
        model: the market.
        engine: a one-row market engine with ``advance(rounds)``, ``finished`` and tallies.
    """

    def __init__(self, model: mesa.Model, engine):
        super().__init__(model)
        self.engine = engine

    @property
    def rounds(self) -> int:
        """Query rounds played so far."""
        return int(self.engine.t)

    @property
    def finished(self) -> bool:
        """Whether the horizon is played."""
        return bool(self.engine.finished)

    def serve(self, rounds: int) -> int:
        """Play up to ``rounds`` query rounds; returns how many were played."""
        return self.engine.advance(rounds)

    @property
    def regret(self) -> float:
        """Cumulative virtual-surplus regret against the clairvoyant benchmark."""
        return float(self.engine.regret[0])

    @property
    def user_utility(self) -> float:
        """Realised rewards minus payments so far."""
        return float(self.engine.user_utility[0])

    @property
    def clairvoyant_utility(self) -> float:
        """The clairvoyant auction's expected user utility over the same rounds."""
        return float(self.engine.clairvoyant_utility[0])

    @property
    def payments(self) -> float:
        """Total payments so far."""
        return float(np.sum(self.engine.payments[0]))
