"""The runs of queries a delegation provider serves: segments, their records and decision points.

A :class:`Segment` is one provider's delegation within a phase while it is being served; the
platform serves it vectorised between the decision points its strategy declares and records it
as :class:`ServedDelegation` entries (one per action, so a strategy that changes its action at a
decision point leaves two). Query ids are drawn once per run (:func:`draw_query_ids`).

References:
    Cao et al. (2026), Section 3.1 (what a provider observes and decides), Mechanism 1;
    ``docs/delegation-variant.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from agents.delegation.actions import PhaseProgress, ServiceAction
from market.core.errors import UserInputError
from mechanisms.delegation import Delegation


def serving_cost(costs, true_tokens: np.ndarray) -> float:
    """``sum_m c_m l_m``: what generating ``true_tokens[m]`` tokens with each model cost."""
    return sum(c * int(n) for c, n in zip(costs, true_tokens, strict=True) if n)


@dataclass
class Segment:
    """A delegation being served: who, with which action, how far along.

    ``action`` is the one the provider chose at its last decision point (``action_start``
    queries into the delegation); ``next_decision`` is when it is asked again (None: never).
    """

    delegation: Delegation
    provider: mesa.Agent  # the ProviderAgent serving it
    phase_length: int  # the delegation's count, capped by what is left of T
    base_true: np.ndarray  # provider's generated tokens per menu model when the segment began
    action: ServiceAction | None = None
    row: int = -1
    served: int = 0
    base_reward: float = 0.0  # provider's reward total when the segment began
    base_reported: int = 0
    reported: int = 0  # reported tokens within the segment
    stopped_early: bool = False
    action_start: int = 0
    next_decision: int | None = None

    @property
    def remaining(self) -> int:
        """Queries still to serve."""
        return self.delegation.count - self.served

    @property
    def until_decision(self) -> int:
        """Queries to serve before the provider decides again (all remaining if never)."""
        if self.next_decision is None:
            return self.remaining
        return self.next_decision - self.served

    def progress(self) -> PhaseProgress:
        """What the provider has observed of its own service in this delegation."""
        true_tokens = self.provider.true_tokens - self.base_true
        return PhaseProgress(
            served=self.served,
            phase_length=self.phase_length,
            reported_tokens=self.reported,
            true_tokens=int(true_tokens.sum()),
            cost=serving_cost(self.provider.menu.costs, true_tokens),
        )


@dataclass(frozen=True)
class ServedDelegation:
    """One delegation as served: who, in which phase, which queries, and how.

    Attributes:
        phase: the mechanism's phase.
        provider: the provider's number, from 1 (``Provider k`` in the DataCollector columns).
        start: queries delegated before it (its first query, 0-based).
        end: queries delegated when it ended (or so far, while it is being served).
        cheaper_model: served with a model other than the provider's truthful one.
        inflated_length: billed lengths other than the true ones.
        stopped_early: the validation check stopped it.
    """

    phase: str
    provider: int
    start: int
    end: int
    cheaper_model: bool
    inflated_length: bool
    stopped_early: bool = False


def served_delegation(segment: Segment, used: int) -> ServedDelegation:
    """The record of ``segment``'s current action, as served up to query ``used``."""
    return ServedDelegation(
        phase=segment.delegation.phase,
        provider=segment.provider.index + 1,
        start=used - (segment.served - segment.action_start),
        end=used,
        cheaper_model=segment.action.model != segment.provider.menu.truthful_model,
        inflated_length=not segment.action.report.truthful,
        stopped_early=segment.stopped_early,
    )


def checked_decision_point(point: object, progress: PhaseProgress) -> int | None:
    """A strategy's next decision point, which must come after the queries already served.

    Points at or past the end of the phase mean "not again in this phase" (None).
    """
    if point is None:
        return None
    if not isinstance(point, (int, np.integer)) or isinstance(point, bool):
        raise UserInputError("next_decision", "None or a whole number of queries", point)
    if point <= progress.served:
        raise UserInputError(
            "next_decision", f"more than the {progress.served} queries already served", point
        )
    return int(point) if point < progress.phase_length else None


def draw_query_ids(T: int, n_queries: int, rules: str, rng: np.random.Generator):
    """The query ids ``w_1..w_T``, drawn once so any batching sees the same queries.

    As printed: i.i.d. uniform over the Q queries. The artifact draws ``randint(0, T) mod Q``
    (``docs/delegation-variant.md``).
    """
    if rules == "artifact":
        return rng.integers(0, T, size=T) % n_queries
    return rng.integers(0, n_queries, size=T)
