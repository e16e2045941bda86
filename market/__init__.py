"""llm-market: Mesa models of markets for LLM services, their data, metrics, runs and CLI.

The front door for Python (imported on first use, so ``import market`` stays cheap)::

    import market

    market.load_game("delegation", preset="cao2026", T=20_000)   # a Mesa model, ready to step
    market.game("ttc")                   # its presets, strategies, mechanisms and runs
    market.run_grid("grid.toml", store="runs.db")                # llm-market experiment run
    market.open_store("runs.db").table("ttc_equilibria")         # llm-market results, a frame
    market.Tournament().play().ranked_names                      # the delegation tournament
    market.Engine(jobs=2, store="runs.db")    # how and where experiment functions compute

See :mod:`market.api`, :mod:`market.delegation.tournament` and :mod:`market.core.engine`.
"""

from __future__ import annotations

import importlib

#: Public names and the modules they come from (imported when first used).
LAZY = {
    "load_game": "market.api",
    "game": "market.api",
    "game_names": "market.api",
    "run_grid": "market.api",
    "open_store": "market.api",
    "GridRun": "market.api",
    "StoreView": "market.api",
    "Tournament": "market.delegation.tournament",
    "TournamentResult": "market.delegation.tournament",
    "UserInputError": "market.core.errors",
    "Engine": "market.core.engine",
}
__all__ = sorted(LAZY)


def __getattr__(name: str):
    """The front door's names, imported on first use (PEP 562)."""
    if name in LAZY:
        return getattr(importlib.import_module(LAZY[name]), name)
    raise AttributeError(f"module 'market' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *LAZY])
