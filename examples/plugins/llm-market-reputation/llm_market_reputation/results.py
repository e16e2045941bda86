"""The reputation market's result record (the :mod:`market.core.results` protocol).

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

from dataclasses import dataclass

from market.core.results import ResultMixin


@dataclass(frozen=True)
class ProviderOutcome(ResultMixin):
    """One provider's run (a record of its own: ``to_frame()`` is its one row).

    Attributes:
        provider: Its number, from 1 (``Provider 1`` is the first strategy named).
        strategy: Its strategy's name.
        honest_rounds: The share of rounds it served honestly.
        queries: Queries it served.
        profit: What it earned (queries x margin, summed over rounds).
        expected_profit: What the routing shares promised it (shares x N x margin, summed).
        rating: Its rating after the last round.
    """

    provider: int
    strategy: str
    honest_rounds: float
    queries: int
    profit: float
    expected_profit: float
    rating: float

    def summary(self) -> str:
        """One line: the provider's strategy, profit (price units), queries and rating."""
        return (
            f"Provider {self.provider} ({self.strategy}): profit {self.profit:,.1f} price units "
            f"from {self.queries:,} queries, honest in {self.honest_rounds:.0%} of rounds, "
            f"rating {self.rating:.3f}"
        )


@dataclass(frozen=True)
class ReputationResult(ResultMixin):
    """A finished run: the market's settings and every provider's outcome.

    Attributes:
        preset: The preset the run started from.
        mechanism: The routing mechanism.
        seed: The root seed (None: not given).
        rounds: Rounds played (T).
        queries: Queries per round (N).
        providers: One :class:`ProviderOutcome` per provider.
    """

    preset: str
    mechanism: str
    seed: int | None
    rounds: int
    queries: int
    providers: tuple[ProviderOutcome, ...]

    def to_frame(self):
        """One row per provider, with the run's settings."""
        import pandas as pd

        rows = [
            {
                "preset": self.preset,
                "mechanism": self.mechanism,
                "seed": self.seed,
                "rounds": self.rounds,
                **vars(p),
            }
            for p in self.providers
        ]
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """One line: each provider's strategy and profit (in price units)."""
        parts = ", ".join(f"{p.strategy} {p.profit:,.1f}" for p in self.providers)
        return (
            f"{self.preset} under {self.mechanism}, {self.rounds} rounds of "
            f"{self.queries} queries: profit {parts} (price units)"
        )

    def profit_of(self, strategy: str) -> float:
        """The best profit among the providers playing ``strategy``."""
        return max(p.profit for p in self.providers if p.strategy == strategy)


def result_of(model) -> ReputationResult:
    """The record of a model after the rounds it played (providers numbered from 1)."""
    honest, queries = model.played("honest"), model.played("queries")
    profit, expected = model.played("profit"), model.played("expected_profit")
    providers = tuple(
        ProviderOutcome(
            provider=i + 1,
            strategy=agent.strategy_name,
            honest_rounds=float(honest[:, i].mean()) if len(honest) else 0.0,
            queries=int(queries[:, i].sum()),
            profit=float(profit[:, i].sum()),
            expected_profit=float(expected[:, i].sum()),
            rating=float(model.ratings[i]),
        )
        for i, agent in enumerate(model.providers)
    )
    s = model.settings
    return ReputationResult(
        s.name, s.mechanism, model.root_seed, int(model.steps), s.queries, providers
    )
