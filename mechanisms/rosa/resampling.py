"""ROSA, the reverse self-resampling procedure (Def. 4 of Patra et al. 2026), reconstructed.

Each provider bids a per-query cost once. ROSA keeps each bid with probability ``1 - mu``;
otherwise it *flags* the provider and moves its bid up towards ``c_hi``: ``y ~ U[b, c_hi]``, and
with probability ``mu`` redraws ``y' ~ U[y, c_hi]``, and so on until a redraw is declined. Given
the flag this is the closed form ``c_hi - x = (c_hi - b) V^(1 / (1 - mu))``, ``V ~ U[0, 1]``
(the product of a geometric number of uniforms). The allocation rule (a learner) then runs once
over the whole horizon on the modified bids ``x``, and provider i is paid, per round it serves,
``b_i + (c_hi - b_i) / mu`` if flagged, else ``b_i``.

In expectation over ROSA's coins the payment is the reverse Myerson payment
``b abar(b) + integral_b^{c_hi} abar(u) du`` (``abar`` the expected rounds served), so an
ex-post monotone allocation rule becomes truthful in expectation (EPIC, Def. 5); payments are at
least the bid per round served, so a truthful provider never loses money (universal ex-post IR,
Def. 6).

Mechanisms (peers in :data:`MECHANISMS`):

* ``rosa`` -- the procedure above.
* ``pay-as-bid`` -- a contrast (ours): no resampling, every round served is paid the bid; it is
  ex-post IR but not truthful (inflating pays).

References:
    Patra et al. (2026), Def. 4-6 and the main theorem; Babaioff, Kleinberg, Slivkins (2015),
    "Truthful mechanisms with implicit payment computation"; ``docs/rosa-reconstruction.md``
    (the resampling payment).
    Reconstructed: the paper's body could not be obtained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from market.core.errors import UserInputError
from market.core.registry import Registry


def default_mu(T: int) -> float:
    """``mu = min(0.5, 1 / sqrt(T))`` (ours): the resampling loss is O(sqrt(T)), like learning."""
    return min(0.5, 1.0 / math.sqrt(T))


@dataclass(frozen=True)
class ResamplingParams:
    """ROSA's public parameters.

    Attributes:
        mu: the resampling probability, strictly between 0 and 1.
        c_hi: the top of the cost support; flagged bids move up towards it.
    """

    mu: float
    c_hi: float

    def __post_init__(self):
        if not (isinstance(self.mu, int | float) and 0.0 < self.mu < 1.0):
            raise UserInputError("mu", "a number strictly between 0 and 1", self.mu)


@dataclass(frozen=True)
class ResamplingCoins:
    """ROSA's coins for each provider: the flag and the uniform ``V`` of the closed form.

    Attributes:
        flagged: True where the bid is resampled (probability ``mu``), shape ``(..., n)``.
        uniform: ``V ~ U[0, 1)`` per provider, used only where flagged.
    """

    flagged: np.ndarray
    uniform: np.ndarray


def draw_coins(rng: np.random.Generator, n: int, mu: float) -> ResamplingCoins:
    """``n`` providers' coins: ``n`` uniforms for the flags, then ``n`` for ``V`` (fixed order)."""
    flags = rng.random(n) < mu
    return ResamplingCoins(flagged=flags, uniform=rng.random(n))


def resampled_bids(bids, coins: ResamplingCoins, params: ResamplingParams) -> np.ndarray:
    """The modified bids ``x``: ``c_hi - (c_hi - b) V^(1/(1-mu))`` where flagged, else ``b``."""
    bids = np.asarray(bids, dtype=float)
    moved = params.c_hi - (params.c_hi - bids) * coins.uniform ** (1.0 / (1.0 - params.mu))
    return np.where(coins.flagged, moved, bids)


