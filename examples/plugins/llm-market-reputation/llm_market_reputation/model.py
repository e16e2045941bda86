"""The reputation market's Mesa model: providers serve, users rate, the platform routes.

One step is one round: every provider agent chooses honest or cheap service from what it
observes; the mechanism turns the current ratings into routing shares; the round's N queries
are routed at random with those shares (one multinomial draw); each provider's users rate its
answers (the sum of n normal ratings drawn at once); the platform's ratings are discounted
averages of what users said, starting from the prior midway between the qualities; profits are
queries times margins. Everything per provider is a numpy vector.

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

import mesa
import numpy as np

from llm_market_reputation.agents import STRATEGIES, Observation
from llm_market_reputation.economics import margins
from llm_market_reputation.mechanisms import MECHANISMS
from llm_market_reputation.scenarios import ReputationScenario, scenario_named

#: Pseudo-ratings at the prior each provider starts with (so a rating is defined at once).
PRIOR_WEIGHT = 1.0
#: The per-round records the model keeps, one row per round and a column per provider.
HISTORY = ("honest", "shares", "queries", "profit", "expected_profit", "rating")


class ProviderAgent(mesa.Agent):
    """A provider: its strategy decides, round by round, how it serves."""

    def __init__(self, model: ReputationMarket, strategy: str, index: int):
        super().__init__(model)
        self.strategy = STRATEGIES.get(strategy, "strategies")()
        self.strategy_name = strategy
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


class ReputationMarket(mesa.Model):
    """K providers, a routing mechanism and T rounds of N rated queries.

    Args:
        scenario: A preset's name or a :class:`ReputationScenario`.
        rng: The seed (or generator) of every draw.
        **settings: Fields of the scenario to change (``rounds=100``, ``mechanism="uniform"``).
    """

    def __init__(
        self, scenario: str | ReputationScenario = "honest-vs-cheap", *, rng=None, **settings
    ):
        super().__init__(rng=rng)
        base = scenario_named(scenario) if isinstance(scenario, str) else scenario
        #: The market's numbers (Mesa's own ``scenario`` attribute is another thing).
        self.settings = base.with_settings(**settings) if settings else base
        s = self.settings
        self.mechanism = MECHANISMS.get(s.mechanism, "mechanism")(s.exploration)
        self.providers = ProviderAgent.create_agents(
            self, s.providers, strategy=list(s.strategies), index=list(range(s.providers))
        )
        self.prior = (s.honest_quality + s.cheap_quality) / 2
        self.rating_sums = np.zeros(s.providers)
        self.rating_counts = np.zeros(s.providers)
        self.history = {name: np.zeros((s.rounds, s.providers)) for name in HISTORY}

    @property
    def ratings(self) -> np.ndarray:
        """Each provider's discounted average rating, with the prior's pseudo-ratings."""
        return (self.rating_sums + PRIOR_WEIGHT * self.prior) / (self.rating_counts + PRIOR_WEIGHT)

    def step(self):
        """One round: choose, route, rate, pay."""
        s, t = self.settings, self.steps - 1
        shares = self.mechanism.routing_shares(self.ratings)
        honest = np.array(self.providers.map("serves_honestly"), dtype=bool)
        queries = self.rng.multinomial(s.queries, shares)
        quality = np.where(honest, s.honest_quality, s.cheap_quality)
        said = self.rng.normal(queries * quality, s.rating_noise * np.sqrt(queries))
        self.rating_sums = s.memory * self.rating_sums + said
        self.rating_counts = s.memory * self.rating_counts + queries
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
            self.history[name][t] = values
        if self.steps >= s.rounds:
            self.running = False

    def run(self) -> ReputationMarket:
        """Every remaining round; returns the model."""
        while self.running:
            self.step()
        return self

    def played(self, name: str) -> np.ndarray:
        """One history record over the rounds played so far (rounds x providers)."""
        return self.history[name][: self.steps]

    def result(self, preset: str = "", seed: int | None = None):
        """The run's :class:`~llm_market_reputation.results.ReputationResult`."""
        from llm_market_reputation.results import result_of

        return result_of(self, preset or self.settings.name, seed)
