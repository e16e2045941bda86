"""Rules of the delegation game: Mechanism 1 of Cao et al. (2026) and its peers.

A mechanism decides, phase by phase, how many queries each provider is delegated. It never
looks inside a query: it sees only what the user sees (rewards and *reported* lengths), via
:class:`PhaseRecord` summaries of the phases already played. Each phase is a named method that
returns a list of :class:`Delegation` requests; the platform agent executes them in any batch
size (down to one query), so the mechanism's randomness (tie-breaking, the random extra query of
blind trust II) is drawn at fixed logical points and a run is identical whatever the batch size.

Mechanisms:

* ``second-best`` -- Mechanism 1 exactly as printed (Section 4), per-query validation check.
* ``second-best-artifact`` -- the authors' public simulator that produced Figures 2-4
  (``shared/specs/delegation.md`` section 4): batch validation checks and other constants.
* ``explore-then-commit`` -- a naive baseline without incentives: explore every provider B
  times, then give the rest to the best observed user utility, with no validation and no
  blind-trust rewards.

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Sections 3-4, Mechanism 1, Appendix A.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from market.core.errors import UserInputError
from market.core.registry import Registry

EXPLORATION = "exploration"
EXPLOITATION = "exploitation"
BLIND_TRUST_I = "blind-trust-1"
BLIND_TRUST_II = "blind-trust-2"

#: The artifact's gamma: the divisor of the validation slack (3, as in the paper).
ARTIFACT_GAMMA = 3.0


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
        if not isinstance(self.T, int | np.integer) or self.T < 1:
            raise UserInputError("T", "a positive integer number of queries", self.T)
        if not 0.0 < self.eps < 0.5:
            raise UserInputError("eps", "a number strictly between 0 and 1/2", self.eps)
        if len(self.prices) < 2:
            raise UserInputError("providers", "at least 2 providers (K >= 2)", len(self.prices))
        if any(not p > 0 for p in self.prices):
            raise UserInputError("prices", "positive prices per token", self.prices)
        if not self.reward_bound > 0:
            raise UserInputError("reward_bound", "R > 0", self.reward_bound)
        if not self.max_length >= 1:
            raise UserInputError("max_length", "L >= 1 token", self.max_length)

    @property
    def K(self) -> int:
        """Number of providers."""
        return len(self.prices)


def exploration_size(T: int, eps: float) -> int:
    """``B = floor(T^(2 eps))``: queries per provider in exploration (Mechanism 1, line 2)."""
    return math.floor(T ** (2.0 * eps))


def confidence_radius(T: int, K: int, eps: float) -> float:
    """``M = T^(-eps) ln(K T)`` (Mechanism 1, line 2)."""
    return T ** (-eps) * math.log(K * T)


def validation_threshold(
    u_prime: float,
    reward_bound: float,
    price: float,
    max_length: int,
    radius: float,
    gamma: float = 3.0,
) -> float:
    """Lowest acceptable mean exploitation utility ``u' - (R + p_{i*} L) M / 3`` (line 15).

    The paper prints ``b``; it is the reward bound ``R`` (spec section 2). The artifact names
    the divisor ``gamma`` (3 there too).
    """
    return u_prime - (reward_bound + price * max_length) * radius / gamma


def exploration_delta(mean_reward: float, mean_length: float, price: float, max_length: int):
    """``delta_i = 2 v_i / (p_i L) - 2 tau_i / L`` (Mechanism 1, line 7)."""
    return 2.0 * mean_reward / (price * max_length) - 2.0 * mean_length / max_length


def exploitation_length_paper(
    T: int,
    K: int,
    B: int,
    reward_bound: float,
    min_price: float,
    max_length: int,
    other_deltas: float,
) -> int:
    """``T_R = floor(T - (5K + 2R/(min p L) + sum_{i != i*} delta_i) B - K)``, >= 0 (line 11)."""
    slack = 5 * K + 2.0 * reward_bound / (min_price * max_length) + other_deltas
    return max(0, math.floor(T - slack * B - K))


def artifact_delta1(model_stats: tuple[tuple[float, float], ...], max_length: int) -> float:
    """``delta1 = -ln min mu_r + ln max mu_l + max mu_l / L + 1`` over all models (spec s.4)."""
    rewards = [r for r, _ in model_stats]
    lengths = [length for _, length in model_stats]
    return -math.log(min(rewards)) + math.log(max(lengths)) + max(lengths) / max_length + 1.0


def artifact_log_margin(mean_reward: float, mean_length: float, max_length: int) -> float:
    """``ln v_i - ln tau_i - tau_i / L``, the artifact's per-provider term (spec section 4)."""
    with np.errstate(divide="ignore"):
        return float(np.log(mean_reward) - np.log(mean_length) - mean_length / max_length)


def bernoulli_quota(expected: float, rng: np.random.Generator, cap: int) -> int:
    """``floor(x)`` queries plus one more with probability ``x - floor(x)`` (lines 27-28).

    ``x`` is capped at ``cap`` (the horizon T: no phase can use more), which also keeps an
    infinite quota (a provider observed with zero mean length) finite.
    """
    expected = min(expected, cap)
    whole = math.floor(expected)
    return int(whole) + int(rng.random() < expected - whole)


