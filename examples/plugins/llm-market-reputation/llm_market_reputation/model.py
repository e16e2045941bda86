"""The reputation market's Mesa model: providers serve, users rate, the platform routes.

One step is one round: every provider agent chooses honest or cheap service from what it
observes; the mechanism turns the current ratings into routing shares; the round's N queries
are routed at random with those shares (one multinomial draw); each provider's users rate its
answers (the sum of n normal ratings drawn at once); the platform's ratings are discounted
averages of what users said, starting from the prior midway between the qualities; profits are
queries times margins. Everything per provider is a numpy vector, indexed from 0 inside the
model; every column, table, record and page numbers providers from 1
(:mod:`market.core.providers`).

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

from functools import partial

import mesa
import numpy as np
import pandas as pd
from market.core.providers import provider_column
from market.core.seeds import model_seed

from llm_market_reputation.agents import STRATEGIES, Observation
from llm_market_reputation.economics import margins
from llm_market_reputation.mechanisms import MECHANISMS
from llm_market_reputation.pricing import PYTHON_ARGUMENTS, run_price
from llm_market_reputation.scenarios import ReputationScenario, scenario_named

#: Pseudo-ratings at the prior each provider starts with (so a rating is defined at once).
PRIOR_WEIGHT = 1.0
#: The per-round records the model keeps, one row per round and a column per provider.
HISTORY = ("honest", "shares", "queries", "profit", "expected_profit", "rating")
#: Running totals per provider (the DataCollector's cumulative columns).
TOTALS = ("honest_rounds", "queries", "profit", "expected_profit")


class ProviderAgent(mesa.Agent):
    """A provider: its strategy decides, round by round, how it serves."""

    def __init__(self, model: ReputationMarket, strategy: str, index: int):
        super().__init__(model)
        self.strategy = STRATEGIES.get(strategy, "strategies")()
        self.strategy_name = strategy
        #: Its position in the model's arrays (0-based; it is ``Provider index + 1``).
        self.index = index

    def serves_honestly(self) -> bool:
        """This round's choice, from the ratings the platform shows."""
        ratings = self.model.ratings
        rivals = np.delete(ratings, self.index)
        observation = Observation(
            round=self.model.steps,
            rating=float(ratings[self.index]),
            best_rival_rating=float(rivals.max()) if len(rivals) else -np.inf,
            ranked=self.model.mechanism.uses_ratings,
        )
        return bool(self.strategy.serves_honestly(observation, self.model.rng))


def report_step(model: ReputationMarket) -> int:
    """Rounds played when the row was recorded."""
    return model.steps


def report_total(quantity: str, index: int, model: ReputationMarket) -> float:
    """Provider ``index``'s (0-based) running total of ``quantity`` (bound with partial)."""
    return float(model.totals[quantity][index])


def report_rating(index: int, model: ReputationMarket) -> float:
    """Provider ``index``'s (0-based) rating on the platform (bound with partial)."""
    return float(model.ratings[index])


def reporters(providers: int) -> dict:
    """The DataCollector's reporters: ``step``, then ``<quantity>[Provider k]`` from k = 1."""
    columns = {"step": report_step}
    for quantity in TOTALS:
        for i in range(providers):
            columns[provider_column(quantity, i + 1)] = partial(report_total, quantity, i)
    for i in range(providers):
        columns[provider_column("rating", i + 1)] = partial(report_rating, i)
    return columns


