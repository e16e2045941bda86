"""The reputation market's named scenarios (presets) and their checked settings.

A :class:`ReputationScenario` is every number of the market: the providers' strategies, the
queries per round, the rounds, the price, the two services' costs and qualities, the users'
rating noise, the platform's rating memory and its exploration. Its constructor checks them, so
a bad setting is one :class:`~market.core.errors.UserInputError` naming it.

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from market.core.errors import UserInputError
from market.core.registry import Registry
from market.core.values import count, number

#: The group other packages add scenarios to.
SCENARIOS: Registry[ReputationScenario] = Registry(
    "scenario", group="llm_market.reputation.scenarios"
)


@dataclass(frozen=True)
class ReputationScenario:
    """The numbers of one reputation market.

    Attributes:
        name: The preset's name.
        description: One line for people.
        strategies: One strategy name per provider.
        queries: Queries the platform routes each round (N).
        rounds: Rounds of a run (T).
        price: What the platform pays a provider per query served (p).
        honest_cost: A provider's cost per query served honestly (c_H).
        cheap_cost: Its cost per query served cheaply (c_L < c_H).
        honest_quality: The mean rating of an honest answer (q_H).
        cheap_quality: The mean rating of a cheap answer (q_L < q_H).
        rating_noise: The standard deviation of one user's rating around the quality (sigma).
        memory: The weight the platform keeps of last round's ratings (delta in (0, 1]).
        exploration: The share of queries routed uniformly whatever the ratings (epsilon).
        mechanism: The routing mechanism's name.
    """

    name: str
    description: str
    strategies: tuple[str, ...]
    queries: int = 300
    rounds: int = 60
    price: float = 1.0
    honest_cost: float = 0.6
    cheap_cost: float = 0.2
    honest_quality: float = 0.9
    cheap_quality: float = 0.5
    rating_noise: float = 0.3
    memory: float = 0.8
    exploration: float = 0.1
    mechanism: str = "rating-rank"

    def __post_init__(self):
        """Check every number (one line naming the field on a mistake)."""
        object.__setattr__(self, "strategies", strategy_names(self.strategies))
        object.__setattr__(self, "queries", count(self.queries, "queries"))
        object.__setattr__(self, "rounds", count(self.rounds, "rounds"))
        for name in ("price", "honest_cost", "cheap_cost", "honest_quality", "cheap_quality"):
            object.__setattr__(self, name, number(getattr(self, name), name))
        object.__setattr__(self, "rating_noise", at_least_zero(self.rating_noise, "rating_noise"))
        object.__setattr__(self, "memory", share(self.memory, "memory", open_below=True))
        object.__setattr__(self, "exploration", share(self.exploration, "exploration"))
        self.check_economics()

    def check_economics(self) -> None:
        """Honest service costs more and rates higher than cheap service; both are paid for."""
        if not self.cheap_cost < self.honest_cost:
            raise UserInputError(
                "honest_cost", f"more than cheap_cost {self.cheap_cost:g}", self.honest_cost
            )
        if not self.cheap_quality < self.honest_quality:
            raise UserInputError(
                "honest_quality",
                f"more than cheap_quality {self.cheap_quality:g}",
                self.honest_quality,
            )
        if not self.honest_cost < self.price:
            raise UserInputError("price", f"more than honest_cost {self.honest_cost:g}", self.price)

    @property
    def providers(self) -> int:
        """K, the number of providers."""
        return len(self.strategies)

    def with_settings(self, **settings) -> ReputationScenario:
        """This scenario with some fields changed (an unknown field is one line, listing all)."""
        known = [f.name for f in fields(self) if f.name not in ("name", "description")]
        for key in settings:
            if key not in known:
                raise UserInputError("parameter", f"one of {', '.join(known)}", key)
        return replace(self, **settings)


def strategy_names(value) -> tuple[str, ...]:
    """``"honest,cheap"`` or a sequence of names: one strategy name per provider (>= 1)."""
    names = value.split(",") if isinstance(value, str) else list(value)
    names = tuple(str(name).strip() for name in names)
    if not names or not all(names):
        raise UserInputError("strategies", "comma-separated strategy names", value)
    return names


def at_least_zero(value, field: str) -> float:
    """A finite number >= 0."""
    result = number(value, field)
    if result < 0:
        raise UserInputError(field, "a number >= 0", value)
    return result


def share(value, field: str, open_below: bool = False) -> float:
    """A number in [0, 1] (``open_below``: in (0, 1])."""
    result = number(value, field)
    low_ok = result > 0 if open_below else result >= 0
    if not (low_ok and result <= 1) or math.isnan(result):
        raise UserInputError(
            field, "a number in (0, 1]" if open_below else "a number in [0, 1]", value
        )
    return result


@SCENARIOS.register
class HonestVersusCheap:
    """One honest provider against two cheap ones, routed by rating rank."""

    name = "honest-vs-cheap"
    scenario = ReputationScenario(
        name=name,
        description="one honest provider against two cheap ones",
        strategies=("honest", "cheap", "cheap"),
    )


@SCENARIOS.register
class MilkingTheLead:
    """An honest, a cheap and a reputation-milking provider, routed by rating rank."""

    name = "milking"
    scenario = ReputationScenario(
        name=name,
        description="honest, cheap and a provider that turns cheap once its rating leads",
        strategies=("honest", "cheap", "milk-reputation"),
    )


@SCENARIOS.register
class UniformBaseline:
    """The first scenario under uniform routing: ratings are collected but earn nothing."""

    name = "uniform-baseline"
    scenario = ReputationScenario(
        name=name,
        description="one honest and two cheap providers, queries routed at random",
        strategies=("honest", "cheap", "cheap"),
        mechanism="uniform",
    )


def scenario_named(name: str) -> ReputationScenario:
    """The preset ``name``'s scenario (an unknown name is one line listing the presets)."""
    return SCENARIOS.get(name, "preset").scenario
