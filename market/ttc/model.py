"""The Mesa model of the test-time compute market (Velasco et al. 2026).

One :class:`TTCMarket` step is one round of better-response dynamics: a seeded schedule picks the
provider that may revise, its strategy answers, the mechanism settles the market and the
DataCollector records it. Under the pay-for-compute market (game G, Sections 2-3) the run stops
at a pure Nash equilibrium (Theorem 1 guarantees one is reached by better responses); under the
reverse second-price auction (game G~, Section 4) it stops when no bidder changes its bid. Either
way ``running`` becomes False and ``equilibrium_reached`` says whether the resting profile is a
verified pure Nash equilibrium.

The model settles every round through the mechanism object it holds (``self.mechanism``, from
:data:`mechanisms.ttc.MECHANISMS`): the mechanism says what a provider observes, turns its
strategy's action into an offer, settles the market, knows its best welfare and checks the
equilibrium. This module only schedules, asks and records, so a new mechanism needs no change
here.

Seeds: one root seed (``rng``, 42 by default; None draws one from OS entropy and records it in
``seed``, so every run can be repeated) spawns four child streams with numpy
``SeedSequence.spawn``: the revision schedule (and stochastic strategies), the users' choices,
the random start, and the drawing of a heterogeneous user population (:func:`population_seed`,
used by the CLI).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mesa
import numpy as np
import pandas as pd

from agents.ttc.agents import TTCProvider
from agents.ttc.strategies import (
    BiddingStrategy,
    ProviderStrategy,
    TTCStrategy,
    make_bidding_strategy,
    make_provider_strategy,
)
from agents.ttc.users import UserPopulation
from market.core.errors import UserInputError
from market.core.providers import provider_column
from market.core.seeds import child_streams, model_seed
from market.ttc.resolve import as_game
from market.ttc.results import GameSpec, TTCResult
from market.ttc.state import MarketState, model_reporters
from mechanisms.ttc.auction import Bid
from mechanisms.ttc.game import TTCGame
from mechanisms.ttc.markets import (
    BidderObservation,
    ProviderObservation,
    TTCMechanism,
    make_mechanism,
)
from mechanisms.ttc.optimum import inefficiency
from mechanisms.ttc.responses import DEFAULT_RTOL
from mechanisms.ttc.settlement import Settlement, posted_offer

SCHEDULES = ("random-sweep", "uniform", "round-robin")
DEFAULT_SCHEDULE = "random-sweep"
STARTS = ("lowest", "highest", "random")
#: Steps a run takes at most when it reaches no rest (``max_steps``).
DEFAULT_MAX_STEPS = 100_000


class TTCMarket(mesa.Model):
    """The TTC market as better-response dynamics under a chosen mechanism.

    Build it with a preset (or a game) and parameters by name, step it (one step is one
    provider's revision) or :meth:`run` it to rest; :meth:`result` is the outcome so far.

    Data collected:
        With ``collect`` (the default) ``datacollector.get_model_vars_dataframe()`` has one
        row at the start and one per step; every cell is one number. Providers are numbered
        from 1 in the order of ``game.providers`` (``Provider 1`` is ``game.providers[0]``;
        :meth:`history` labels them by name instead). Money is in USD per query.

        - ``step``: Mesa steps taken when the row was recorded.
        - ``user_value``: the users' average value per query (Eq. 5, user part).
        - ``price``: the share-weighted average price paid per query.
        - ``welfare``: social welfare (Eq. 5; ``W_winner`` in the auction).
        - ``inefficiency``: ``max W / W(theta_t)`` (Eq. 9; NaN when the maximum is unknown).
        - ``potential``: Theorem 1's potential (Eq. 7; NaN in the auction and for
          heterogeneous users).
        - ``level[Provider k]``: provider k's level index in ``game.levels`` (0 = lowest).
        - ``theta[Provider k]``: its compute level ``theta_k``.
        - ``share[Provider k]``: its market share (realised choices with simulated users).
        - ``expected_share[Provider k]``: the share function it responds to (Table 1).
        - ``price[Provider k]``: its price ``p_k(theta_k)`` (its bid price in the auction).
        - ``utility[Provider k]``: its utility per query (Eq. 4; Eq. 11 in the auction).

    References:
        Velasco et al. (2026), Sections 2-4, Theorem 1.
    """

    def __init__(
        self,
        preset: str | GameSpec | TTCGame = "intro-example",
        *,
        beta: float | None = None,
        v0: float | None = None,
        mechanism: str | TTCMechanism = "pay-for-compute",
        strategy: str = "nearest-improving",
        strategies: Sequence[ProviderStrategy] | None = None,
        bidding: str = "truthful",
        biddings: Sequence[BiddingStrategy] | None = None,
        schedule: str = "random-sweep",
        start: str | Sequence[int] = "lowest",
        users: UserPopulation | None = None,
        n_users: int = 0,
        rtol: float = DEFAULT_RTOL,
        max_steps: int = DEFAULT_MAX_STEPS,
        collect: bool = True,
        rng: int | str | None = 42,
    ):
        """Build the market: the game, the mechanism, one agent per provider at its start.

        Values, prices and costs are in USD per query (the paper's curves); compute levels
        ``theta`` are in the unit of the test-time compute method (samples or tokens per
        query, as the preset or curves file says).

        Args:
            preset: the game: a preset name of :data:`market.ttc.scenarios.SCENARIOS` (default
                ``"intro-example"``, the paper's Appendix A), a
                :class:`~market.ttc.results.GameSpec` from :func:`market.ttc.runs.build_game`
                or a :class:`~mechanisms.ttc.game.TTCGame`.
            beta: user rationality, in 1/USD (the logit choice's weight on value per query;
                ``math.inf`` = perfectly rational). Default None: the game's own; a preset
                name is built at the paper's :data:`DEFAULT_BETA` = 1000.
            v0: the users' abstention value ``V_0``, in USD per query. Default None: the
                game's own (0 for every preset).
            mechanism: a registered mechanism name (``"pay-for-compute"``, game G, the
                default, or ``"second-price-auction"``, game G~) or a mechanism object.
            strategy: provider strategy name for every provider, under mechanisms whose
                action is a level (default ``"nearest-improving"``).
            strategies: one provider strategy object per provider (overrides ``strategy``;
                default None).
            bidding: bidding strategy name for every provider, under mechanisms whose action
                is a bid (default ``"truthful"``).
            biddings: one bidding strategy object per provider (overrides ``bidding``;
                default None).
            schedule: who may revise at each step: ``"random-sweep"`` (the default: a fresh
                random order of all providers each sweep, as in the authors' code),
                ``"uniform"`` or ``"round-robin"``.
            start: initial levels: ``"lowest"`` (the default, the authors' start),
                ``"highest"``, ``"random"``, or a tuple of level indices; each starts posted at
                its price.
            users: a simulated user population whose choices make the shares (only under a
                mechanism that accepts users: pay-for-compute; default None: the share
                function).
            n_users: when > 0 and ``users`` is omitted, that many identical users of the
                game's beta (default 0).
            rtol: relative tolerance on "strictly improving" (default 1e-8, the authors'):
                the pay-for-compute market's ``PayForComputeParams.rtol`` when ``mechanism``
                is a name (the auction has no parameters).
            max_steps: stop after this many steps even without an equilibrium (default
                100,000).
            collect: record every step in the DataCollector (default True; switch off for
                fast sweeps).
            rng: the root seed, a non-negative integer (default 42; strings from the
                dashboard are converted; None or "": a fresh one from OS entropy, kept in
                ``seed`` so passing it back repeats the run).

        Raises:
            UserInputError: for an unknown preset, mechanism, strategy, schedule or start, or
                a value out of range.
        """
        seed = model_seed(rng)
        schedule_seed, users_seed, start_seed, _population = child_seeds(seed)
        super().__init__(rng=np.random.default_rng(schedule_seed))
        self.seed = seed
        self.user_rng = np.random.default_rng(users_seed)
        self.game = as_game(preset, beta=beta, v0=v0)
        self.mechanism = make_mechanism(mechanism, rtol=rtol)
        if schedule not in SCHEDULES:
            raise UserInputError("schedule", f"one of {', '.join(SCHEDULES)}", schedule)
        if max_steps < 1:
            raise UserInputError("max_steps", "at least 1", max_steps)
        self.schedule = schedule
        self.max_steps = int(max_steps)
        self.users = users
        if users is None and int(n_users) > 0:
            self.users = UserPopulation.identical(int(n_users), self.game.beta, v0=self.game.v0)
        self.mechanism.check_users(self.users)
        n = self.game.n_providers
        chosen = self._strategies(
            {
                "level": _per_provider(strategies, strategy, n, make_provider_strategy),
                "bid": _per_provider(biddings, bidding, n, make_bidding_strategy),
            }
        )
        levels = _start_levels(start, self.game, np.random.default_rng(start_seed))
        for i, name in enumerate(self.game.providers):
            TTCProvider(self, i, name, chosen[i], posted_offer(self.game, i, levels[i]))
        self.providers: list[TTCProvider] = sorted(
            self.agents_by_type[TTCProvider], key=lambda agent: agent.index
        )
        self._order: list[int] = []
        self.moves = 0
        self.max_welfare = self.mechanism.best_welfare(self.game, self.users)
        self.running = True
        self.at_rest = False
        self.equilibrium_reached = False
        self.equilibrium_profile: tuple[int, ...] | None = None
        self.stop_reason = ""
        self.state = self._settle()
        self.datacollector = mesa.DataCollector(model_reporters=model_reporters(n))
        self.collect = bool(collect)
        if self.collect:
            self.datacollector.collect(self)
        self._check_rest()

    def _strategies(self, by_action: dict[str, list[TTCStrategy]]) -> list[TTCStrategy]:
        """The strategies for the mechanism's kind of action, checked to play the mechanism."""
        chosen = by_action[self.mechanism.classifier["action"]]
        for strategy in chosen:
            if self.mechanism.name not in strategy.classifier.get("mechanisms", ()):
                raise UserInputError(
                    "strategies", f"strategies that play {self.mechanism.name}", strategy.name
                )
        return chosen

    # ---- the round ----------------------------------------------------------------------

    def step(self) -> None:
        """One round: the scheduled provider revises, the market settles, data is recorded."""
        if not self.running:
            return
        agent = self.providers[self._next_reviser()]
        moved = agent.revise(self.provider_observation(agent.index), self.mechanism, self.rng)
        self.moves += int(moved)
        unchanged = not moved and self.users is None  # same offers, same (deterministic) market
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

    def run(self) -> TTCResult:
        """Step until the run stops (equilibrium, rest or ``max_steps``); return the result."""
        return self.run_to_equilibrium().result()

    def result(self) -> TTCResult:
        """The run's outcome so far (see :class:`~market.ttc.results.TTCResult`)."""
        return TTCResult(
            seed=int(self.seed),
            mechanism=self.mechanism.name,
            providers=tuple(self.game.providers),
            levels=self.profile,
            state=self.state,
            max_welfare=float(self.max_welfare),
            steps=int(self.steps),
            moves=int(self.moves),
            stop_reason=self.stop_reason,
            equilibrium_reached=bool(self.equilibrium_reached),
            n_users=0 if self.users is None else int(self.users.n_users),
        )

    @property
    def profile(self) -> tuple[int, ...]:
        """Current level index per provider."""
        return tuple(agent.level for agent in self.providers)

    @property
    def bids(self) -> tuple[Bid, ...]:
        """Current offer per provider (its bid; in the market its level at its posted price)."""
        return tuple(agent.bid for agent in self.providers)

    def provider_observation(self, i: int) -> ProviderObservation | BidderObservation:
        """What the mechanism shows provider ``i`` (its utility per level, or the game)."""
        return self.mechanism.observe(self.game, self.bids, i, self.users)

    # ---- settling and recording ---------------------------------------------------------

    def _settle(self) -> MarketState:
        settlement = self.mechanism.settle(self.game, self.bids, self.users, self.user_rng)
        return self._state(settlement)

    def _state(self, settlement: Settlement) -> MarketState:
        levels = self.profile
        return MarketState(
            levels=levels,
            thetas=tuple(float(self.game.levels[k]) for k in levels),
            shares=tuple(float(s) for s in settlement.shares),
            expected_shares=tuple(float(s) for s in settlement.expected_shares),
            user_value=float(settlement.user_value),
            price=float(settlement.price),
            prices=tuple(float(bid.price) for bid in self.bids),
            provider_utility=tuple(float(u) for u in settlement.provider_utility),
            welfare=float(settlement.welfare),
            inefficiency=inefficiency(self.max_welfare, float(settlement.welfare)),
            potential=float(settlement.potential),
        )

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
        if agent.strategy.classifier.get("better_response"):  # moves iff something improves
            return bool(self.mechanism.improving(self.game, self.bids, agent.index, self.users))
        offer = agent.next_offer(self.provider_observation(agent.index), self.mechanism, self.rng)
        return offer != agent.bid

    def _check_rest(self) -> None:
        self.at_rest = not any(self._wants_to_move(agent) for agent in self.providers)
        if self.at_rest:
            self.running = False
            self.equilibrium_reached = self.mechanism.is_equilibrium(
                self.game, self.bids, self.users
            )
            self.equilibrium_profile = self.profile if self.equilibrium_reached else None
            self.stop_reason = "equilibrium" if self.equilibrium_reached else "rest"
        else:
            self._check_max_steps()

    def _check_max_steps(self) -> None:
        if self.steps >= self.max_steps:
            self.running = False
            self.stop_reason = "max-steps"

    # ---- tidy output --------------------------------------------------------------------

    def history(self) -> pd.DataFrame:
        """One row per recorded step, tidy for CSV and plots, providers by their names.

        Columns: step, the model-level figures (``price`` is the share-weighted average price),
        and per provider ``theta[NAME]``, ``level[NAME]``, ``share[NAME]``, ``price[NAME]``
        (``p_i(theta_i)``, the bid price in the auction) and ``utility[NAME]``: the
        DataCollector's columns with ``Provider k`` replaced by the game's provider names
        (the CLI's ``history.csv``).
        """
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        out = pd.DataFrame({"step": frame["step"].to_numpy()})
        for column in ("welfare", "inefficiency", "potential", "user_value", "price"):
            out[column] = frame[column].to_numpy()
        for quantity in ("theta", "level", "share", "price", "utility"):
            for i, name in enumerate(self.game.providers):
                out[f"{quantity}[{name}]"] = frame[provider_column(quantity, i + 1)].to_numpy()
        return out


def child_seeds(seed: int) -> list[np.random.SeedSequence]:
    """The root seed's four child streams: schedule, user choices, start, user population."""
    return child_streams(seed, 4)


def population_seed(seed: int) -> np.random.SeedSequence:
    """The stream that draws a heterogeneous user population (the root's fourth child).

    Separate from the schedule's stream (the first child), so the users drawn and the order of
    revisions are independent.
    """
    return child_seeds(seed)[3]


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
