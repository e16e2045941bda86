"""What a delegation provider decides and what it sees: service actions and its view.

A provider's decision for a phase is a :class:`ServiceAction`: which model of its menu serves
(cost control) and how the true output lengths become billed lengths (:class:`LengthReport`).
It decides from a read-only :class:`ProviderView`: its own menu and expectations, the
mechanism's public rules and phase, and the target ``u'`` (only for the chosen provider i*).

References:
    Cao et al. (2026), Section 3.1 (strategy space), Theorem 5.2; ``shared/specs/delegation.md``
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
class ProviderView:
    """Everything a provider may see when it decides (spec section 3, last bullet).

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

    @property
    def cheapest_model(self) -> int:
        """Menu index of the lowest-cost model (ties: the first listed)."""
        return int(np.argmin(self.costs))
