"""Better-response revision between plays of the delegation game (the empirical game).

One *play* is the whole mechanism (T queries). Between plays a revising provider looks at the
estimated payoff of each of its strategies against the others' current strategies (a row of
the payoff table, with standard errors: payoffs are estimated over seeds) and switches to one
that improves on its current strategy by more than a tolerance and, optionally, ``z`` standard
errors of the difference. The rules here are pure functions of a read-only
:class:`RevisionView`; the metagame model (:mod:`market.delegation.metagame`) builds the views
from the payoff table and applies the choice.

References:
    Cao et al. (2026), Theorem 5.2 (each provider's best play is "ours"); better-response
    dynamics in finite games (a standard learning dynamic, not from the paper).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from market.core.errors import UserInputError

#: The revision rules: the best improving strategy, or a uniformly random improving one.
RULES = ("best", "random")


@dataclass(frozen=True)
class Alternative:
    """One strategy the mover could play, with its estimated payoff against the others."""

    strategy: str
    utility: float
    standard_error: float = 0.0


@dataclass(frozen=True)
class RevisionView:
    """What a revising provider sees between plays.

    Attributes:
        provider: its number, from 1 (``Provider k``).
        current: the strategy it played last.
        alternatives: every strategy it may play (its current one included), each with the
            estimated mean utility against the others' current strategies, in registry order.
    """

    provider: int
    current: str
    alternatives: tuple[Alternative, ...]

    def payoff(self, name: str) -> Alternative:
        """The alternative named ``name``."""
        for alternative in self.alternatives:
            if alternative.strategy == name:
                return alternative
        raise KeyError(name)


@dataclass(frozen=True)
class Improvement:
    """An improving unilateral move: the new strategy and the estimated gain."""

    strategy: str
    gain: float


def check_rule(rule: str) -> str:
    """A known revision rule, else a UserInputError listing the rules."""
    if rule not in RULES:
        raise UserInputError("rule", f"one of {', '.join(RULES)}", rule)
    return rule


def check_margin(value: object, field: str) -> float:
    """A tolerance or a number of standard errors: a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserInputError(field, "a number >= 0", value)
    if value < 0:
        raise UserInputError(field, "a number >= 0", value)
    return float(value)


def required_gain(current: Alternative, other: Alternative, tolerance: float, z: float) -> float:
    """The gain a switch must exceed: ``tolerance + z * se(difference)`` (independent SEs)."""
    spread = math.hypot(current.standard_error, other.standard_error)
    return tolerance + z * spread


def improving_moves(
    view: RevisionView, tolerance: float = 0.0, z: float = 0.0
) -> list[Improvement]:
    """Every strategy whose estimated gain over the current one exceeds the required gain."""
    current = view.payoff(view.current)
    moves = []
    for other in view.alternatives:
        gain = other.utility - current.utility
        if other.strategy != view.current and gain > required_gain(current, other, tolerance, z):
            moves.append(Improvement(other.strategy, gain))
    return moves


def revise(
    view: RevisionView,
    rule: str,
    rng: np.random.Generator,
    tolerance: float = 0.0,
    z: float = 0.0,
) -> str:
    """The strategy to play next: ``view.current`` when no move improves enough.

    ``"best"``: the largest gain (ties: the first in registry order); ``"random"``: a uniformly
    random improving move, drawn from ``rng``.
    """
    moves = improving_moves(view, tolerance, z)
    if not moves:
        return view.current
    if rule == "random":
        return moves[int(rng.integers(len(moves)))].strategy
    best = max(move.gain for move in moves)
    return next(move.strategy for move in moves if move.gain == best)