@dataclass(frozen=True)
class ValidationRule:
    """When the exploitation phase checks the running mean user utility, and against what.

    The check happens after query ``j`` (1-based, within the phase) when ``j >= start`` and
    ``(j - start) % every == 0``; the phase stops at once when the mean is below ``threshold``.
    Mechanism 1 checks every query after the first B (``start = B + 1, every = 1``); the
    artifact checks after each batch of B (``start = B, every = B``).
    """

    threshold: float
    start: int
    every: int = 1
    last: int | None = None  # no check after this query (the artifact's remainder)

    def positions(self, first: int, last: int) -> np.ndarray:
        """The checked 1-based positions ``j`` with ``first <= j <= last``."""
        start = max(self.start, first)
        start += (-(start - self.start)) % self.every
        stop = last if self.last is None else min(last, self.last)
        return np.arange(start, stop + 1, self.every) if start <= stop else np.empty(0, int)


@dataclass(frozen=True)
class Delegation:
    """A request: delegate ``count`` queries to ``provider`` within ``phase``."""

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
    chosen: int | None = None  # i*
    u_prime: float | None = None  # u', told to i*
    exploitation_length: int | None = None  # T_R
    threshold: float | None = None
    validated: bool | None = None
    deltas: tuple[float, ...] = ()


class DelegationMechanism:
    """Base class: a mechanism is a sequence of named phases, each planning delegations."""

    name: ClassVar[str] = ""
    classifier: ClassVar[dict] = {}
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


MECHANISMS: Registry[type[DelegationMechanism]] = Registry("mechanism")


@MECHANISMS.register
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

    def horizon_check(self, typical: list[tuple[float, float]]) -> int:
        """``T_R`` when provider i explores with mean reward/length ``typical[i]``."""
        p = self.params
        deltas = [
            exploration_delta(r, length, price, p.max_length)
            for (r, length), price in zip(typical, p.prices, strict=True)
        ]
        utilities = [
            r - price * length for (r, length), price in zip(typical, p.prices, strict=True)
        ]
        return self.exploitation_length(deltas, int(np.argmax(utilities)))


@MECHANISMS.register
class ArtifactSecondBestMechanism(SecondBestMechanism):
    """The authors' public simulator's variant of Mechanism 1 (reproduces Figures 2-4).

    Differences from the printed mechanism (spec section 4): ``T_R = T - ((delta1 + 3) K +
    delta2 + delta3) B`` with constants from all models' statistics; the validation check runs
    after each batch of B queries on the whole phase's mean; when it passes to the end, the
    remainder ``T_R mod B`` is served unchecked and i* earns a bonus of B; blind trust II gives
    ``int(d_i B)`` (+1 at random) with ``d_i = delta1 + ln v_i - ln tau_i - tau_i / L`` when
    ``d_i > 0``, stopping once T is reached.

    References:
        Cao et al. (2026), Section 6 (experiments); the artifact as described in
        ``shared/specs/delegation.md`` section 4. Reconstructed from that description.
    """

    name = "second-best-artifact"
    classifier: ClassVar[dict] = {
        "incentive_compatible": True,
        "validation": "per-batch",
        "source": "artifact",
    }
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
        """Batch-validated exploitation of ``T_R`` queries by i* (spec section 4)."""
        p, s = self.params, self.state
        self.choose_best(rng)
        observed = [(r.mean_reward, r.mean_reported_length) for r in s.exploration]
        s.deltas = tuple(self.margins(observed))
        s.exploitation_length = self.exploitation_length(list(s.deltas), s.chosen)
        s.threshold = validation_threshold(
            s.u_prime, p.reward_bound, p.prices[s.chosen], p.max_length, self.M, ARTIFACT_GAMMA
        )
        s.validated = True
        full_batches = (s.exploitation_length // self.B) * self.B
        rule = ValidationRule(threshold=s.threshold, start=self.B, every=self.B, last=full_batches)
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
        p = self.params
        utilities = [
            r - price * length for (r, length), price in zip(typical, p.prices, strict=True)
        ]
        return self.exploitation_length(self.margins(typical), int(np.argmax(utilities)))


@MECHANISMS.register
class ExploreThenCommit(DelegationMechanism):
    """Naive baseline: explore each provider B times, then commit the rest to the best.

    No validation, no blind trust: what a platform without incentives might do. A provider
    chosen for the commitment phase faces no check, so cheating there costs it nothing; the
    dashboard and sweeps show what that does to the user.

    References:
        Cao et al. (2026), Section 3.2 (why truthful behaviour needs incentives); a textbook
        explore-then-commit bandit rule, not from the paper.
    """

    name = "explore-then-commit"
    classifier: ClassVar[dict] = {
        "incentive_compatible": False,
        "validation": None,
        "source": "baseline",
    }
    phases = (EXPLORATION, EXPLOITATION)

    def exploitation(self, rng: np.random.Generator) -> list[Delegation]:
        """Commit all remaining queries to the best observed mean user utility."""
        self.choose_best(rng)
        self.state.u_prime = None  # nobody is told a target: there is no check
        remaining = self.params.T - self.params.K * self.B
        self.state.exploitation_length = max(0, remaining)
        return [Delegation(EXPLOITATION, self.state.chosen, max(0, remaining))]

    def horizon_check(self, typical: list[tuple[float, float]]) -> int:
        """Queries left after exploration."""
        return max(0, self.params.T - self.params.K * self.B)