def resample_by_redraws(bid: float, params: ResamplingParams, rng: np.random.Generator):
    """Def. 4 step by step, for one bid: ``(flagged, x)``.

    Flag with probability mu; then ``y ~ U[y, c_hi]`` repeatedly, each redraw taken with
    probability mu. Equal in distribution to :func:`resampled_bids` (a test checks it).
    """
    if rng.random() >= params.mu:
        return False, float(bid)
    moved = rng.uniform(bid, params.c_hi)
    while rng.random() < params.mu:
        moved = rng.uniform(moved, params.c_hi)
    return True, float(moved)


def rosa_payment_rates(bids, coins: ResamplingCoins, params: ResamplingParams) -> np.ndarray:
    """Payment per round served: ``b + (c_hi - b) / mu`` where flagged, else ``b`` (Def. 4)."""
    bids = np.asarray(bids, dtype=float)
    return np.where(coins.flagged, bids + (params.c_hi - bids) / params.mu, bids)


def myerson_expected_payment(bid: float, grid, expected_rounds, c_hi: float) -> float:
    """``b abar(b) + integral_b^{c_hi} abar(u) du``, abar given on ``grid`` (Thm. 1, reverse).

    ``grid`` must be increasing, start at ``bid`` and end at ``c_hi``; the integral is the
    trapezoid rule on it.
    """
    grid = np.asarray(grid, dtype=float)
    rounds = np.asarray(expected_rounds, dtype=float)
    if grid[0] != bid or grid[-1] != c_hi:
        raise ValueError("grid must run from the bid to c_hi")
    return float(bid * rounds[0] + np.trapezoid(rounds, grid))


class Mechanism:
    """A payment rule around the learner: which bids the learner sees, what a round pays."""

    name: ClassVar[str] = ""
    classifier: ClassVar[dict] = {}

    def __init__(self, params: ResamplingParams):
        self.params = params

    def coins(self, rng: np.random.Generator, n: int) -> ResamplingCoins:
        """Draw the mechanism's coins for ``n`` providers."""
        return draw_coins(rng, n, self.params.mu)

    def modified_bids(self, bids, coins: ResamplingCoins) -> np.ndarray:
        """The bids the learner is run on."""
        raise NotImplementedError

    def payment_rates(self, bids, coins: ResamplingCoins) -> np.ndarray:
        """Payment per round served, for each provider."""
        raise NotImplementedError


MECHANISMS: Registry[type[Mechanism]] = Registry("mechanism")


@MECHANISMS.register
class Rosa(Mechanism):
    """ROSA (Def. 4): resample flagged bids upwards, pay ``b + (c_hi - b)/mu`` when flagged.

    References:
        Patra et al. (2026), Def. 4 and its truthfulness theorem (reconstructed).
    """

    name = "rosa"
    classifier: ClassVar[dict] = {"truthful": True, "resamples": True}

    def modified_bids(self, bids, coins: ResamplingCoins) -> np.ndarray:
        """The resampled bids (:func:`resampled_bids`)."""
        return resampled_bids(bids, coins, self.params)

    def payment_rates(self, bids, coins: ResamplingCoins) -> np.ndarray:
        """ROSA's payments per round (:func:`rosa_payment_rates`)."""
        return rosa_payment_rates(bids, coins, self.params)


@MECHANISMS.register
class PayAsBid(Mechanism):
    """A contrast (ours): the learner sees the bids as given; each round served pays the bid.

    References:
        ``docs/rosa-reconstruction.md`` (a baseline without ROSA; not in the paper's known text).
    """

    name = "pay-as-bid"
    classifier: ClassVar[dict] = {"truthful": False, "resamples": False}

    def coins(self, rng: np.random.Generator, n: int) -> ResamplingCoins:
        """Nobody is flagged (the uniforms are drawn all the same, so streams line up)."""
        drawn = draw_coins(rng, n, self.params.mu)
        return ResamplingCoins(np.zeros(n, dtype=bool), drawn.uniform)

    def modified_bids(self, bids, coins: ResamplingCoins) -> np.ndarray:
        """The bids unchanged."""
        return np.array(bids, dtype=float)

    def payment_rates(self, bids, coins: ResamplingCoins) -> np.ndarray:
        """The bid per round served."""
        return np.array(bids, dtype=float)
