"""The record of one TTC run to its end (:meth:`market.ttc.model.TTCMarket.result`).

References:
    Velasco et al. (2026), "Test-Time Compute Games", Sections 3-4 (the market, its dynamics
    and Theorem 1's equilibria).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from market.core.results import ResultMixin, number
from market.ttc.state import MarketState


@dataclass(frozen=True, eq=False)
class TTCResult(ResultMixin):
    """One run of the TTC market to its end (:meth:`market.ttc.model.TTCMarket.result`).

    Values, prices, utilities and welfare are in USD per query.

    Attributes:
        seed: The root seed.
        mechanism: The mechanism's registered name.
        providers: The provider names.
        levels: Level index per provider where the run stopped.
        state: The market there (shares, prices, utilities, welfare, inefficiency).
        max_welfare: The best welfare the mechanism can reach (Eq. 6; NaN when unavailable).
        steps: Steps taken (one provider's revision each).
        moves: Steps in which the reviser moved.
        stop_reason: ``"equilibrium"``, ``"rest"`` (no one moves, not verified an
            equilibrium), ``"max-steps"``, or ``""`` while still running.
        equilibrium_reached: Whether it rests at a verified pure Nash equilibrium (Theorem 1).
        n_users: Simulated users (0: the paper's share function).
    """

    seed: int
    mechanism: str
    providers: tuple[str, ...]
    levels: tuple[int, ...]
    state: MarketState
    max_welfare: float
    steps: int
    moves: int
    stop_reason: str
    equilibrium_reached: bool
    n_users: int

    def to_frame(self) -> pd.DataFrame:
        """One row per provider where the run stopped: level, theta, share, price, utility."""
        state = self.state
        return pd.DataFrame(
            {
                "provider": range(1, len(self.providers) + 1),
                "name": list(self.providers),
                "level": list(self.levels),
                "theta": list(state.thetas),
                "share": list(state.shares),
                "price": list(state.prices),
                "provider_utility": list(state.provider_utility),
            }
        )

    def summary(self) -> str:
        """Steps, where the run stopped, and the welfare there (USD per query)."""
        return (
            f"{self.mechanism}, seed {self.seed}: stopped after {self.steps} steps "
            f"({self.stop_reason or 'running'}); welfare {number(self.state.welfare)} per query"
        )
