"""Runs of the reputation market: plain functions with explicit parameters.

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

from market.core.parallel import progress_bar

from llm_market_reputation.model import ReputationMarket
from llm_market_reputation.pricing import PROGRESS_SECONDS
from llm_market_reputation.results import ReputationResult

DEFAULT_PRESET = "honest-vs-cheap"
#: Index of the work estimate in :attr:`ReputationMarket.estimate`.
SECONDS = 1


def run(
    preset: str = DEFAULT_PRESET, *, seed=42, progress: bool = False, **params
) -> ReputationResult:
    """One run of a preset to its last round.

    Args:
        preset: The scenario's name (``llm-market reputation presets``) or a
            :class:`~llm_market_reputation.scenarios.ReputationScenario`.
        seed: The root seed (default 42).
        progress: Show a progress bar on stderr when the run is estimated to take more than
            :data:`~llm_market_reputation.pricing.PROGRESS_SECONDS` (the CLI passes whether
            stderr is a terminal).
        **params: The model's settings by name (``mechanism="uniform"``, ``rounds=200``,
            ``strategies="honest,cheap"``, ...; :class:`ReputationMarket`); an unknown one is
            one line listing them, a run past a limit one line naming the argument.

    Returns:
        The run's record (one outcome per provider, numbered from 1).
    """
    return run_model(preset, seed=seed, progress=progress, **params).result()


def run_model(
    preset: str = DEFAULT_PRESET, *, seed=42, progress: bool = False, **params
) -> ReputationMarket:
    """:func:`run`'s model, stepped to its last round (its :meth:`history` for files)."""
    model = ReputationMarket(preset, rng=seed, **params)
    show = progress and model.estimate.estimates[SECONDS] >= PROGRESS_SECONDS
    with progress_bar(model.settings.rounds, "reputation run", show, unit="round") as bar:
        while model.running:
            model.step()
            bar.update()
    return model
