"""The Mesa model of the test-time compute market (Velasco et al. 2026).

One :class:`TTCMarket` step is one round of better-response dynamics: a seeded schedule picks the
provider that may revise, its strategy answers, the mechanism settles the market and the
DataCollector records it. Under the pay-for-compute market (game G, Sections 2-3) the run stops
at a pure Nash equilibrium (Theorem 1 guarantees one is reached by better responses); under the
reverse second-price auction (game G~, Section 4) it stops when no bidder changes its bid. Either
way ``running`` becomes False and ``equilibrium_reached`` says whether the resting profile is a
verified pure Nash equilibrium.

The game maths comes from :mod:`mechanisms.ttc` and :mod:`market.ttc.analysis`; this module only
schedules, observes and records.

Seeds: one root seed (``rng``; drawn from OS entropy and recorded in ``seed`` when omitted, so
every run can be repeated) spawns four child streams with numpy ``SeedSequence.spawn``: the
revision schedule (and stochastic strategies), the users' choices, the random start, and the
drawing of a heterogeneous user population (:func:`population_seed`, used by the CLI).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd

from agents.ttc.strategies import (
    BidderObservation,
    BiddingStrategy,
    ProviderObservation,
    ProviderStrategy,
    TTCProvider,
    UserPopulation,
    make_bidding_strategy,
    make_provider_strategy,
)
from market.core.errors import UserInputError
from market.core.seeds import model_seed
from market.ttc.analysis import is_equilibrium, max_welfare
from mechanisms.ttc.game import (
    MECHANISMS,
    Bid,
    TTCGame,
    deviation_log_utilities,
    deviation_utilities,
    market_outcome,
    run_auction,
    truthful_bid,
)

PAY_FOR_COMPUTE = "pay-for-compute"
SECOND_PRICE_AUCTION = "second-price-auction"
SCHEDULES = ("random-sweep", "uniform", "round-robin")
STARTS = ("lowest", "highest", "random")


@dataclass(frozen=True)
class MarketState:
    """The market after one round (what the DataCollector records).

    Attributes:
        levels: level index per provider.
        thetas: compute level value per provider.
        shares: market share per provider (realised user choices when a user population is
            simulated; the share function of Table 1 otherwise; the auction gives all to the
            winner).
        expected_shares: the share function the providers respond to.
        user_value: average value per query received by users (Eq. 5, user part).
        price: average price paid per query.
        prices: price per provider, ``p_i(theta_i)`` (its bid price in the auction).
        provider_utility: utility per provider (Eq. 4 or Eq. 11).
        welfare: social welfare (Eq. 5, or ``W_winner`` in the auction).
        inefficiency: ``max W / W(theta_t)`` (NaN when the maximum is not available).
        potential: Theorem 1's potential (NaN in the auction and for heterogeneous users).
    """

    levels: tuple[int, ...]
    thetas: tuple[float, ...]
    shares: tuple[float, ...]
    expected_shares: tuple[float, ...]
    user_value: float
    price: float
    prices: tuple[float, ...]
    provider_utility: tuple[float, ...]
    welfare: float
    inefficiency: float
    potential: float


# DataCollector reporters: named functions (Mesa idiom, STYLE.md item 4).
def report_levels(model: TTCMarket) -> tuple[int, ...]:
    """Level index per provider."""
    return model.state.levels


def report_thetas(model: TTCMarket) -> tuple[float, ...]:
    """Compute level value per provider."""
    return model.state.thetas


def report_shares(model: TTCMarket) -> tuple[float, ...]:
    """Market share per provider."""
    return model.state.shares


def report_expected_shares(model: TTCMarket) -> tuple[float, ...]:
    """The share function the providers respond to."""
    return model.state.expected_shares


def report_user_value(model: TTCMarket) -> float:
    """Average user value per query."""
    return model.state.user_value


def report_price(model: TTCMarket) -> float:
    """Average price paid per query."""
    return model.state.price


def report_prices(model: TTCMarket) -> tuple[float, ...]:
    """Price per provider ``p_i(theta_i)`` (the bid price in the auction)."""
    return model.state.prices


def report_provider_utilities(model: TTCMarket) -> tuple[float, ...]:
    """Utility per provider."""
    return model.state.provider_utility


def report_welfare(model: TTCMarket) -> float:
    """Social welfare."""
    return model.state.welfare


def report_inefficiency(model: TTCMarket) -> float:
    """``max W / W(theta_t)`` (Figure 2's dashed curve)."""
    return model.state.inefficiency


def report_potential(model: TTCMarket) -> float:
    """Theorem 1's potential at the current profile."""
    return model.state.potential


MODEL_REPORTERS = {
    "levels": report_levels,
    "thetas": report_thetas,
    "shares": report_shares,
    "expected_shares": report_expected_shares,
    "user_value": report_user_value,
    "price": report_price,
    "prices": report_prices,
    "provider_utility": report_provider_utilities,
    "welfare": report_welfare,
    "inefficiency": report_inefficiency,
    "potential": report_potential,
}


class TTCMarket(mesa.Model):
    """The TTC market as better-response dynamics under a chosen mechanism.

    Args:
        game: the game; when omitted it is built from ``preset`` with ``beta`` and ``v0``.
        preset: a scenario name of :data:`market.ttc.curves.SCENARIOS` (used without ``game``).
        beta: user rationality for the preset (``math.inf`` = perfect).
        v0: abstention value for the preset.
        mechanism: ``"pay-for-compute"`` (game G) or ``"second-price-auction"`` (game G~).
        strategy: provider strategy name for every provider (game G).
        strategies: one provider strategy object per provider (overrides ``strategy``).
        bidding: bidding strategy name for every provider (auction).
        biddings: one bidding strategy object per provider (overrides ``bidding``).
        schedule: who may revise at each step: ``"random-sweep"`` (a fresh random order of all
            providers each sweep, as in the authors' code), ``"uniform"`` or ``"round-robin"``.
        start: initial levels: ``"lowest"`` (the authors' start), ``"highest"``, ``"random"``,
            or a tuple of level indices.
        users: a simulated user population; its choices make the shares (pay-for-compute only).
        n_users: when > 0 and ``users`` is omitted, that many identical users of the game's beta.
        rtol: relative tolerance on "strictly improving" (the authors use 1e-8).
        max_steps: stop after this many steps even without an equilibrium.
        collect: record every step in the DataCollector (switch off for fast sweeps).
        rng: the root seed (an int; strings from the dashboard are converted). When omitted a
            fresh seed is drawn from OS entropy and recorded in ``seed``, so passing it back
            repeats the run.
    """

    def __init__(
        self,
        game: TTCGame | None = None,
        *,
        preset: str = "intro-example",
        beta: float = math.inf,
        v0: float = 0.0,
        mechanism: str = PAY_FOR_COMPUTE,
        strategy: str = "nearest-improving",
        strategies: Sequence[ProviderStrategy] | None = None,
        bidding: str = "truthful",
        biddings: Sequence[BiddingStrategy] | None = None,
        schedule: str = "random-sweep",
        start: str | Sequence[int] = "lowest",
        users: UserPopulation | None = None,
        n_users: int = 0,
        rtol: float = 1e-8,
        max_steps: int = 100_000,
        collect: bool = True,
        rng: int | str | None = None,
    ):
        seed = model_seed(rng)
        schedule_seed, users_seed, start_seed, _population = child_seeds(seed)
        super().__init__(rng=np.random.default_rng(schedule_seed))
        self.seed = seed
        self.user_rng = np.random.default_rng(users_seed)
        self.game = game if game is not None else _preset_game(preset, beta, v0)
        self.mechanism = MECHANISMS.get(mechanism, "mechanism").name
        n = self.game.n_providers
        if n < 2:
            raise UserInputError("providers", "at least two providers", n)
        if schedule not in SCHEDULES:
            raise UserInputError("schedule", f"one of {', '.join(SCHEDULES)}", schedule)
        if not (rtol >= 0):
            raise UserInputError("rtol", "a tolerance >= 0", rtol)
        if max_steps < 1:
            raise UserInputError("max_steps", "at least 1", max_steps)
        self.schedule = schedule
        self.rtol = float(rtol)
        self.max_steps = int(max_steps)
        self.users = users
        if users is None and int(n_users) > 0:
            self.users = UserPopulation.identical(int(n_users), self.game.beta, v0=self.game.v0)
        if self.users is not None and self.mechanism != PAY_FOR_COMPUTE:
            raise UserInputError("users", "no user population under the auction", mechanism)
        provider_strategies = _per_provider(strategies, strategy, n, make_provider_strategy)
        bidding_strategies = _per_provider(biddings, bidding, n, make_bidding_strategy)
        levels = _start_levels(start, self.game, np.random.default_rng(start_seed))
        for i, name in enumerate(self.game.providers):
            level = levels[i]
            posted = Bid(level=level, price=float(self.game.price[i, level]))
            TTCProvider(self, i, name, provider_strategies[i], bidding_strategies[i], level, posted)
        self.providers: list[TTCProvider] = sorted(
            self.agents_by_type[TTCProvider], key=lambda agent: agent.index
        )
        self._order: list[int] = []
        self.moves = 0
        self.max_welfare = self._max_welfare()
        self.running = True
        self.at_rest = False
        self.equilibrium_reached = False
        self.equilibrium_profile: tuple[int, ...] | None = None
        self.stop_reason = ""
        self.state = self._settle()
        self.datacollector = mesa.DataCollector(model_reporters=dict(MODEL_REPORTERS))
        self.collect = bool(collect)
        if self.collect:
            self.datacollector.collect(self)
        self._check_rest()

    # ---- the round ----------------------------------------------------------------------

    def step(self) -> None:
        """One round: the scheduled provider revises, the market settles, data is recorded."""
        if not self.running:
            return
        agent = self.providers[self._next_reviser()]
        if self.mechanism == PAY_FOR_COMPUTE:
            moved = agent.revise_level(self.provider_observation(agent.index), self.rng)
        else:
            moved = agent.revise_bid(BidderObservation(agent.index, self.game), self.rng)
        self.moves += int(moved)
        unchanged = not moved and self.users is None  # same profile, same (deterministic) market
        if not unchanged:
            self.state = self._settle()
        if self.collect:
            self.datacollector.collect(self)
        if unchanged:  # the previous check found a provider that will move: still not at rest
            self._check_max_steps()
        else:
            self._check_rest()

    def run_to_equilibrium(self) -> TTCMarket:
        """Step until the run stops (equilibrium, rest or ``max_steps``); returns the model."""
        while self.running:
            self.step()
        return self

    @property
    def profile(self) -> tuple[int, ...]:
        """Current level index per provider."""
        return tuple(agent.level for agent in self.providers)

    @property
    def bids(self) -> tuple[Bid, ...]:
        """Current bid per provider (auction)."""
        return tuple(agent.bid for agent in self.providers)

    # ---- observations -------------------------------------------------------------------

    def provider_observation(self, i: int) -> ProviderObservation:
        """What provider ``i`` sees: its utility at each level with the others fixed."""
        profile = self.profile
        log_utilities = self._deviation_log_utilities(profile, i)
        if self.users is None:
            utilities = deviation_utilities(self.game, profile, i)
        else:
            utilities = np.exp(log_utilities)
        return ProviderObservation(
            provider=i,
            current=profile[i],
            utilities=utilities,
            improving=strictly_improving(log_utilities, profile[i], self.rtol),
            contribution=self.game.contribution[i],
            log_utilities=log_utilities,
        )

    def _improving(self, i: int) -> tuple[int, ...]:
        """Provider ``i``'s strictly improving levels (no utilities needed: the rest check)."""
        profile = self.profile
        return strictly_improving(self._deviation_log_utilities(profile, i), profile[i], self.rtol)

    def _deviation_log_utilities(self, profile: tuple[int, ...], i: int) -> np.ndarray:
        """``(L,)`` provider ``i``'s log-utility at each level, the others fixed.

        The paper's share function (Eq. 22) without users; the population's log-mean-exp
        shares with simulated users, so very rational users (beta = 1e6) compare exactly.
        """
        if self.users is None:
            return deviation_log_utilities(self.game, profile, i)
        game, rows = self.game, np.arange(self.game.n_providers)
        deviations = np.tile(np.asarray(profile), (game.n_levels, 1))
        deviations[:, i] = np.arange(game.n_levels)
        quality = game.quality[rows, deviations]
        price = game.price[rows, deviations]
        log_shares = self.users.log_expected_shares(self.users.user_values(quality, price))
        return log_shares[:, i] + game.log_profit[i]

    # ---- settling the market ------------------------------------------------------------

    def _settle(self) -> MarketState:
        if self.mechanism == SECOND_PRICE_AUCTION:
            return self._settle_auction()
        if self.users is not None:
            return self._settle_population()
        outcome = market_outcome(self.game, self.profile)
        shares = tuple(float(s) for s in outcome.shares)
        return self._state(
            shares=shares,
            expected=shares,
            user_value=outcome.user_value,
            price=outcome.price,
            utility=outcome.provider_utility,
            welfare=outcome.welfare,
            potential=outcome.potential,
        )

    def _settle_population(self) -> MarketState:
        game, users, profile = self.game, self.users, np.asarray(self.profile)
        rows = np.arange(game.n_providers)
        quality, price, cost = (
            game.quality[rows, profile],
            game.price[rows, profile],
            game.cost[rows, profile],
        )
        values = users.user_values(quality, price)
        choices = users.draw_choices(values, self.user_rng)
        served = choices < game.n_providers
        chosen = np.where(served, choices, 0)
        user_value = np.where(served, values[np.arange(users.n_users), chosen], users.v0)
        paid = np.where(served, price[chosen], 0.0)
        realised = users.realised_shares(choices, game.n_providers)[:-1]
        utility = realised * (price - cost)
        return self._state(
            shares=tuple(float(s) for s in realised),
            expected=tuple(float(s) for s in users.expected_shares(values)[:-1]),
            user_value=float(user_value.mean()),
            price=float(paid.mean()),
            utility=utility,
            welfare=float(user_value.mean() + utility.sum()),
            potential=math.nan,
        )

    def _settle_auction(self) -> MarketState:
        outcome = run_auction(self.game, self.bids)
        shares = tuple(float(i == outcome.winner) for i in range(self.game.n_providers))
        return self._state(
            shares=shares,
            expected=shares,
            user_value=outcome.user_value,
            price=outcome.payment,
            utility=outcome.utilities,
            welfare=outcome.welfare,
            potential=math.nan,
        )

    def _state(self, *, shares, expected, user_value, price, utility, welfare, potential):
        levels = self.profile
        if self.mechanism == SECOND_PRICE_AUCTION:
            prices = tuple(float(bid.price) for bid in self.bids)
        else:
            prices = tuple(float(self.game.price[i, k]) for i, k in enumerate(levels))
        return MarketState(
            levels=levels,
            thetas=tuple(float(self.game.levels[k]) for k in levels),
            shares=shares,
            expected_shares=expected,
            user_value=float(user_value),
            price=float(price),
            prices=prices,
            provider_utility=tuple(float(u) for u in utility),
            welfare=float(welfare),
            inefficiency=inefficiency(self.max_welfare, float(welfare)),
            potential=float(potential),
        )

    def _max_welfare(self) -> float:
        if self.mechanism == SECOND_PRICE_AUCTION:
            return float(self.game.contribution.max())  # Eq. 13
        if self.users is not None:
            return math.nan  # no exact optimum for heterogeneous users (yet)
        return float(max_welfare(self.game).welfare)

    # ---- schedule and stopping ----------------------------------------------------------

    def _next_reviser(self) -> int:
        n = self.game.n_providers
        if self.schedule == "uniform":
            return int(self.rng.integers(n))
        if self.schedule == "round-robin":
            return (self.steps - 1) % n
        if not self._order:
            self._order = [int(i) for i in self.rng.permutation(n)]
        return self._order.pop(0)

    def _wants_to_move(self, agent: TTCProvider) -> bool:
        if self.mechanism == SECOND_PRICE_AUCTION:
            observation = BidderObservation(agent.index, self.game)
            return agent.bidding.choose_bid(observation, self.rng) != agent.bid
        if agent.strategy.classifier.get("better_response"):
            return bool(self._improving(agent.index))
        observation = self.provider_observation(agent.index)
        return agent.strategy.choose_level(observation, self.rng) != agent.level

    def _check_rest(self) -> None:
        self.at_rest = not any(self._wants_to_move(agent) for agent in self.providers)
        if self.at_rest:
            self.running = False
            self.equilibrium_reached = self._is_equilibrium()
            self.equilibrium_profile = self.profile if self.equilibrium_reached else None
            self.stop_reason = "equilibrium" if self.equilibrium_reached else "rest"
        else:
            self._check_max_steps()

    def _check_max_steps(self) -> None:
        if self.steps >= self.max_steps:
            self.running = False
            self.stop_reason = "max-steps"

    def _is_equilibrium(self) -> bool:
        if self.mechanism == SECOND_PRICE_AUCTION:
            return auction_equilibrium(self.game, self.bids)
        if self.users is not None:
            return not any(self._improving(i) for i in range(self.game.n_providers))
        return bool(is_equilibrium(self.game, self.profile, self.rtol))

    # ---- tidy output --------------------------------------------------------------------

    def history(self) -> pd.DataFrame:
        """One row per recorded step, tidy for CSV and plots.

        Columns: step, the model-level figures (``price`` is the share-weighted average price),
        and per provider ``theta[NAME]``, ``level[NAME]``, ``share[NAME]``, ``price[NAME]``
        (``p_i(theta_i)``, the bid price in the auction) and ``utility[NAME]``.
        """
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        out = pd.DataFrame({"step": np.arange(len(frame))})
        for column in ("welfare", "inefficiency", "potential", "user_value", "price"):
            out[column] = frame[column].to_numpy()
        for column, prefix in (
            ("thetas", "theta"),
            ("levels", "level"),
            ("shares", "share"),
            ("prices", "price"),
            ("provider_utility", "utility"),
        ):
            values = np.array(frame[column].tolist())
            for i, name in enumerate(self.game.providers):
                out[f"{prefix}[{name}]"] = values[:, i]
        return out


def strictly_improving(log_utilities: np.ndarray, current: int, rtol: float) -> tuple[int, ...]:
    """Levels whose utility exceeds the current one by a factor of more than ``1 + rtol``.

    Compared in log space, ``log U' > log U + log(1 + rtol)``, exactly as
    :func:`mechanisms.ttc.improving_levels` does, so utilities far below the float range
    (beta = 1e6) still compare correctly; a current utility of 0 (``-inf``) is beaten by any
    positive one.
    """
    log_utilities = np.asarray(log_utilities, dtype=float)
    threshold = log_utilities[current] + math.log1p(rtol)
    return tuple(int(k) for k in np.flatnonzero(log_utilities > threshold) if k != current)


def child_seeds(seed: int) -> list[np.random.SeedSequence]:
    """The root seed's four child streams: schedule, user choices, start, user population."""
    return np.random.SeedSequence(seed).spawn(4)


def population_seed(seed: int) -> np.random.SeedSequence:
    """The stream that draws a heterogeneous user population (the root's fourth child).

    Separate from the schedule's stream (the first child), so the users drawn and the order of
    revisions are independent.
    """
    return child_seeds(seed)[3]


def inefficiency(best_welfare: float, welfare: float) -> float:
    """``max W / W(theta)`` (Eq. 9 at the current profile); inf when ``W <= 0``."""
    if math.isnan(best_welfare):
        return math.nan
    if welfare <= 0:
        return math.inf
    return best_welfare / welfare


def auction_equilibrium(game: TTCGame, bids: Sequence[Bid], atol: float = 1e-12) -> bool:
    """Whether no bidder gains by switching to its truthful bid.

    Truthful bidding is dominant (Theorem 5), so this is the pure Nash equilibrium check of
    the auction G~.
    """
    utilities = run_auction(game, bids).utilities
    for i in range(game.n_providers):
        deviation = list(bids)
        deviation[i] = truthful_bid(game, i)
        if run_auction(game, deviation).utilities[i] > utilities[i] + atol:
            return False
    return True


def _preset_game(preset: str, beta: float, v0: float) -> TTCGame:
    from market.ttc.curves import get_scenario

    return get_scenario(preset).build(beta=beta, v0=v0)


def _per_provider(objects: Sequence[Any] | None, name: str, n: int, make: Any) -> list[Any]:
    if objects is None:
        return [make(name) for _ in range(n)]
    if len(objects) != n:
        raise UserInputError("strategies", f"one strategy per provider ({n})", len(objects))
    return list(objects)


def _start_levels(start: str | Sequence[int], game: TTCGame, rng: np.random.Generator) -> list[int]:
    n, n_levels = game.n_providers, game.n_levels
    if isinstance(start, str):
        if start == "lowest":
            return [0] * n
        if start == "highest":
            return [n_levels - 1] * n
        if start == "random":
            return [int(k) for k in rng.integers(n_levels, size=n)]
        raise UserInputError("start", f"one of {', '.join(STARTS)} or level indices", start)
    levels = [int(k) for k in start]
    if len(levels) != n or any(not 0 <= k < n_levels for k in levels):
        raise UserInputError("start", f"{n} level indices in 0..{n_levels - 1}", tuple(start))
    return levels
