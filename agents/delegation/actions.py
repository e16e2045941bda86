"""What a delegation provider decides and what it sees: service actions and its view.

A provider's decision for a run of queries is a :class:`ServiceAction`: which model of its menu
serves (cost control) and how the true output lengths become billed lengths
(:class:`LengthReport`). It decides from a read-only :class:`ProviderView`: its own menu and
expectations, the mechanism's public rules and phase, the target ``u'`` (only for the chosen
provider i*), and its :class:`PhaseProgress`: how far it is into its delegation of this phase
and what it has observed of its own service there (its lengths and costs, never the user's
rewards).

References:
    Cao et al. (2026), Section 3.1 (strategy space), Theorem 5.2; ``docs/delegation-variant.md``
    section 3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LengthReport:
    """How a provider turns true output lengths into reported (billed) lengths.

    ``mode`` is one of ``"true"`` (report the truth), ``"max"`` (report L), ``"at-least"``
    (report ``max(true, amount)``, Theorem 5.2) or ``"padded"`` (report ``min(true + amount,
    L)``, the artifact's second-best rule). Reports never fall below the truth nor exceed L.
    """

    mode: str = "true"
    amount: int = 0

    def apply(self, true_lengths: np.ndarray, max_length: int) -> np.ndarray:
        """Reported lengths for the given true lengths (vectorised over queries)."""
        if self.mode == "true":
            return true_lengths
        if self.mode == "max":
            return np.full_like(true_lengths, max_length)
        if self.mode == "at-least":
            return np.clip(true_lengths, min(self.amount, max_length), max_length)
        if self.mode == "padded":
            return np.minimum(true_lengths + self.amount, max_length)
        raise ValueError(f"unknown length report mode {self.mode!r}")

    @property
    def truthful(self) -> bool:
        """Whether this report is always the true length."""
        return self.mode == "true" or (self.mode == "padded" and self.amount == 0)


TRUE_LENGTH = LengthReport("true")
MAX_LENGTH = LengthReport("max")


@dataclass(frozen=True)
class ServiceAction:
    """A provider's choice for a run of queries: which menu model, and how to report length."""

    model: int
    report: LengthReport


@dataclass(frozen=True)
class PhaseProgress:
    """How far a provider is into its delegation of the current phase, as it can observe.

    A provider observes the queries it is delegated (the delegation choice is public, Cao et
    al. 2026 Section 3.1), the mechanism it was announced, the tokens it generated and billed
    and the cost it incurred. It never observes the user's rewards ``v_t`` (the user evaluates
    the response privately), so no running reward or user utility is here. Every mechanism of
    this package delegates a provider at most one run of queries per phase, so "this phase"
    and "this delegation" are the same queries.

    Attributes:
        served: queries it served so far in this phase.
        phase_length: queries the mechanism delegated to it in this phase, capped by what
            is left of the horizon T (public: the mechanism is announced; under Mechanism 1
            this is ``T_R`` for i* in exploitation). The exploitation check may stop the
            phase earlier.
        reported_tokens: output tokens it billed so far in this phase.
        true_tokens: output tokens it actually generated so far in this phase.
        cost: what generating them cost it, ``sum_m c_m l_m`` (USD).
    """

    served: int = 0
    phase_length: int = 0
    reported_tokens: int = 0
    true_tokens: int = 0
    cost: float = 0.0

    @property
    def remaining(self) -> int:
        """Queries still to serve in this phase if it is not stopped early."""
        return self.phase_length - self.served

    @property
    def fraction(self) -> float:
        """Share of the phase served, ``served / phase_length`` (0 for an empty phase)."""
        return self.served / self.phase_length if self.phase_length else 0.0

    @property
    def mean_reported_length(self) -> float:
        """Mean billed length per query so far in this phase (0 before the first query)."""
        return self.reported_tokens / self.served if self.served else 0.0

    @property
    def mean_true_length(self) -> float:
        """Mean generated length per query so far in this phase (0 before the first query)."""
        return self.true_tokens / self.served if self.served else 0.0

    @property
    def mean_cost(self) -> float:
        """Mean cost per query so far in this phase (USD; 0 before the first query)."""
        return self.cost / self.served if self.served else 0.0


NO_PROGRESS = PhaseProgress()


@dataclass(frozen=True)
class ProviderView:
    """Everything a provider may see when it decides (Cao et al. 2026 Section 3.1, Tables 1-2).

    Attributes:
        phase: the mechanism's current phase name.
        rules: the mechanism's public rule family, ``"paper"`` or ``"artifact"``.
        price: the provider's public price per output token ``p_i``.
        costs: per-token cost ``c_m`` of each model on its menu.
        mean_reward: expected reward ``mu_r_m`` of each menu model.
        mean_length: expected true output length ``mu_l_m`` of each menu model.
        truthful_model: the menu index of its truthful model.
        max_length: ``L``.
        reward_bound: ``R``.
        u_prime: the second-best target ``u'``, told only to the chosen provider i*.
        progress: its progress in this phase (:class:`PhaseProgress`); all zeros at the start
            of a phase and in views built outside a run. A strategy sees it change only if it
            asks to decide again inside a phase (``DelegationStrategy.decides_every`` or
            ``decides_at``).
    """

    phase: str
    rules: str
    price: float
    costs: tuple[float, ...]
    mean_reward: tuple[float, ...]
    mean_length: tuple[float, ...]
    truthful_model: int
    max_length: int
    reward_bound: float = 1.0
    u_prime: float | None = None
    progress: PhaseProgress = NO_PROGRESS

    @property
    def cheapest_model(self) -> int:
        """Menu index of the lowest-cost model (ties: the first listed)."""
        return int(np.argmin(self.costs))
