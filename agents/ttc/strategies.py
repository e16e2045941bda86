"""Strategies of the test-time compute market: provider strategies and bidding strategies.

Provider strategies choose a compute level in the pay-for-compute game G (Velasco et al. 2026,
Section 3, better-response dynamics); bidding strategies choose a bid in the reverse second-price
auction G~ (Section 4).

Strategies are small classes with a ``name``, a ``classifier`` dict and one pure decision method
that receives a read-only observation and the random generator it may use (STYLE.md, items 1-2):
``choose_level`` or ``choose_bid``, both reached through the generic :meth:`TTCStrategy.decide`,
so the model asks a strategy for its action without knowing which kind it holds. The
observations and the game maths (utilities, improving moves, the auction) live in
:mod:`mechanisms.ttc`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from market.core.errors import UserInputError
from market.core.registry import Registry
from mechanisms.ttc.auction import Bid, truthful_bid
from mechanisms.ttc.markets import BidderObservation, ProviderObservation

STRATEGIES: Registry[type[ProviderStrategy]] = Registry("provider strategy")
BIDDING_STRATEGIES: Registry[type[BiddingStrategy]] = Registry("bidding strategy")


class ComparedByValue:
    """Equal when of one class with the same parameters.

    Pickling, determinism tests and registries compare strategies this way.
    """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(vars(self).items()))))


class TTCStrategy(ComparedByValue):
    """Base of every TTC strategy: one generic decision entry point, :meth:`decide`.

    Classifier keys shared by all: ``stochastic`` (uses the generator), ``mechanisms`` (the
    names of the mechanisms it plays), ``observes`` (what it reads from the observation).
    """

    name: ClassVar[str] = ""
    classifier: ClassVar[dict[str, Any]] = {}

    def decide(self, observation: Any, rng: np.random.Generator) -> Any:
        """The action to hand to the mechanism (a level index or a :class:`Bid`)."""
        raise NotImplementedError


class ProviderStrategy(TTCStrategy):
    """Base class of provider strategies: ``choose_level(observation, rng) -> level``.

    Returning the current level means "stay".

    Classifier keys: those of :class:`TTCStrategy` and ``better_response`` (only ever moves to
    a strictly improving level, so it never lowers its own utility).
    """

    def decide(self, observation: ProviderObservation, rng: np.random.Generator) -> int:
        """The level index to play next (:meth:`choose_level`)."""
        return self.choose_level(observation, rng)

    def choose_level(self, observation: ProviderObservation, rng: np.random.Generator) -> int:
        """The level index to play next."""
        raise NotImplementedError


_BETTER_RESPONSE = {"better_response": True, "mechanisms": ("pay-for-compute",)}
_COMMITTED = {"better_response": False, "mechanisms": ("pay-for-compute",)}


@STRATEGIES.register
class BestResponse(ProviderStrategy):
    """Move to the level with the highest utility when it strictly improves; else stay.

    Levels are ranked by their log-utilities, which stay exact when plain utilities underflow
    (very rational users). Ties between equally good improving levels go to the one nearest the
    current level, then the lower one.

    References:
        Velasco et al. (2026), Section 3 (better-response dynamics), Eq. 4 and Eq. 6.
    """

    name = "best-response"
    classifier: ClassVar[dict[str, Any]] = {
        **_BETTER_RESPONSE,
        "stochastic": False,
        "observes": ("log_utilities",),
    }

    def choose_level(self, observation: ProviderObservation, rng: np.random.Generator) -> int:
        """The best improving level, or the current one when none improves."""
        if not observation.improving:
            return observation.current
        improving = np.asarray(observation.improving)
        log_utilities = np.asarray(observation.log_utilities)[improving]
        best = improving[log_utilities == log_utilities.max()]
        distance = np.abs(best - observation.current)
        return int(best[np.lexsort((best, distance))[0]])


@STRATEGIES.register
class RandomImprovingMove(ProviderStrategy):
    """Move to a strictly improving level drawn uniformly at random; stay when none improves.

    References:
        Velasco et al. (2026), Section 3: any better-response path ends at a pure Nash
        equilibrium (Theorem 1).
    """

    name = "random-improving"
    classifier: ClassVar[dict[str, Any]] = {
        **_BETTER_RESPONSE,
        "stochastic": True,
        "observes": ("improving",),
    }

    def choose_level(self, observation: ProviderObservation, rng: np.random.Generator) -> int:
        """A uniformly drawn improving level, or the current one."""
        if not observation.improving:
            return observation.current
        return int(observation.improving[rng.integers(len(observation.improving))])


@STRATEGIES.register
class NearestImprovingMove(ProviderStrategy):
    """The authors' rule: move to the closest strictly improving level.

    The lower level goes first at equal distance; stay when none improves.

    References:
        Velasco et al. (2026), Section 3 and Figure 2 (their public code searches distance
        1, 2, ... from the current level, lower level first, relative tolerance 1e-8).
    """

    name = "nearest-improving"
    classifier: ClassVar[dict[str, Any]] = {
        **_BETTER_RESPONSE,
        "stochastic": False,
        "observes": ("improving",),
    }

    def choose_level(self, observation: ProviderObservation, rng: np.random.Generator) -> int:
        """The improving level nearest the current one, or the current one."""
        if not observation.improving:
            return observation.current
        improving = np.asarray(observation.improving)
        distance = np.abs(improving - observation.current)
        return int(improving[np.lexsort((improving, distance))[0]])


@STRATEGIES.register
class FixedLevel(ProviderStrategy):
    """Always play one given level (a committed, non-strategic provider).

    Args:
        level: the level index to play.

    References:
        Velasco et al. (2026), Section 2 (a provider's action is a level in Theta).
    """

    name = "fixed-level"
    classifier: ClassVar[dict[str, Any]] = {
        **_COMMITTED,
        "stochastic": False,
        "observes": (),
    }

    def __init__(self, level: int = 0):
        if not isinstance(level, int | np.integer) or level < 0:
            raise UserInputError("level", "a level index >= 0", level)
        self.level = int(level)

    def __repr__(self) -> str:
        return f"FixedLevel(level={self.level})"

    def choose_level(self, observation: ProviderObservation, rng: np.random.Generator) -> int:
        """The fixed level."""
        if self.level >= observation.n_levels:
            raise UserInputError("level", f"a level index below {observation.n_levels}", self.level)
        return self.level


@STRATEGIES.register
class MaximumCompute(ProviderStrategy):
    """Always play the highest compute level (the profit-maximising corner of assumption 2).

    References:
        Velasco et al. (2026), Eq. 2 (profit increases with compute) and Theorem 2.
    """

    name = "maximum-compute"
    classifier: ClassVar[dict[str, Any]] = {
        **_COMMITTED,
        "stochastic": False,
        "observes": ("n_levels",),
    }

    def choose_level(self, observation: ProviderObservation, rng: np.random.Generator) -> int:
        """The highest level index."""
        return observation.n_levels - 1


@STRATEGIES.register
class SociallyOptimalLevel(ProviderStrategy):
    """Always play ``theta_i* = argmax_theta W_i(theta)`` (the socially optimal level).

    That is the level maximising the provider's own welfare contribution ``q_i - c_i``
    (lowest such level on ties).

    References:
        Velasco et al. (2026), Eq. 5 and Theorem 4 (the idealised profile theta*).
    """

    name = "socially-optimal"
    classifier: ClassVar[dict[str, Any]] = {
        **_COMMITTED,
        "stochastic": False,
        "observes": ("contribution",),
    }

    def choose_level(self, observation: ProviderObservation, rng: np.random.Generator) -> int:
        """The level maximising ``W_i``."""
        return int(np.argmax(observation.contribution))


# --------------------------------------------------------------------------------------------
# Bidding strategies (auction G~)
# --------------------------------------------------------------------------------------------


class BiddingStrategy(TTCStrategy):
    """Base class: ``choose_bid(observation, rng) -> Bid`` for the reverse second-price auction.

    Classifier keys: those of :class:`TTCStrategy` and ``truthful`` (plays the dominant
    strategy of Theorem 5).
    """

    def decide(self, observation: BidderObservation, rng: np.random.Generator) -> Bid:
        """The bid to submit (:meth:`choose_bid`)."""
        return self.choose_bid(observation, rng)

    def choose_bid(self, observation: BidderObservation, rng: np.random.Generator) -> Bid:
        """The bid (level index and price) to submit."""
        raise NotImplementedError


@BIDDING_STRATEGIES.register
class TruthfulBid(BiddingStrategy):
    """Bid the level maximising ``W_i`` and price it at its generation cost (dominant).

    References:
        Velasco et al. (2026), Theorem 5 and Eq. 10-11.
    """

    name = "truthful"
    classifier: ClassVar[dict[str, Any]] = {
        "stochastic": False,
        "truthful": True,
        "mechanisms": ("second-price-auction",),
        "observes": ("quality", "cost"),
    }

    def choose_bid(self, observation: BidderObservation, rng: np.random.Generator) -> Bid:
        """The truthful bid of Theorem 5."""
        return truthful_bid(observation.game, observation.provider)


@BIDDING_STRATEGIES.register
class PriceFactorBid(BiddingStrategy):
    """Bid the truthful level but a price of ``factor x cost``.

    Shading (factor < 1) or inflating (factor > 1); factor 1 is truthful.

    Args:
        factor: multiplier on the generation cost, > 0.

    References:
        Velasco et al. (2026), Theorem 5 and Appendix B.5 (no price deviation pays).
    """

    name = "price-factor"
    classifier: ClassVar[dict[str, Any]] = {
        "stochastic": False,
        "truthful": False,
        "mechanisms": ("second-price-auction",),
        "observes": ("quality", "cost"),
    }

    def __init__(self, factor: float = 1.0):
        if not math.isfinite(factor) or factor <= 0:
            raise UserInputError("factor", "a finite price factor > 0", factor)
        self.factor = float(factor)

    def __repr__(self) -> str:
        return f"PriceFactorBid(factor={self.factor})"

    def choose_bid(self, observation: BidderObservation, rng: np.random.Generator) -> Bid:
        """The truthful level at ``factor`` times its cost."""
        truthful = truthful_bid(observation.game, observation.provider)
        cost = float(observation.game.cost[observation.provider, truthful.level])
        return Bid(level=truthful.level, price=self.factor * cost)


@BIDDING_STRATEGIES.register
class FixedLevelBid(BiddingStrategy):
    """Bid one given level, priced at its generation cost.

    Args:
        level: the level index to bid.

    References:
        Velasco et al. (2026), Theorem 5 and Appendix B.5 (no level deviation pays).
    """

    name = "fixed-level"
    classifier: ClassVar[dict[str, Any]] = {
        "stochastic": False,
        "truthful": False,
        "mechanisms": ("second-price-auction",),
        "observes": ("cost",),
    }

    def __init__(self, level: int = 0):
        if not isinstance(level, int | np.integer) or level < 0:
            raise UserInputError("level", "a level index >= 0", level)
        self.level = int(level)

    def __repr__(self) -> str:
        return f"FixedLevelBid(level={self.level})"

    def choose_bid(self, observation: BidderObservation, rng: np.random.Generator) -> Bid:
        """The fixed level at its cost."""
        game = observation.game
        if self.level >= game.n_levels:
            raise UserInputError("level", f"a level index below {game.n_levels}", self.level)
        return Bid(level=self.level, price=float(game.cost[observation.provider, self.level]))


def make_provider_strategy(name: str, **params: Any) -> ProviderStrategy:
    """Build a registered provider strategy by name (unknown name -> ``UserInputError``)."""
    return _build(STRATEGIES.get(name, "strategy"), params)


def make_bidding_strategy(name: str, **params: Any) -> BiddingStrategy:
    """Build a registered bidding strategy by name (unknown name -> ``UserInputError``)."""
    return _build(BIDDING_STRATEGIES.get(name, "bidding"), params)


def _build(cls: type, params: dict[str, Any]) -> Any:
    try:
        return cls(**params)
    except TypeError:
        raise UserInputError(cls.name, "parameters it accepts", sorted(params)) from None
