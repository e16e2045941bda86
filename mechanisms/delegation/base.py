"""What every delegation mechanism shares: phases, public inputs, requests and records.

A mechanism decides, phase by phase, how many queries each provider is delegated. It never
looks inside a query: it sees only what the user sees (rewards and *reported* lengths), through
:class:`PhaseRecord` summaries of the phases already played. Each phase is a named method
returning :class:`Delegation` requests; the platform agent serves them in any batch size (down
to one query), so the mechanism's randomness (tie-breaking, the random extra query of blind
trust II) is drawn at fixed logical points and a run is identical whatever the batch size.

The checks of the public inputs (T, eps, R, L) are defined here once and used wherever such a
value enters: :class:`DelegationParams` and the scenarios of :mod:`market.delegation`.

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Sections 3-4, Mechanism 1.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from market.core.errors import UserInputError
from market.core.registry import Registry
from mechanisms.delegation.formulas import confidence_radius, exploration_size

EXPLORATION = "exploration"
EXPLOITATION = "exploitation"
BLIND_TRUST_I = "blind-trust-1"
BLIND_TRUST_II = "blind-trust-2"
PHASES = (EXPLORATION, EXPLOITATION, BLIND_TRUST_I, BLIND_TRUST_II)


def is_whole_number(value: object) -> bool:
    """An integer (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_finite_number(value: object) -> bool:
    """A finite real number (not a bool)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def check_horizon(T: object, field_name: str = "T") -> None:
    """T must be a positive integer number of queries."""
    if not is_whole_number(T) or T < 1:
        raise UserInputError(field_name, "a positive integer number of queries", T)


def check_eps(eps: object, field_name: str = "eps") -> None:
    """``epsilon`` must lie strictly between 0 and 1/2 (Mechanism 1, line 1)."""
    if not is_finite_number(eps) or not 0 < eps < 0.5:
        raise UserInputError(field_name, "a number strictly between 0 and 1/2", eps)


def check_reward_bound(reward_bound: object, field_name: str = "reward_bound") -> None:
    """The reward bound ``R`` must be a number > 0."""
    if not is_finite_number(reward_bound) or reward_bound <= 0:
        raise UserInputError(field_name, "a number R > 0", reward_bound)


def check_max_length(max_length: object, field_name: str = "max_length") -> None:
    """The length bound ``L`` must be a positive integer number of tokens."""
    if not is_whole_number(max_length) or max_length < 1:
        raise UserInputError(field_name, "a positive integer L (tokens)", max_length)


@dataclass(frozen=True)
class DelegationParams:
    """Public inputs of a delegation mechanism (Mechanism 1, line 1).

    Attributes:
        T: total number of queries.
        prices: price per output token ``p_i`` of each provider (USD per token), provider order.
        reward_bound: ``R``, the largest possible reward.
        max_length: ``L``, the largest possible output length in tokens.
        eps: ``epsilon`` in (0, 1/2), setting ``B = T^(2 eps)`` and ``M = T^-eps ln(KT)``.
        all_model_stats: (mean reward, mean length) of every model on every menu; only the
            artifact variant uses them (its constant ``delta1``).
    """

    T: int
    prices: tuple[float, ...]
    reward_bound: float
    max_length: int
    eps: float
    all_model_stats: tuple[tuple[float, float], ...] = ()

    def __post_init__(self):
        check_horizon(self.T)
        check_eps(self.eps)
        if len(self.prices) < 2:
            raise UserInputError("providers", "at least 2 providers (K >= 2)", len(self.prices))
        if any(not p > 0 for p in self.prices):
            raise UserInputError("prices", "positive prices per token", self.prices)
        check_reward_bound(self.reward_bound)
        check_max_length(self.max_length)

    @property
    def K(self) -> int:
        """Number of providers."""
        return len(self.prices)


@dataclass(frozen=True)
class ValidationRule:
    """When the exploitation phase checks the running mean user utility, and against what.

    The check happens after query ``j`` (1-based, within the phase) when ``j >= start`` and
    ``(j - start) % every == 0``; the phase stops at once when the mean is below ``threshold``.
    Mechanism 1 checks every query after the first B (``start = B + 1, every = 1``); the
    artifact serves its first batch of B unchecked and checks after each later batch of B
    (``start = 2B, every = B``), so its remainder ``T_R mod B`` is never checked.
    """

    threshold: float
    start: int
    every: int = 1

    def positions(self, first: int, last: int) -> np.ndarray:
        """The checked 1-based positions ``j`` with ``first <= j <= last``."""
        start = max(self.start, first)
        start += (-(start - self.start)) % self.every
        return np.arange(start, last + 1, self.every) if start <= last else np.empty(0, int)


@dataclass(frozen=True)
class Delegation:
    """A request: delegate ``count`` queries to ``provider`` within ``phase``.

    ``provider`` is a 0-based index (``Provider provider + 1`` in records and columns).
    """

    phase: str
    provider: int
    count: int
    validation: ValidationRule | None = None


@dataclass
class PhaseRecord:
    """What the user observed of one provider in one phase (rewards and reported lengths)."""

    queries: int = 0
    reward_sum: float = 0.0
    reported_length_sum: float = 0.0
    user_utility_sum: float = 0.0
    stopped_early: bool = False

    @property
    def mean_reward(self) -> float:
        """Mean observed reward ``v_i``."""
        return self.reward_sum / self.queries if self.queries else 0.0

    @property
    def mean_reported_length(self) -> float:
        """Mean reported length ``tau_i``."""
        return self.reported_length_sum / self.queries if self.queries else 0.0

    @property
    def mean_user_utility(self) -> float:
        """Mean user utility ``u_i = v_i - p_i tau_i``."""
        return self.user_utility_sum / self.queries if self.queries else 0.0


@dataclass
class MechanismState:
    """What the mechanism has learned so far; filled in phase by phase."""

    exploration: list[PhaseRecord] = field(default_factory=list)
    exploitation: PhaseRecord | None = None
    chosen: int | None = None  # i*, a 0-based index (DelegationResult.chosen is i* + 1)
    u_prime: float | None = None  # u', told to i*
    exploitation_length: int | None = None  # T_R
    threshold: float | None = None
    validated: bool | None = None
    deltas: tuple[float, ...] = ()


class DelegationMechanism:
    """Base class: a mechanism is a sequence of named phases, each planning delegations."""

    name: ClassVar[str] = ""
    classifier: ClassVar[dict] = {}
    #: one line for people: where the mechanism comes from (printed by the CLI and pages).
    description: ClassVar[str] = ""
    phases: ClassVar[tuple[str, ...]] = ()
    #: which family of provider behaviour the mechanism's public rules invite ("paper" or
    #: "artifact"): the artifact's second-best rule differs from Theorem 5.2's.
    rules: ClassVar[str] = "paper"

    def __init__(self, params: DelegationParams):
        self.params = params
        self.B = exploration_size(params.T, params.eps)
        self.M = confidence_radius(params.T, params.K, params.eps)
        self.state = MechanismState()

    def plan(self, phase: str, rng: np.random.Generator) -> list[Delegation]:
        """The delegations of ``phase``, given everything recorded in earlier phases."""
        return getattr(self, phase.replace("-", "_"))(rng)

    def record(self, delegation: Delegation, outcome: PhaseRecord) -> None:
        """Store what the user observed when ``delegation`` was served."""
        if delegation.phase == EXPLORATION:
            self.state.exploration.append(outcome)
        elif delegation.phase == EXPLOITATION:
            self.state.exploitation = outcome
            if delegation.validation is not None:
                self.state.validated = not outcome.stopped_early

    def exploration(self, rng: np.random.Generator) -> list[Delegation]:
        """Line 4-7: each provider in turn serves B queries, honestly if it is wise."""
        return [Delegation(EXPLORATION, i, self.B) for i in range(self.params.K)]

    def choose_best(self, rng: np.random.Generator) -> None:
        """Line 9: ``i* = argmax u_i`` (ties at random) and ``u' = max_{i != i*} u_i``."""
        utilities = np.array([rec.mean_user_utility for rec in self.state.exploration])
        best = np.flatnonzero(utilities == utilities.max())
        chosen = int(best[0]) if best.size == 1 else int(rng.choice(best))
        self.state.chosen = chosen
        self.state.u_prime = float(np.max(np.delete(utilities, chosen)))

    def horizon_check(self, typical: list[tuple[float, float]]) -> int:
        """``T_R`` if every provider explored with the given (mean reward, mean length).

        Used before a run to reject a T too small for an exploitation phase.
        """
        raise NotImplementedError

    def slack_terms(self, typical: list[tuple[float, float]]) -> tuple[tuple[str, float], ...]:
        """The terms (in units of B) that ``T_R`` reserves beyond T, with honest exploration.

        ``typical[i]`` is provider i's (mean reward, mean length) when it explores honestly.
        A mechanism without such a reserve returns no terms.
        """
        return ()

    def honest_phase_lengths(self, typical: list[tuple[float, float]]) -> dict[str, float]:
        """Expected queries per phase when every provider plays honestly (before capping at T).

        Blind trust II's random quotas count at their expectation.
        """
        raise NotImplementedError

    def honest_choice(self, typical: list[tuple[float, float]]) -> int:
        """i* when exploration observes exactly ``typical`` (the first of equal utilities)."""
        utilities = [
            r - price * length
            for (r, length), price in zip(typical, self.params.prices, strict=True)
        ]
        return int(np.argmax(utilities))


MECHANISMS: Registry[type[DelegationMechanism]] = Registry("mechanism")
