"""Adapter between the reputation market and its dashboard page.

Every import of the game by the page is here: the page's text settings become the model's
parameters (checked by the same code as the CLI's), and each step's state is copied into an
immutable frame the page draws.

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from app.charts import LineChart
from app.svg import PALETTE, Series
from market.core.errors import UserInputError
from market.core.seeds import fresh_seed, root_seed
from market.core.values import count

from llm_market_reputation.agents import STRATEGIES
from llm_market_reputation.mechanisms import MECHANISMS
from llm_market_reputation.model import ReputationMarket
from llm_market_reputation.scenarios import SCENARIOS

#: The most rounds a page plays (its history is held for the plots).
MOST_ROUNDS = 10_000


@dataclass(frozen=True)
class ReputationSettings:
    """What the page asks for; every field is a URL query parameter ("": the preset's).

    Attributes:
        preset: The scenario.
        mechanism: The routing mechanism.
        strategies: One strategy per provider, comma-separated.
        rounds: Rounds T.
        queries: Queries per round N.
        exploration: The share of queries routed uniformly.
        seed: The root seed (blank: a fresh one).
    """

    preset: str = "milking"
    mechanism: str = ""
    strategies: str = ""
    rounds: str = ""
    queries: str = ""
    exploration: str = ""
    seed: str = "42"

    def to_query(self) -> dict[str, str]:
        """The URL query parameters."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_query(cls, query: dict[str, str]) -> ReputationSettings:
        """Settings from URL query parameters; missing ones keep their defaults."""
        known = {k: str(v) for k, v in query.items() if k in cls.__dataclass_fields__}
        return replace(cls(), **known)


@dataclass(frozen=True)
class PageRun:
    """A model the page's session steps, with the seed it was built from."""

    model: ReputationMarket
    seed: int


@dataclass(frozen=True)
class ReputationFrame:
    """What the page draws after a step (copies: the model keeps stepping).

    Attributes:
        steps: Rounds played.
        seed: The root seed.
        mechanism: The routing mechanism.
        strategies: Each provider's strategy.
        ratings: Ratings after each round (rounds x providers).
        profit: Cumulative profit after each round (rounds x providers).
        honest: Whether each provider served honestly each round (rounds x providers).
    """

    steps: int
    seed: int
    mechanism: str
    strategies: tuple[str, ...]
    ratings: np.ndarray
    profit: np.ndarray
    honest: np.ndarray


def preset_names() -> list[str]:
    """The presets."""
    return SCENARIOS.names()


def mechanism_names() -> list[str]:
    """The routing mechanisms."""
    return MECHANISMS.names()


def strategy_names() -> list[str]:
    """The provider strategies."""
    return STRATEGIES.names()


def build_run(settings: ReputationSettings) -> PageRun:
    """The model of the page's settings (a mistake is one line naming the field)."""
    changes = {
        name: getattr(settings, name)
        for name in ("mechanism", "strategies", "rounds", "queries", "exploration")
        if getattr(settings, name).strip()
    }
    if "rounds" in changes and count(changes["rounds"], "rounds") > MOST_ROUNDS:
        raise UserInputError("rounds", f"at most {MOST_ROUNDS:,} on the page", changes["rounds"])
    seed = fresh_seed() if not settings.seed.strip() else root_seed(settings.seed)
    return PageRun(ReputationMarket(settings.preset, rng=seed, **changes), seed)


def snapshot(run: PageRun) -> ReputationFrame:
    """The frame of the model's rounds so far."""
    model = run.model
    return ReputationFrame(
        steps=int(model.steps),
        seed=run.seed,
        mechanism=model.settings.mechanism,
        strategies=model.settings.strategies,
        ratings=model.played("rating").copy(),
        profit=np.cumsum(model.played("profit"), axis=0),
        honest=model.played("honest").copy(),
    )


def provider_labels(frame: ReputationFrame) -> list[str]:
    """``1: honest``, ``2: cheap``, ...: each provider's number and strategy."""
    return [f"{i + 1}: {name}" for i, name in enumerate(frame.strategies)]


def frame_table(frame: ReputationFrame) -> pd.DataFrame:
    """One row per round and provider: rating, cumulative profit, honest service."""
    rounds, providers = frame.ratings.shape
    return pd.DataFrame(
        {
            "round": np.repeat(np.arange(1, rounds + 1), providers),
            "provider": np.tile(np.arange(1, providers + 1), rounds),
            "strategy": np.tile(np.array(frame.strategies, dtype=object), rounds),
            "rating": frame.ratings.ravel(),
            "cumulative_profit": frame.profit.ravel(),
            "honest": frame.honest.ravel().astype(bool),
        }
    )


def all_charts(frame: ReputationFrame) -> list[LineChart]:
    """Ratings and cumulative profits over the rounds, one line per provider."""
    rounds = np.arange(1, frame.steps + 1, dtype=float)

    def lines(values: np.ndarray) -> tuple[Series, ...]:
        return tuple(
            Series(label, rounds, values[:, i], PALETTE[i % len(PALETTE)])
            for i, label in enumerate(provider_labels(frame))
        )

    return [
        LineChart("Ratings", "round", "average rating", lines(frame.ratings), "plot-ratings"),
        LineChart("Cumulative profit", "round", "price units", lines(frame.profit), "plot-profit"),
    ]


def status_text(frame: ReputationFrame) -> str:
    """One line: the leader in profit after the rounds played."""
    if frame.steps == 0:
        return f"Routing by {frame.mechanism}: press Step or Play."
    best = int(np.argmax(frame.profit[-1]))
    label = provider_labels(frame)[best]
    return f"After {frame.steps} rounds under {frame.mechanism}, provider {label} earns most."
