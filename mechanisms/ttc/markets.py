"""The TTC mechanisms as peers: what each reveals to a provider and how it settles a round.

A mechanism turns a provider's action into an offer (:meth:`TTCMechanism.offer`: a level
becomes the posted offer ``Bid(level, p_i(level))`` in the pay-for-compute market; a bid is
itself in the auction), shows a provider what it may react to (:meth:`~TTCMechanism.observe`),
lists its strictly improving actions (:meth:`~TTCMechanism.improving`), settles a round
(:meth:`~TTCMechanism.settle`, through its named phases) and knows the best welfare its market
can reach (:meth:`~TTCMechanism.best_welfare`). The Mesa model only schedules and records, so a
new mechanism is one class here and one registry line.

Simulated users are duck-typed (:class:`mechanisms.ttc.settlement.Users`, implemented by
:class:`agents.ttc.users.UserPopulation`), so the mechanisms never import the agents.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Sections 2-4, Table 1, Eqs. 3-13,
    Theorems 1 and 5.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from market.core.errors import UserInputError
from market.core.registry import Registry
from mechanisms.ttc.auction import (
    Bid,
    allocate_to_highest_value,
    auction_equilibrium,
    auction_max_welfare,
    bid_values,
    second_price_outcome,
    truthful_bid,
    truthful_bid_improves,
)
from mechanisms.ttc.game import TTCGame
from mechanisms.ttc.optimum import max_welfare
from mechanisms.ttc.responses import (
    DEFAULT_RTOL,
    deviation_log_utilities,
    deviation_utilities,
    strictly_improving_levels,
)
from mechanisms.ttc.settlement import (
    Demand,
    Settlement,
    Users,
    offered_levels,
    pay_posted_prices,
    posted_offer,
    share_function_demand,
    simulated_demand,
    simulated_deviation_log_utilities,
)

# --- what a mechanism reveals ------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderObservation:
    """What a provider sees when it may revise its compute level in the game G.

    Attributes:
        provider: its 0-based index into the game's arrays (``Provider provider + 1``).
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
    """What a bidder sees in the auction G~: the (read-only, frozen) game and its own index.

    ``provider`` is its 0-based index into the game's arrays (``Provider provider + 1``).
    """

    provider: int
    game: TTCGame


# --- the mechanisms ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PayForComputeParams:
    """Parameters of the pay-for-compute market.

    Attributes:
        rtol: Relative tolerance on "strictly improving" moves, ``U' > U (1 + rtol)`` (the
            authors use 1e-8): what the market shows providers as improving, and its
            equilibrium check.
    """

    rtol: float = DEFAULT_RTOL

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rtol) and 0 <= self.rtol < 1):
            raise UserInputError("rtol", "a relative tolerance in [0, 1)", self.rtol)


@dataclass(frozen=True)
class SecondPriceAuctionParams:
    """Parameters of the reverse second-price scoring auction: the paper's rule has none.

    Ties in bid value, which the paper assumes away, go to the lower provider index.
    """


MECHANISMS: Registry[type[TTCMechanism]] = Registry("mechanism")


