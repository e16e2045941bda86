"""Agents of the test-time compute market: provider strategies, bidders and users.

Provider strategies choose a compute level in the pay-for-compute game G (Velasco et al. 2026,
Section 3, better-response dynamics); bidding strategies choose a bid in the reverse second-price
auction G~ (Section 4); a :class:`UserPopulation` is a vectorised population of user agents, each
with its own value per accuracy point and its own rationality, whose choices make the market
shares (the heterogeneous-users extension named in Section 6).

Strategies are small classes with a ``name``, a ``classifier`` dict and one pure decision method
that receives a read-only observation and the random generator it may use (STYLE.md, items 1-2).
The game maths (utilities, improving moves, the auction) lives in :mod:`mechanisms.ttc`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import mesa
import numpy as np

from market.core.errors import UserInputError
from market.core.registry import Registry
from mechanisms.ttc.game import Bid, TTCGame, truthful_bid

PROVIDER_STRATEGIES: Registry[type[ProviderStrategy]] = Registry("provider strategy")
BIDDING_STRATEGIES: Registry[type[BiddingStrategy]] = Registry("bidding strategy")


# --------------------------------------------------------------------------------------------
# Observations (read-only records handed to the decision methods)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderObservation:
    """What a provider sees when it may revise its compute level in the game G.

    Attributes:
        provider: index of the provider.
        current: its current level index.
        utilities: ``(L,)`` its utility ``U_i(theta; theta_-i)`` at each of its levels, the
            others fixed (Eq. 4).
        improving: level indices that strictly raise its utility (relative tolerance applied).
        contribution: ``(L,)`` its welfare contribution ``W_i(theta) = q_i - c_i`` (Eq. 5).
        log_utilities: ``(L,)`` ``log U_i`` at each level, exact where ``utilities`` underflows
            (a losing provider's share at beta = 1e6 is far below the float range, so its plain
            utilities all read 0). Strategies that compare utilities compare these. Defaults to
            ``log(utilities)`` for hand-built observations.
    """

    provider: int
    current: int
    utilities: np.ndarray
    improving: tuple[int, ...]
    contribution: np.ndarray
    log_utilities: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.log_utilities is None:
            with np.errstate(divide="ignore"):
                log_u = np.log(np.asarray(self.utilities, dtype=float))
            object.__setattr__(self, "log_utilities", log_u)

    @property
    def n_levels(self) -> int:
        """Number of compute levels L."""
        return len(self.utilities)


@dataclass(frozen=True)
class BidderObservation:
    """What a bidder sees in the auction G~: the (read-only, frozen) game and its own index."""

    provider: int
    game: TTCGame


# --------------------------------------------------------------------------------------------
# Provider strategies (game G)
# --------------------------------------------------------------------------------------------


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


class ProviderStrategy(ComparedByValue):
    """Base class of provider strategies: ``choose_level(observation, rng) -> level``.

    Returning the current level means "stay".

    Classifier keys: ``stochastic`` (uses the generator), ``better_response`` (only ever moves to
    a strictly improving level, so it never lowers its own utility), ``mechanisms`` (which
    mechanisms it plays), ``observes`` (what it reads from the observation).
    """

    name: ClassVar[str] = ""
    classifier: ClassVar[dict[str, Any]] = {}

    def choose_level(self, observation: ProviderObservation, rng: np.random.Generator) -> int:
        """The level index to play next."""
        raise NotImplementedError


_BETTER_RESPONSE = {"better_response": True, "mechanisms": ("pay-for-compute",)}
_COMMITTED = {"better_response": False, "mechanisms": ("pay-for-compute",)}


@PROVIDER_STRATEGIES.register
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


@PROVIDER_STRATEGIES.register
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


@PROVIDER_STRATEGIES.register
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


@PROVIDER_STRATEGIES.register
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


@PROVIDER_STRATEGIES.register
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


@PROVIDER_STRATEGIES.register
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


class BiddingStrategy(ComparedByValue):
    """Base class: ``choose_bid(observation, rng) -> Bid`` for the reverse second-price auction.

    Classifier keys: ``stochastic``, ``truthful`` (plays the dominant strategy of Theorem 5),
    ``mechanisms``, ``observes``.
    """

    name: ClassVar[str] = ""
    classifier: ClassVar[dict[str, Any]] = {}

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
    return _build(PROVIDER_STRATEGIES.get(name, "strategy"), params)


def make_bidding_strategy(name: str, **params: Any) -> BiddingStrategy:
    """Build a registered bidding strategy by name (unknown name -> ``UserInputError``)."""
    return _build(BIDDING_STRATEGIES.get(name, "bidding"), params)


def _build(cls: type, params: dict[str, Any]) -> Any:
    try:
        return cls(**params)
    except TypeError:
        raise UserInputError(cls.name, "parameters it accepts", sorted(params)) from None


# --------------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserPopulation:
    """A population of user agents, one row per user, choosing providers each round.

    User ``u`` values provider ``i`` at level ``theta`` as ``V_ui = w_u q_i(theta) - p_i(theta)``:
    ``w_u`` is the user's value per accuracy point relative to the game's calibration (the game's
    quality already carries the representative user's ``alpha`` dollars per point, so a user who
    values a point at ``a_u`` dollars has ``w_u = a_u / alpha``). Each user has its own rationality
    ``beta_u`` (``math.inf`` = perfectly rational) and abstains with value ``v0``. Choices are drawn
    for all users at once (Gumbel-max trick), never in a Python loop per user.

    Identical users with ``w_u = 1`` and ``beta_u = beta`` reproduce the logit shares of the
    paper's Table 1 as the population grows.

    Attributes:
        quality_weight: ``(U,)`` value per accuracy point relative to the game's ``alpha``.
        beta: ``(U,)`` rationality per user, > 0, ``inf`` allowed.
        v0: abstention value V_0 shared by the users.

    References:
        Velasco et al. (2026), Table 1 (share functions), footnote 8 (random utility models),
        Section 6 (heterogeneous users as future work).
    """

    quality_weight: np.ndarray
    beta: np.ndarray
    v0: float = 0.0
    _perfect: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        weight = np.asarray(self.quality_weight, dtype=float).reshape(-1)
        beta = np.asarray(self.beta, dtype=float).reshape(-1)
        if beta.size == 1 and weight.size > 1:
            beta = np.full(weight.size, float(beta[0]))
        if weight.size == 0:
            raise UserInputError("users", "at least one user", 0)
        if beta.shape != weight.shape:
            raise UserInputError("beta", f"one rationality per user ({weight.size})", beta.size)
        if not np.all(np.isfinite(weight)) or np.any(weight < 0):
            raise UserInputError("quality_weight", "finite values >= 0", "NaN/inf or negative")
        if np.any(np.isnan(beta)) or np.any(beta <= 0):
            raise UserInputError("beta", "rationalities > 0 (inf allowed)", "NaN or <= 0")
        if not math.isfinite(self.v0):
            raise UserInputError("v0", "a finite abstention value", self.v0)
        object.__setattr__(self, "quality_weight", weight)
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "_perfect", np.isinf(beta))

    @classmethod
    def identical(
        cls, n_users: int, beta: float, quality_weight: float = 1.0, v0: float = 0.0
    ) -> UserPopulation:
        """``n_users`` copies of the representative user of the paper."""
        if n_users < 1:
            raise UserInputError("n_users", "at least 1", n_users)
        return cls(np.full(n_users, float(quality_weight)), np.full(n_users, float(beta)), v0)

    @classmethod
    def heterogeneous(
        cls,
        n_users: int,
        rng: np.random.Generator,
        *,
        beta: float,
        weight_spread: float = 0.5,
        beta_spread: float = 1.0,
        v0: float = 0.0,
    ) -> UserPopulation:
        """Users with log-normal value per point and log-normal rationality.

        Medians 1 and ``beta``; ``beta = inf`` makes every user perfectly rational.

        Args:
            n_users: population size.
            rng: the generator to draw the users with.
            beta: median rationality.
            weight_spread: standard deviation of ``log w_u``.
            beta_spread: standard deviation of ``log beta_u``.
            v0: abstention value.
        """
        if n_users < 1:
            raise UserInputError("n_users", "at least 1", n_users)
        if not (beta > 0):
            raise UserInputError("beta", "a rationality > 0 (inf allowed)", beta)
        if weight_spread < 0 or beta_spread < 0:
            raise UserInputError("spread", "standard deviations >= 0", (weight_spread, beta_spread))
        weight = np.exp(weight_spread * rng.standard_normal(n_users))
        betas = np.full(n_users, math.inf)
        if math.isfinite(beta):
            betas = beta * np.exp(beta_spread * rng.standard_normal(n_users))
        return cls(weight, betas, v0)

    @property
    def n_users(self) -> int:
        """Number of users U."""
        return int(self.quality_weight.size)

    def user_values(self, quality: np.ndarray, price: np.ndarray) -> np.ndarray:
        """Each user's value of each offer: ``(..., N)`` quality and price -> ``(..., U, N)``."""
        quality = np.asarray(quality, dtype=float)[..., None, :]
        price = np.asarray(price, dtype=float)[..., None, :]
        return self.quality_weight[:, None] * quality - price

    def log_choice_probabilities(self, values: np.ndarray) -> np.ndarray:
        """Each user's log choice probabilities ``(..., U, N + 1)``; abstention is last.

        Logit rows (finite ``beta_u``) are log-softmaxes ``beta_u (V - max V) - log sum exp``,
        exact however small the probability (beta = 1e6 and value gaps of 1e-3 give
        probabilities far below the float range, whose logs are still ordinary numbers);
        perfectly rational rows split equally among the best offers (abstention included) and
        are ``-inf`` elsewhere.
        """
        values = np.asarray(values, dtype=float)
        options = np.concatenate([values, np.full((*values.shape[:-1], 1), self.v0)], axis=-1)
        best = options.max(axis=-1, keepdims=True)
        finite_beta = np.where(self._perfect, 1.0, self.beta)[:, None]
        scaled = finite_beta * (options - best)
        logit = scaled - np.log(np.exp(scaled).sum(axis=-1, keepdims=True))
        winners = options == best
        with np.errstate(divide="ignore"):
            perfect = np.where(winners, -np.log(winners.sum(axis=-1, keepdims=True)), -np.inf)
        return np.where(self._perfect[:, None], perfect, logit)

    def choice_probabilities(self, values: np.ndarray) -> np.ndarray:
        """Each user's choice probabilities ``(..., U, N + 1)``; the last column is abstention."""
        return np.exp(self.log_choice_probabilities(values))

    def log_expected_shares(self, values: np.ndarray) -> np.ndarray:
        """Log population shares ``(..., N + 1)``: the users' probabilities averaged in log space.

        ``log s = log(mean_u exp(log P_u))``, a log-mean-exp over users, so a provider whose
        every user picks it with probability ``1e-400`` keeps log share ``-921`` instead of 0.
        """
        return log_mean_exp(self.log_choice_probabilities(values), axis=-2)

    def expected_shares(self, values: np.ndarray) -> np.ndarray:
        """Population market shares ``(..., N + 1)``, abstention last (mean over users)."""
        return self.choice_probabilities(values).mean(axis=-2)

    def draw_choices(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One choice per user, ``(U,)`` provider indices with ``N`` meaning "abstain".

        Logit users pick ``argmax(beta_u V_ui + Gumbel)``, which has exactly the logit law;
        perfectly rational users pick a best offer, ties broken uniformly.

        Args:
            values: ``(U, N)`` user values.
            rng: the generator to draw with.
        """
        values = np.asarray(values, dtype=float)
        options = np.concatenate([values, np.full((values.shape[0], 1), self.v0)], axis=-1)
        noise = rng.gumbel(size=options.shape)
        finite_beta = np.where(self._perfect, 0.0, self.beta)[:, None]
        best = options == options.max(axis=-1, keepdims=True)
        score = np.where(
            self._perfect[:, None],
            np.where(best, noise, -np.inf),
            finite_beta * (options - options.max(axis=-1, keepdims=True)) + noise,
        )
        return np.argmax(score, axis=-1)

    def realised_shares(self, choices: np.ndarray, n_providers: int) -> np.ndarray:
        """Fractions of users choosing each provider ``(N + 1,)`` (abstention last)."""
        return np.bincount(choices, minlength=n_providers + 1) / choices.size


def log_mean_exp(log_values: np.ndarray, axis: int) -> np.ndarray:
    """``log(mean(exp(log_values)))`` along ``axis``, stable (``-inf`` where all are ``-inf``)."""
    log_values = np.asarray(log_values, dtype=float)
    top = log_values.max(axis=axis, keepdims=True)
    safe_top = np.where(np.isfinite(top), top, 0.0)
    total = np.exp(log_values - safe_top).sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        result = safe_top + np.log(total) - math.log(log_values.shape[axis])
    return np.squeeze(result, axis=axis)


# --------------------------------------------------------------------------------------------
# Mesa agent
# --------------------------------------------------------------------------------------------


class TTCProvider(mesa.Agent):
    """A provider in the TTC market: its level (game G) or bid (auction G~) and its strategies.

    The agent only hands observations to its strategy and records the answer; the model computes
    the observations and runs the mechanism.
    """

    def __init__(
        self,
        model: mesa.Model,
        index: int,
        name: str,
        strategy: ProviderStrategy,
        bidding: BiddingStrategy,
        level: int,
        bid: Bid,
    ):
        super().__init__(model)
        self.index = index
        self.provider_name = name
        self.strategy = strategy
        self.bidding = bidding
        self.level = level
        self.bid = bid

    def revise_level(self, observation: ProviderObservation, rng: np.random.Generator) -> bool:
        """Ask the strategy for a level; returns whether the provider moved."""
        level = int(self.strategy.choose_level(observation, rng))
        moved = level != self.level
        self.level = level
        return moved

    def revise_bid(self, observation: BidderObservation, rng: np.random.Generator) -> bool:
        """Ask the bidding strategy for a bid; returns whether the bid changed."""
        bid = self.bidding.choose_bid(observation, rng)
        changed = bid != self.bid
        self.bid = bid
        self.level = bid.level
        return changed
