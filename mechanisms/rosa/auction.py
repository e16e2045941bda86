"""The known-quality optimal reverse auction (Thm. 2 of Patra et al. 2026), reconstructed.

Costs are private and drawn from a regular distribution: the virtual cost
``phi(c) = c + F(c) / f(c)`` is strictly increasing, as Thm. 2 requires. We use one family with a
closed-form inverse (ours): power-law costs ``F(c) = ((c - lo) / (hi - lo))^k`` on ``[lo, hi]``,
for which ``phi(c) = c + (c - lo) / k``; ``k = 1`` is the uniform distribution (``phi(c) = 2c``
on ``[0, hi]``). Every provider draws from the same distribution (ours; the paper allows F_i).

With qualities known, one query is bought from ``argmax_i (v_i - phi(b_i))`` and the winner is
paid its threshold cost ``min(phi^{-1}(v_i - best other virtual surplus), c_hi)``: the highest
bid at which it would still have won. With equal qualities and equal virtual-cost functions this
is the second-lowest-price auction. With true qualities and true costs it is the clairvoyant
benchmark against which the learners' regret is measured.

References:
    Patra, Damle, Padala, Gujar (2026), Thm. 1 (Myerson's characterisation, reverse form) and
    Thm. 2 (optimal reverse auction); Myerson (1981); ``docs/rosa-reconstruction.md`` (the
    known-quality benchmark). Reconstructed: the paper's body could not be obtained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from market.core.errors import UserInputError


@dataclass(frozen=True)
class CostDistribution:
    """Power-law private costs on ``[lo, hi]`` with ``F(c) = ((c - lo) / (hi - lo))^shape``.

    Attributes:
        lo: lowest possible cost ``c_lo`` (>= 0).
        hi: highest possible cost ``c_hi`` (> lo); ROSA resamples bids up towards it.
        shape: ``k > 0``; 1 is uniform. The virtual cost ``c + (c - lo) / k`` is strictly
            increasing for every k (regular, as Thm. 2 needs).
    """

    lo: float = 0.0
    hi: float = 0.5
    shape: float = 1.0

    def __post_init__(self):
        if not (math.isfinite(self.lo) and self.lo >= 0):
            raise UserInputError("cost_lo", "a finite cost >= 0", self.lo)
        if not (math.isfinite(self.hi) and self.hi > self.lo):
            raise UserInputError("cost_hi", f"a finite cost above cost_lo = {self.lo}", self.hi)
        if not (math.isfinite(self.shape) and self.shape > 0):
            raise UserInputError("cost_shape", "a finite number > 0 (1 = uniform)", self.shape)

    def cdf(self, cost):
        """``F(c)``, clipped to [0, 1] outside the support."""
        share = np.clip((np.asarray(cost, dtype=float) - self.lo) / (self.hi - self.lo), 0, 1)
        return share**self.shape

    def virtual_cost(self, cost):
        """``phi(c) = c + F(c) / f(c) = c + (c - lo) / shape`` (strictly increasing)."""
        cost = np.asarray(cost, dtype=float)
        return cost + (cost - self.lo) / self.shape

    def inverse_virtual_cost(self, virtual):
        """``phi^{-1}(z) = (shape z + lo) / (shape + 1)``."""
        return (self.shape * np.asarray(virtual, dtype=float) + self.lo) / (self.shape + 1.0)

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Costs drawn by inversion: ``lo + (hi - lo) U^(1 / shape)``."""
        return self.lo + (self.hi - self.lo) * rng.random(size) ** (1.0 / self.shape)


@dataclass(frozen=True)
class AuctionOutcome:
    """Who serves each query and what the winner is paid (arrays over the leading axes).

    Attributes:
        winner: index of the provider bought from; -1 when a reserve excluded everyone.
        payment: the winner's threshold payment (0 when nobody serves).
        virtual_surplus: the winner's ``v - phi(b)`` (0 when nobody serves).
    """

    winner: np.ndarray
    payment: np.ndarray
    virtual_surplus: np.ndarray


def threshold_payment(value, best_other_surplus, costs: CostDistribution):
    """The winner's threshold cost ``min(phi^{-1}(v - best other surplus), c_hi)`` (Thm. 2)."""
    with np.errstate(invalid="ignore"):
        threshold = costs.inverse_virtual_cost(np.asarray(value) - best_other_surplus)
    return np.minimum(threshold, costs.hi)


def optimal_reverse_auction(
    values, bids, costs: CostDistribution, reserve: bool = False
) -> AuctionOutcome:
    """Thm. 2: buy from ``argmax_i (v_i - phi(b_i))``, pay the winner its threshold cost.

    Args:
        values: known qualities ``v_i`` of each provider, shape ``(..., n)``.
        bids: bids ``b_i``, shape ``(..., n)`` (broadcast against ``values``).
        costs: the cost distribution giving ``phi``.
        reserve: when True nobody is bought from if every virtual surplus is negative, and the
            reserve surplus 0 counts as an "other" bid; when False (the default, ours: the
            paper's choice is unknown) the best provider always serves.

    Ties go to the lowest index (ours). A lone provider without reserve is paid ``c_hi``.

    References:
        Patra et al. (2026), Thm. 2; ``docs/rosa-reconstruction.md`` (the known-quality benchmark).
    """
    values = np.asarray(values, dtype=float)
    surplus = values - costs.virtual_cost(bids)
    surplus = np.broadcast_to(surplus, np.broadcast_shapes(values.shape, surplus.shape))
    winner = np.argmax(surplus, axis=-1)
    best = np.take_along_axis(surplus, winner[..., None], axis=-1)[..., 0]
    others = surplus.copy()
    np.put_along_axis(others, winner[..., None], -np.inf, axis=-1)
    second = others.max(axis=-1) if surplus.shape[-1] > 1 else np.full(best.shape, -np.inf)
    if reserve:
        second = np.maximum(second, 0.0)
    value = np.take_along_axis(np.broadcast_to(values, surplus.shape), winner[..., None], -1)
    payment = threshold_payment(value[..., 0], second, costs)
    if reserve:
        served = best >= 0
        winner = np.where(served, winner, -1)
        payment = np.where(served, payment, 0.0)
        best = np.where(served, best, 0.0)
    return AuctionOutcome(winner=winner, payment=payment, virtual_surplus=best)
