"""The second-best mechanism: Mechanism 1 as printed, and the authors' simulator's variant.

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Section 4, Mechanism 1, Theorems
    5.2-5.3, Lemma A.1; the authors' simulator as reconstructed in ``docs/delegation-variant.md``.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from mechanisms.delegation.base import (
    BLIND_TRUST_I,
    BLIND_TRUST_II,
    EXPLOITATION,
    EXPLORATION,
    Delegation,
    DelegationMechanism,
    ValidationRule,
)
from mechanisms.delegation.formulas import (
    ARTIFACT_GAMMA,
    artifact_delta1,
    artifact_log_margin,
    bernoulli_quota,
    exploitation_length_paper,
    exploration_delta,
    validation_threshold,
)


class SecondBestMechanism(DelegationMechanism):
    """Mechanism 1 as printed: exploration, exploitation, blind trust I and II.

    The exploitation phase checks the running mean user utility after every query once more
    than B queries are served (line 15), and stops the phase at the first failure.

    References:
        Cao et al. (2026), Section 4, Mechanism 1; Theorems 5.2-5.3; Lemma A.1.
    """

    name = "second-best"
    classifier: ClassVar[dict] = {
        "incentive_compatible": True,
        "validation": "per-query",
        "source": "paper",
    }
    description = "Mechanism 1 as printed in the paper"
    phases = (EXPLORATION, EXPLOITATION, BLIND_TRUST_I, BLIND_TRUST_II)

    def deltas(self) -> list[float]:
        """``delta_i`` of every provider from its exploration record (line 7)."""
        p = self.params
        return [
            exploration_delta(rec.mean_reward, rec.mean_reported_length, price, p.max_length)
            for rec, price in zip(self.state.exploration, p.prices, strict=True)
        ]

    def exploitation_length(self, deltas: list[float], chosen: int) -> int:
        """``T_R`` of line 11."""
        p = self.params
        others = sum(d for i, d in enumerate(deltas) if i != chosen)
        return exploitation_length_paper(
            p.T, p.K, self.B, p.reward_bound, min(p.prices), p.max_length, others
        )

    def exploitation(self, rng: np.random.Generator) -> list[Delegation]:
        """Lines 8-17: T_R queries to i*, validated after every query past the first B."""
        p, s = self.params, self.state
        self.choose_best(rng)
        s.deltas = tuple(self.deltas())
        s.exploitation_length = self.exploitation_length(list(s.deltas), s.chosen)
        s.threshold = validation_threshold(
            s.u_prime, p.reward_bound, p.prices[s.chosen], p.max_length, self.M
        )
        s.validated = True
        rule = ValidationRule(threshold=s.threshold, start=self.B + 1, every=1)
        return [Delegation(EXPLOITATION, s.chosen, s.exploitation_length, rule)]

    def blind_trust_1(self, rng: np.random.Generator) -> list[Delegation]:
        """Lines 18-22: B more to i* if validated, then B to every other provider."""
        s = self.state
        bonus = [Delegation(BLIND_TRUST_I, s.chosen, self.B)] if s.validated else []
        others = [
            Delegation(BLIND_TRUST_I, i, self.B) for i in range(self.params.K) if i != s.chosen
        ]
        return bonus + others

    def blind_trust_2(self, rng: np.random.Generator) -> list[Delegation]:
        """Lines 23-28: ``floor(B d_i)`` (+1 at random) to i with ``d_i = delta_i + 3 >= 0``."""
        plan = []
        for i, delta in enumerate(self.state.deltas):
            d = delta + 3.0
            if d >= 0:
                quota = bernoulli_quota(self.B * d, rng, self.params.T)
                plan.append(Delegation(BLIND_TRUST_II, i, quota))
        return plan

    def typical_deltas(self, typical: list[tuple[float, float]]) -> list[float]:
        """``delta_i`` when provider i explores with mean reward/length ``typical[i]``."""
        p = self.params
        return [
            exploration_delta(r, length, price, p.max_length)
            for (r, length), price in zip(typical, p.prices, strict=True)
        ]

    def horizon_check(self, typical: list[tuple[float, float]]) -> int:
        """``T_R`` when provider i explores with mean reward/length ``typical[i]``."""
        return self.exploitation_length(self.typical_deltas(typical), self.honest_choice(typical))

    def slack_terms(self, typical: list[tuple[float, float]]) -> tuple[tuple[str, float], ...]:
        """Line 11's reserve ``(5K + 2R/(p_min L) + sum_{i != i*} delta_i) B`` term by term."""
        p = self.params
        chosen = self.honest_choice(typical)
        deltas = self.typical_deltas(typical)
        return (
            ("5K (exploration and blind trust)", 5.0 * p.K),
            (
                "2R/(p_min L) (cheapest price times L)",
                2.0 * p.reward_bound / (min(p.prices) * p.max_length),
            ),
            (
                "sum of delta_i = 2 v_i/(p_i L) - 2 tau_i/L over i != i*",
                sum(d for i, d in enumerate(deltas) if i != chosen),
            ),
        )

    def honest_phase_lengths(self, typical: list[tuple[float, float]]) -> dict[str, float]:
        """Exploration ``K B``, ``T_R``, blind trust I ``K B``, blind trust II ``sum B d_i``."""
        B, K = self.B, self.params.K
        quotas = sum(B * (d + 3.0) for d in self.typical_deltas(typical) if d + 3.0 >= 0)
        return {
            EXPLORATION: float(K * B),
            EXPLOITATION: float(self.horizon_check(typical)),
            BLIND_TRUST_I: float(K * B),
            BLIND_TRUST_II: float(quotas),
        }