class ReputationMarket(mesa.Model):
    """K providers, a routing mechanism and T rounds of N rated queries.

    Build it with a preset and parameters by name, step it (one step is one round) or
    :meth:`run` it to the last round; :meth:`result` is the outcome so far.

    Data collected:
        ``datacollector.get_model_vars_dataframe()`` (and :meth:`history`) has one row at the
        start and one per round; every cell is one number. Providers are numbered from 1 in
        the order of ``strategies`` (``Provider 1`` is ``model.providers[0]``); money is in
        price units (the price of one query is ``price``).

        - ``step``: rounds played when the row was recorded (0 at the start).
        - ``honest_rounds[Provider k]``: rounds provider k has served honestly so far.
        - ``queries[Provider k]``: queries routed to it so far.
        - ``profit[Provider k]``: its profit so far (queries x margin, summed).
        - ``expected_profit[Provider k]``: what the routing shares promised it so far (shares
          x N x margin, summed).
        - ``rating[Provider k]``: its rating on the platform (the prior at the start).

    References:
        An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a
        paper.
    """

    def __init__(
        self,
        preset: str | ReputationScenario = "honest-vs-cheap",
        *,
        mechanism: str | None = None,
        strategies: str | tuple[str, ...] | None = None,
        rounds: int | str | None = None,
        queries: int | str | None = None,
        price: float | None = None,
        honest_cost: float | None = None,
        cheap_cost: float | None = None,
        honest_quality: float | None = None,
        cheap_quality: float | None = None,
        rating_noise: float | None = None,
        memory: float | None = None,
        exploration: float | None = None,
        rng: int | str | None = 42,
    ):
        """Build the market: check and price the settings, then the providers and the history.

        Every setting left at None is the preset's; text is read as the CLI and page type it.

        Args:
            preset: a preset's name (``llm-market reputation presets``; default
                ``"honest-vs-cheap"``) or a
                :class:`~llm_market_reputation.scenarios.ReputationScenario`.
            mechanism: the routing mechanism, ``"uniform"`` or ``"rating-rank"``.
            strategies: one strategy per provider, comma-separated or a sequence; their number
                is K.
            rounds: the rounds T of a run.
            queries: the queries N the platform routes each round.
            price: what the platform pays per query served (p, in price units).
            honest_cost: a provider's cost per query served honestly (c_H < p).
            cheap_cost: its cost per query served cheaply (c_L < c_H).
            honest_quality: the mean rating of an honest answer (q_H).
            cheap_quality: the mean rating of a cheap answer (q_L < q_H).
            rating_noise: the standard deviation of one user's rating (sigma >= 0).
            memory: the weight the platform keeps of last round's ratings (in (0, 1]).
            exploration: the share of queries routed uniformly whatever the ratings (in [0, 1]).
            rng: the root seed, a non-negative integer (default 42; None or "": a fresh one,
                kept in ``root_seed`` and the result).

        Raises:
            UserInputError: an unknown preset, mechanism or strategy, a value out of range, or
                a run past the memory, work or exact-count limit
                (:func:`llm_market_reputation.pricing.run_price`), named as the argument.
        """
        seed = model_seed(rng)
        super().__init__(rng=seed)
        self.root_seed = seed
        given = {
            "mechanism": mechanism,
            "strategies": strategies,
            "rounds": rounds,
            "queries": queries,
            "price": price,
            "honest_cost": honest_cost,
            "cheap_cost": cheap_cost,
            "honest_quality": honest_quality,
            "cheap_quality": cheap_quality,
            "rating_noise": rating_noise,
            "memory": memory,
            "exploration": exploration,
        }
        changes = {name: value for name, value in given.items() if value is not None}
        base = scenario_named(preset) if isinstance(preset, str) else preset
        #: The market's numbers (Mesa's own ``scenario`` attribute is another thing).
        self.settings = base.with_settings(**changes) if changes else base
        #: The run's estimates (bytes, seconds, queries), priced before any array exists.
        self.estimate = run_price(self.settings, changes, PYTHON_ARGUMENTS)
        s = self.settings
        self.mechanism = MECHANISMS.get(s.mechanism, "mechanism")(s.exploration)
        self.providers = ProviderAgent.create_agents(
            self, s.providers, strategy=list(s.strategies), index=list(range(s.providers))
        )
        self.prior = (s.honest_quality + s.cheap_quality) / 2
        self.rating_sums = np.zeros(s.providers)
        self.rating_counts = np.zeros(s.providers)
        self.ratings = self.current_ratings()
        self.per_round = {name: np.zeros((s.rounds, s.providers)) for name in HISTORY}
        self.totals = {name: np.zeros(s.providers) for name in TOTALS}
        self.datacollector = mesa.DataCollector(model_reporters=reporters(s.providers))
        self.datacollector.collect(self)

    def current_ratings(self) -> np.ndarray:
        """Each provider's discounted average rating, with the prior's pseudo-ratings."""
        return (self.rating_sums + PRIOR_WEIGHT * self.prior) / (self.rating_counts + PRIOR_WEIGHT)

    def step(self):
        """One round: choose, route, rate, pay; then record the DataCollector's row."""
        s, t = self.settings, self.steps - 1
        shares = self.mechanism.routing_shares(self.ratings)
        honest = np.array(self.providers.map("serves_honestly"), dtype=bool)
        queries = self.rng.multinomial(s.queries, shares)
        quality = np.where(honest, s.honest_quality, s.cheap_quality)
        said = self.rng.normal(queries * quality, s.rating_noise * np.sqrt(queries))
        self.rating_sums = s.memory * self.rating_sums + said
        self.rating_counts = s.memory * self.rating_counts + queries
        self.ratings = self.current_ratings()
        margin = margins(s, honest)
        row = {
            "honest": honest,
            "shares": shares,
            "queries": queries,
            "profit": queries * margin,
            "expected_profit": shares * s.queries * margin,
            "rating": self.ratings,
        }
        for name, values in row.items():
            self.per_round[name][t] = values
        self.totals["honest_rounds"] += honest
        for name in ("queries", "profit", "expected_profit"):
            self.totals[name] += row[name]
        self.datacollector.collect(self)
        if self.steps >= s.rounds:
            self.running = False

    def run(self):
        """Every remaining round; returns :meth:`result`."""
        while self.running:
            self.step()
        return self.result()

    def played(self, name: str) -> np.ndarray:
        """One history record over the rounds played so far (rounds x providers, 0-based)."""
        return self.per_round[name][: self.steps]

    def history(self) -> pd.DataFrame:
        """The DataCollector's rows as a tidy table (the CLI's ``history.csv``)."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def result(self):
        """The run's :class:`~llm_market_reputation.results.ReputationResult` so far."""
        from llm_market_reputation.results import result_of

        return result_of(self)
