"""Bidding strategies of the ROSA game: how a provider turns its private cost into a bid.

A provider bids once, before the T rounds (single-parameter domain). A strategy is a small
class with a pure :meth:`BiddingStrategy.bid` of a read-only :class:`BidderView`; bids are kept
inside the cost support ``[c_lo, c_hi]`` (ours: ROSA resamples towards ``c_hi`` and needs
``b <= c_hi``). Names may carry a parameter after a colon: ``shade:0.8``, ``inflate:1.5``,
``fixed:0.3``.

References:
    Patra et al. (2026), Def. 1 and 5 (truthful bidding is what EPIC makes optimal);
    ``docs/rosa-reconstruction.md`` (the setting). Reconstructed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from market.core.errors import UserInputError
from market.core.registry import Registry


@dataclass(frozen=True)
class BidderView:
    """What a provider knows when it bids: its own cost and the public cost support."""

    cost: float
    c_lo: float
    c_hi: float


class BiddingStrategy:
    """A rule from private cost to bid (STYLE.md item 1: a name, a classifier, one method)."""

    name: ClassVar[str] = ""
    classifier: ClassVar[dict] = {}
    default: ClassVar[float | None] = None

    def __init__(self, parameter: float | None = None):
        self.parameter = self.default if parameter is None else parameter

    @property
    def label(self) -> str:
        """The name with its parameter (``shade:0.8``)."""
        return self.name if self.parameter is None else f"{self.name}:{self.parameter:g}"

    def raw_bid(self, view: BidderView) -> float:
        """The bid before it is kept inside the support."""
        raise NotImplementedError

    def bid(self, view: BidderView, rng: np.random.Generator | None = None) -> float:
        """The bid, clipped to ``[c_lo, c_hi]`` (pure; no strategy here is random)."""
        return float(min(max(self.raw_bid(view), view.c_lo), view.c_hi))


STRATEGIES: Registry[type[BiddingStrategy]] = Registry("strategy")


@STRATEGIES.register
class Truthful(BiddingStrategy):
    """Bid the true cost (what ROSA makes optimal; Def. 5).

    References:
        Patra et al. (2026), Def. 5 (EPIC).
    """

    name = "truthful"
    classifier: ClassVar[dict] = {"truthful": True}

    def raw_bid(self, view: BidderView) -> float:
        """The cost itself."""
        return view.cost


@STRATEGIES.register
class Shade(BiddingStrategy):
    """Bid below cost: ``factor x cost`` with ``factor < 1`` (default 0.8).

    References:
        ``docs/rosa-reconstruction.md`` (a deviation to test truthfulness against).
    """

    name = "shade"
    classifier: ClassVar[dict] = {"truthful": False}
    default = 0.8

    def __init__(self, parameter: float | None = None):
        super().__init__(parameter)
        if not 0 <= self.parameter < 1:
            raise UserInputError("strategies", "shade:F with 0 <= F < 1", self.label)

    def raw_bid(self, view: BidderView) -> float:
        """The cost scaled down."""
        return self.parameter * view.cost


@STRATEGIES.register
class Inflate(BiddingStrategy):
    """Bid above cost: ``factor x cost`` with ``factor > 1`` (default 1.25).

    References:
        ``docs/rosa-reconstruction.md`` (a deviation to test truthfulness against).
    """

    name = "inflate"
    classifier: ClassVar[dict] = {"truthful": False}
    default = 1.25

    def __init__(self, parameter: float | None = None):
        super().__init__(parameter)
        if not (math.isfinite(self.parameter) and self.parameter > 1):
            raise UserInputError("strategies", "inflate:F with a finite F > 1", self.label)

    def raw_bid(self, view: BidderView) -> float:
        """The cost scaled up."""
        return self.parameter * view.cost


@STRATEGIES.register
class FixedBid(BiddingStrategy):
    """Bid a fixed amount whatever the cost (default: the middle of the support).

    References:
        ``docs/rosa-reconstruction.md`` (a cost-blind deviation).
    """

    name = "fixed"
    classifier: ClassVar[dict] = {"truthful": False}

    def __init__(self, parameter: float | None = None):
        super().__init__(parameter)
        if self.parameter is not None and not math.isfinite(self.parameter):
            raise UserInputError("strategies", "fixed:B with a finite bid B", self.label)

    def raw_bid(self, view: BidderView) -> float:
        """The fixed amount (the support's middle when none was given)."""
        if self.parameter is None:
            return 0.5 * (view.c_lo + view.c_hi)
        return self.parameter


def strategy(text: str) -> BiddingStrategy:
    """A strategy from ``name`` or ``name:parameter`` (unknown names list the registered ones)."""
    name, _, parameter = str(text).strip().partition(":")
    cls = STRATEGIES.get(name, field="strategies")
    if not parameter:
        return cls()
    try:
        value = float(parameter)
    except ValueError:
        raise UserInputError("strategies", f"{name}:NUMBER", text) from None
    if cls is Truthful:
        raise UserInputError("strategies", "truthful without a parameter", text)
    return cls(value)


def parse_strategies(text, n: int) -> tuple[BiddingStrategy, ...]:
    """One strategy per provider from comma-separated names; one name applies to everyone."""
    entries = [e.strip() for e in str(text).split(",")] if isinstance(text, str) else list(text)
    if not entries or any(e == "" for e in entries):
        raise UserInputError("strategies", "comma-separated strategy names, none empty", text)
    if len(entries) == 1:
        entries = entries * n
    if len(entries) != n:
        raise UserInputError("strategies", f"{n} comma-separated names or one name", text)
    return tuple(e if isinstance(e, BiddingStrategy) else strategy(e) for e in entries)