class TTCMechanism:
    """Base class of the TTC mechanisms: peers the model settles each round through.

    Class attributes: ``name``, ``classifier`` (``action`` says what its strategies return:
    ``"level"`` or ``"bid"``), ``phases`` (the methods :meth:`settle` runs, in order),
    ``Params`` (a frozen, validated dataclass) and ``accepts_users`` (whether simulated users
    may make the demand).
    """

    name: ClassVar[str] = ""
    classifier: ClassVar[dict[str, Any]] = {}
    phases: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type] = type(None)
    accepts_users: ClassVar[bool] = False

    def __init__(self, params: Any = None):
        self.params = self.Params() if params is None else params
        if not isinstance(self.params, self.Params):
            raise UserInputError("params", f"a {self.Params.__name__}", type(params).__name__)

    @classmethod
    def configured(cls, **options: Any) -> TTCMechanism:
        """The mechanism built from the ``options`` its ``Params`` declare (others do not apply)."""
        names = {f.name for f in dataclasses.fields(cls.Params)}
        return cls(cls.Params(**{k: v for k, v in options.items() if k in names}))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"

    def check_users(self, users: Users | None) -> None:
        """Refuse a simulated population when this mechanism settles without users."""
        if users is not None and not self.accepts_users:
            raise UserInputError("users", "no user population under this mechanism", self.name)

    def offer(self, game: TTCGame, i: int, action: Any) -> Bid:
        """Provider ``i``'s action as the offer the mechanism records."""
        raise NotImplementedError

    def observe(self, game: TTCGame, bids: Sequence[Bid], i: int, users: Users | None) -> Any:
        """What provider ``i`` may react to."""
        raise NotImplementedError

    def improving(
        self, game: TTCGame, bids: Sequence[Bid], i: int, users: Users | None
    ) -> tuple[Any, ...]:
        """Actions that strictly raise provider ``i``'s utility, the others fixed."""
        raise NotImplementedError

    def settle(
        self,
        game: TTCGame,
        bids: Sequence[Bid],
        users: Users | None = None,
        rng: np.random.Generator | None = None,
    ) -> Settlement:
        """Settle one round (``rng`` draws the simulated users' choices)."""
        raise NotImplementedError

    def best_welfare(self, game: TTCGame, users: Users | None = None) -> float:
        """The best welfare this market can reach (NaN when not available)."""
        raise NotImplementedError

    def is_equilibrium(
        self, game: TTCGame, bids: Sequence[Bid], users: Users | None = None
    ) -> bool:
        """Whether no provider has a strictly improving action (a pure Nash equilibrium)."""
        return not any(self.improving(game, bids, i, users) for i in range(game.n_providers))


@MECHANISMS.register
class PayForCompute(TTCMechanism):
    """The status-quo market: providers pick compute, users pay its price (game G).

    Phases: each provider's level becomes its posted offer (``offer``); users split their
    queries by offered value (``split_demand``, Table 1 or simulated users); users pay
    ``p_i(theta_i)`` and providers earn ``s_i (p_i - c_i)`` (``pay``).

    References:
        Velasco et al. (2026), Section 2, Eqs. 3-5, Table 1; Section 3 (better responses).
    """

    name: ClassVar[str] = "pay-for-compute"
    classifier: ClassVar[dict[str, Any]] = {
        "game": "ttc",
        "kind": "market",
        "action": "level",
        "payment": "price per compute",
        "efficient": False,
        "reference": "Velasco et al. 2026, Section 2",
    }
    phases: ClassVar[tuple[str, ...]] = ("offer", "split_demand", "pay")
    Params: ClassVar[type] = PayForComputeParams
    accepts_users: ClassVar[bool] = True

    def offer(self, game: TTCGame, i: int, action: int) -> Bid:
        """The level ``action`` posted at its price ``p_i(theta)``."""
        return posted_offer(game, i, action)

    def split_demand(
        self,
        game: TTCGame,
        bids: Sequence[Bid],
        users: Users | None = None,
        rng: np.random.Generator | None = None,
    ) -> Demand:
        """Where queries go: the share function of Table 1, or each simulated user's choice."""
        profile = offered_levels(game, bids)
        if users is None:
            return share_function_demand(game, profile)
        return simulated_demand(game, profile, users, rng)

    def pay(self, game: TTCGame, bids: Sequence[Bid], demand: Demand) -> Settlement:
        """Users pay the posted prices; utilities, welfare and potential (Eqs. 4, 5, 7)."""
        return pay_posted_prices(game, offered_levels(game, bids), demand)

    def settle(self, game, bids, users=None, rng=None) -> Settlement:
        """``pay`` after ``split_demand``."""
        return self.pay(game, bids, self.split_demand(game, bids, users, rng))

    def log_utilities(
        self, game: TTCGame, profile: Sequence[int], i: int, users: Users | None
    ) -> np.ndarray:
        """``(L,)`` provider ``i``'s log-utility at each level, the others fixed (Eq. 22)."""
        if users is None:
            return deviation_log_utilities(game, profile, i)
        return simulated_deviation_log_utilities(game, profile, i, users)

    def observe(self, game, bids, i, users=None) -> ProviderObservation:
        """Provider ``i``'s utility at each of its levels and its strictly improving ones."""
        profile = tuple(int(k) for k in offered_levels(game, bids))
        log_utilities = self.log_utilities(game, profile, i, users)
        if users is None:
            utilities = deviation_utilities(game, profile, i)
        else:
            utilities = np.exp(log_utilities)
        return ProviderObservation(
            provider=i,
            current=profile[i],
            utilities=utilities,
            improving=strictly_improving_levels(log_utilities, profile[i], self.params.rtol),
            contribution=game.contribution[i],
            log_utilities=log_utilities,
        )

    def improving(self, game, bids, i, users=None) -> tuple[int, ...]:
        """Provider ``i``'s strictly improving levels (``U' > U (1 + rtol)``)."""
        profile = tuple(int(k) for k in offered_levels(game, bids))
        log_utilities = self.log_utilities(game, profile, i, users)
        return strictly_improving_levels(log_utilities, profile[i], self.params.rtol)

    def best_welfare(self, game: TTCGame, users: Users | None = None) -> float:
        """Exact ``max W`` under the share function (Eq. 9); NaN with simulated users."""
        if users is not None:
            return math.nan  # no exact optimum for simulated (heterogeneous) users
        return float(max_welfare(game).welfare)


