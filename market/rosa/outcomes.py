"""One provider's per-run outcomes over a grid of bids: the raw material of a truthfulness curve.

:func:`market.rosa.runs.bid_outcomes` returns a :class:`BidOutcomes`;
:func:`market.rosa.runs.truthfulness_curve` averages it into a
:class:`~market.rosa.results.TruthfulnessCurve`.

References:
    Patra et al. (2026), Def. 3-6; ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from market.core.results import ResultMixin, number


@dataclass(frozen=True)
class BidOutcomes(ResultMixin):
    """Per-run outcomes of one provider over bids (the raw material of a truthfulness curve).

    Attributes:
        cost: the provider's true cost.
        points: the bids evaluated (the grid, then the true cost last).
        weights: the probability of each outcome of the provider's own ROSA flag
            (``(1 - mu, mu)``, or ``(1,)`` for a mechanism that never resamples).
        served: rounds served, shape ``(runs, len(points), len(weights))``.
        rates: payment per round served, same shape.
        simulated_rows: distinct markets simulated.
    """

    cost: float
    points: np.ndarray
    weights: np.ndarray
    served: np.ndarray
    rates: np.ndarray
    simulated_rows: int

    @property
    def utility(self) -> np.ndarray:
        """Realised utility per run, bid and flag outcome."""
        return self.served * (self.rates - self.cost)

    def expected(self, values: np.ndarray) -> np.ndarray:
        """``values`` averaged over the provider's own flag, shape ``(runs, len(points))``."""
        return values @ self.weights

    def to_frame(self) -> pd.DataFrame:
        """One row per run, bid and outcome of the provider's own flag (with its probability).

        ``flag`` is 0 for the unflagged outcome and 1 for the flagged one; the last bid of
        every run is the true cost.
        """
        runs, points, flags = self.served.shape
        run, point, flag = np.indices((runs, points, flags)).reshape(3, -1)
        return pd.DataFrame(
            {
                "run": run,
                "bid": np.asarray(self.points, dtype=float)[point],
                "flag": flag,
                "flag_probability": np.asarray(self.weights, dtype=float)[flag],
                "rounds_served": self.served.ravel(),
                "payment_per_round": self.rates.ravel(),
                "utility": self.utility.ravel(),
            }
        )

    def summary(self) -> str:
        """Runs, bids and distinct markets simulated, against the true cost."""
        runs, points, _ = self.served.shape
        return (
            f"{runs} runs x {points - 1} bids and the true cost {number(self.cost)} "
            f"(money per query); {self.simulated_rows} distinct markets simulated (reconstructed)"
        )
