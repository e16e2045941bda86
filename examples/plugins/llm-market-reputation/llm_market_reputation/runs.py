"""Runs of the reputation market: plain functions with explicit parameters.

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

from market.core.seeds import root_seed

from llm_market_reputation.model import ReputationMarket
from llm_market_reputation.results import ReputationResult

DEFAULT_PRESET = "honest-vs-cheap"


def run(preset: str = DEFAULT_PRESET, *, seed=42, **params) -> ReputationResult:
    """One run of a preset to its last round.

    Args:
        preset: The scenario's name (``llm-market reputation presets``).
        seed: The root seed.
        **params: Scenario fields to change (``mechanism="uniform"``, ``rounds=200``,
            ``strategies="honest,cheap"``, ...); an unknown one is one line listing them.

    Returns:
        The run's record (one outcome per provider).
    """
    seed = root_seed(seed)
    return ReputationMarket(preset, rng=seed, **params).run().result(preset, seed)