@MECHANISMS.register
class SecondPriceAuction(TTCMechanism):
    """The reverse second-price scoring auction (game G~).

    Phases: providers bid ``(q_i(theta_i), p_i)`` (``offer``); the platform allocates the task
    to the highest bid value (``allocate``); the user pays the second-price payment of Eq. 10
    (``pay``).

    References:
        Velasco et al. (2026), Section 4, Eqs. 10-13, Theorem 5.
    """

    name: ClassVar[str] = "second-price-auction"
    classifier: ClassVar[dict[str, Any]] = {
        "game": "ttc",
        "kind": "auction",
        "action": "bid",
        "payment": "second price (Eq. 10)",
        "efficient": True,
        "reference": "Velasco et al. 2026, Section 4",
    }
    phases: ClassVar[tuple[str, ...]] = ("offer", "allocate", "pay")
    Params: ClassVar[type] = SecondPriceAuctionParams
    accepts_users: ClassVar[bool] = False

    def offer(self, game: TTCGame, i: int, action: Bid) -> Bid:
        """The bid itself."""
        if not isinstance(action, Bid):
            raise UserInputError("bid", "a Bid (level index and price)", action)
        return action

    def allocate(self, game: TTCGame, bids: Sequence[Bid]) -> tuple[int, int]:
        """Winner and runner-up: the two highest bid values (ties to the lower index)."""
        return allocate_to_highest_value(bid_values(game, bids))

    def pay(self, game: TTCGame, bids: Sequence[Bid], allocation: tuple[int, int]) -> Settlement:
        """The user pays Eq. 10; the winner earns Eq. 11, the others nothing."""
        winner, runner_up = allocation
        outcome = second_price_outcome(game, bids, bid_values(game, bids), winner, runner_up)
        shares = (np.arange(game.n_providers) == winner).astype(float)
        return Settlement(
            shares=shares,
            expected_shares=shares,
            abstention=0.0,
            user_value=outcome.user_value,
            price=outcome.payment,
            provider_utility=outcome.utilities,
            welfare=outcome.welfare,
            potential=math.nan,
        )

    def settle(self, game, bids, users=None, rng=None) -> Settlement:
        """``pay`` after ``allocate`` (no users: the auction serves one task)."""
        self.check_users(users)
        return self.pay(game, bids, self.allocate(game, bids))

    def observe(self, game, bids, i, users=None) -> BidderObservation:
        """The game and the bidder's index (its own curves are all it needs)."""
        return BidderObservation(provider=i, game=game)

    def improving(self, game, bids, i, users=None) -> tuple[Bid, ...]:
        """The truthful bid when it earns strictly more (dominant, Theorem 5), else nothing."""
        if truthful_bid_improves(game, bids, i):
            return (truthful_bid(game, i),)
        return ()

    def best_welfare(self, game: TTCGame, users: Users | None = None) -> float:
        """``max_i max_theta W_i(theta)`` (Eq. 13)."""
        return auction_max_welfare(game)

    def is_equilibrium(self, game, bids, users=None) -> bool:
        """Whether no bidder gains by bidding truthfully (Theorem 5)."""
        return auction_equilibrium(game, bids)


def make_mechanism(mechanism: str | TTCMechanism, **options: Any) -> TTCMechanism:
    """A mechanism object: itself, or the registered one called ``mechanism`` with ``options``."""
    if isinstance(mechanism, TTCMechanism):
        return mechanism
    return MECHANISMS.get(mechanism, "mechanism").configured(**options)