class ArtifactSecondBestMechanism(SecondBestMechanism):
    """The authors' public simulator's variant of Mechanism 1 (reproduces Figures 2-4).

    Differences from the printed mechanism (``docs/delegation-variant.md``, made precise against
    the authors' per-profile results): ``T_R = T - ((delta1 + 3) K + delta2 + delta3) B`` with
    constants from all models' statistics; exploitation serves its first batch of B queries
    unchecked, then checks the whole phase's mean after each later batch of B (first check at
    j = 2B); when it passes to the end, the remainder ``T_R mod B`` is served unchecked and i*
    earns a bonus of B; blind trust II gives ``int(d_i B)`` (+1 at random) with ``d_i = delta1
    + ln v_i - ln tau_i - tau_i / L`` when ``d_i > 0``, stopping once T is reached. Its public rules
    (``rules = "artifact"``) also change i*'s second-best play: see
    :func:`agents.delegation.strategies.second_best_artifact`.

    References:
        Cao et al. (2026), Section 6 (experiments); the authors' simulator as
        reconstructed in ``docs/delegation-variant.md`` (from a description, not its code).
    """

    name = "second-best-artifact"
    classifier: ClassVar[dict] = {
        "incentive_compatible": True,
        "validation": "per-batch",
        "source": "artifact",
    }
    description = "reconstructed from the authors' simulator (docs/delegation-variant.md)"
    rules = "artifact"

    @property
    def delta1(self) -> float:
        """The artifact's constant ``delta1`` over all models of all providers."""
        return artifact_delta1(self.params.all_model_stats, self.params.max_length)

    def margins(self, records: list[tuple[float, float]]) -> list[float]:
        """``ln v_i - ln tau_i - tau_i / L`` per provider."""
        return [artifact_log_margin(v, tau, self.params.max_length) for v, tau in records]

    def exploitation_length(self, margins: list[float], chosen: int) -> int:
        """``T_R = T - ((delta1 + 3) K + ln R + delta3) B`` with ``delta3`` over i != i*."""
        p = self.params
        delta3 = sum(m for i, m in enumerate(margins) if i != chosen)
        slack = (self.delta1 + 3.0) * p.K + math.log(p.reward_bound) + delta3
        value = p.T - slack * self.B
        if math.isnan(value):  # a provider observed with zero reward and zero length
            return 0
        return p.T if value == math.inf else max(0, int(max(value, 0.0)))

    def exploitation(self, rng: np.random.Generator) -> list[Delegation]:
        """Batch-validated exploitation of ``T_R`` queries by i*: checks at j = 2B, 3B, ..."""
        p, s = self.params, self.state
        self.choose_best(rng)
        observed = [(r.mean_reward, r.mean_reported_length) for r in s.exploration]
        s.deltas = tuple(self.margins(observed))
        s.exploitation_length = self.exploitation_length(list(s.deltas), s.chosen)
        s.threshold = validation_threshold(
            s.u_prime, p.reward_bound, p.prices[s.chosen], p.max_length, self.M, ARTIFACT_GAMMA
        )
        s.validated = True
        rule = ValidationRule(threshold=s.threshold, start=2 * self.B, every=self.B)
        return [Delegation(EXPLOITATION, s.chosen, s.exploitation_length, rule)]

    def blind_trust_2(self, rng: np.random.Generator) -> list[Delegation]:
        """``int(d_i B)`` (+1 at random) to each i with ``d_i = delta1 + margin_i > 0``."""
        plan = []
        for i, margin in enumerate(self.state.deltas):
            d = self.delta1 + margin
            if d > 0:
                quota = bernoulli_quota(self.B * d, rng, self.params.T)
                plan.append(Delegation(BLIND_TRUST_II, i, quota))
        return plan

    def horizon_check(self, typical: list[tuple[float, float]]) -> int:
        """``T_R`` when provider i explores with mean reward/length ``typical[i]``."""
        return self.exploitation_length(self.margins(typical), self.honest_choice(typical))

    def slack_terms(self, typical: list[tuple[float, float]]) -> tuple[tuple[str, float], ...]:
        """The artifact's reserve ``((delta1 + 3) K + delta2 + delta3) B`` term by term."""
        p = self.params
        chosen = self.honest_choice(typical)
        margins = self.margins(typical)
        return (
            ("(delta1 + 3) K (delta1 from all models' means)", (self.delta1 + 3.0) * p.K),
            ("delta2 = ln R", math.log(p.reward_bound)),
            (
                "delta3 = sum of ln v_i - ln tau_i - tau_i/L over i != i*",
                sum(m for i, m in enumerate(margins) if i != chosen),
            ),
        )

    def honest_phase_lengths(self, typical: list[tuple[float, float]]) -> dict[str, float]:
        """Exploration ``K B``, ``T_R``, blind trust I ``K B``, II ``sum B (delta1 + margin)``."""
        B, K = self.B, self.params.K
        quotas = sum(B * (self.delta1 + m) for m in self.margins(typical) if self.delta1 + m > 0)
        return {
            EXPLORATION: float(K * B),
            EXPLOITATION: float(self.horizon_check(typical)),
            BLIND_TRUST_I: float(K * B),
            BLIND_TRUST_II: float(quotas),
        }
