"""Provider strategies of the delegation game, composed from per-phase behaviours.

A *behaviour* decides, for one phase, which model of its menu the provider serves with (cost
control) and how it reports output lengths (token misreporting). A *strategy* is a named table of
behaviours, one per phase, as in the paper's Table 1. Decisions are pure functions of a read-only
:class:`ProviderView`: the provider's own menu and expectations, the mechanism's public rules and
phase, and the target ``u'`` (only for the chosen provider i*). A provider never sees a query's
reward before serving it.

References:
    Cao et al. (2026), Section 3.1 (strategy space), Theorem 5.2 (the second-best strategy),
    Tables 1-2 (the six strategies of the experiments); ``shared/specs/delegation.md`` s.3-4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from market.core.registry import Registry
from mechanisms.delegation import PHASES


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


class Behaviour:
    """One phase's decision rule."""

    name: ClassVar[str] = ""

    def decide(self, view: ProviderView) -> ServiceAction:
        """The action for this phase."""
        raise NotImplementedError


class Honest(Behaviour):
    """Truthful cost and truthful report (Section 3.1, 'truthful behaviour')."""

    name = "honest"

    def decide(self, view: ProviderView) -> ServiceAction:
        """Serve with the truthful model and report the true length."""
        return ServiceAction(view.truthful_model, TRUE_LENGTH)


class Worst(Behaviour):
    """Cheapest model and report L (Table 2, 'worst'; Theorem 5.2's blind-trust play)."""

    name = "worst"

    def decide(self, view: ProviderView) -> ServiceAction:
        """Serve with the cheapest model and bill the maximum length."""
        return ServiceAction(view.cheapest_model, MAX_LENGTH)


class WorstModel(Behaviour):
    """Cheapest model, truthful report (Table 2, 'worst model')."""

    name = "worst-model"

    def decide(self, view: ProviderView) -> ServiceAction:
        """Serve with the cheapest model; report the true length."""
        return ServiceAction(view.cheapest_model, TRUE_LENGTH)


class WorstLength(Behaviour):
    """Truthful model, report L (Table 2, 'worst length')."""

    name = "worst-length"

    def decide(self, view: ProviderView) -> ServiceAction:
        """Serve with the truthful model; bill the maximum length."""
        return ServiceAction(view.truthful_model, MAX_LENGTH)


def second_best_paper(view: ProviderView) -> tuple[int, int] | None:
    """Theorem 5.2 in discrete form: the (model, target length l') pair for u'.

    Among menu models m with ``mu_r_m - p mu_l_m >= u'``, take the largest integer
    ``l' <= min(L, (mu_r_m - u') / p)`` (a model with no integer ``l' >= mu_l_m`` there is
    out) and maximise ``p l' - c_m mu_l_m``; ties go to the cheaper model. ``None`` when no
    model can reach u'.
    """
    best: tuple[float, float, int, int] | None = None
    for m, (reward, length, cost) in enumerate(
        zip(view.mean_reward, view.mean_length, view.costs, strict=True)
    ):
        if reward - view.price * length < view.u_prime:
            continue
        target = math.floor(min(view.max_length, (reward - view.u_prime) / view.price))
        if target < length:  # no whole number of tokens in [mu_l, (mu_r - u') / p]
            continue
        profit = view.price * target - cost * length
        key = (profit, -cost, m, target)
        if best is None or key[:2] > best[:2]:
            best = key
    return None if best is None else (best[2], best[3])


def artifact_padding(view: ProviderView, m: int) -> int:
    """The artifact's constant padding ``add = max(0, int((R mu_r_m - u') / p - mu_l_m))``."""
    reward, length = view.mean_reward[m], view.mean_length[m]
    return max(0, int((reward * view.reward_bound - view.u_prime) / view.price - length))


def artifact_menu_order(view: ProviderView) -> list[int]:
    """Menu indices by descending ``R mu_r_m - c_m mu_l_m`` (ties: menu order).

    The artifact's truthful model maximises this score, so it comes first.
    """
    scores = [
        view.reward_bound * r - c * length
        for r, length, c in zip(view.mean_reward, view.mean_length, view.costs, strict=True)
    ]
    return sorted(range(len(scores)), key=lambda m: -scores[m])


def artifact_improvement(view: ProviderView, profit) -> tuple[int, float]:
    """The artifact's search for i*'s exploitation model: (model, its expected profit).

    Start at the truthful model with profit 0, walk the menu in :func:`artifact_menu_order`
    and switch only to a candidate (``mu_r_m - c_m mu_l_m >= u'``) whose ``profit(m)`` is
    strictly larger than the best so far.
    """
    best, best_profit = view.truthful_model, 0.0
    for m in artifact_menu_order(view):
        reward, length, cost = view.mean_reward[m], view.mean_length[m], view.costs[m]
        if reward - cost * length < view.u_prime:
            continue
        value = profit(m)
        if value > best_profit:
            best, best_profit = m, value
    return best, best_profit


def second_best_artifact(view: ProviderView) -> tuple[int, int]:
    """The artifact's second-best rule: (model, constant padding) for u' (spec section 4).

    Start from the truthful model with no padding (expected profit 0); go through the menu by
    descending ``R mu_r_m - c_m mu_l_m``; switch to a candidate (``mu_r_m - c_m mu_l_m >= u'``,
    compared at the model's own cost) only when its expected profit
    ``p min(mu_l_m + add_m, L) - c_m mu_l_m`` is strictly larger. Never "worst": with no
    profitable candidate it serves the truthful model with true lengths (padding 0).
    """
    p, L = view.price, view.max_length

    def padded_profit(m: int) -> float:
        length = view.mean_length[m]
        return p * min(length + artifact_padding(view, m), L) - view.costs[m] * length

    model, profit = artifact_improvement(view, padded_profit)
    return model, artifact_padding(view, model) if profit > 0 else 0


def second_best_artifact_honest_length(view: ProviderView) -> int:
    """The artifact's 'second-best with honest length': the model for u', true lengths.

    Same start (truthful model, profit 0) and strict-improvement walk as
    :func:`second_best_artifact`, but the objective is ``(p - c_m) mu_l_m``: no padding.
    """
    model, _ = artifact_improvement(
        view, lambda m: (view.price - view.costs[m]) * view.mean_length[m]
    )
    return model


@dataclass(frozen=True)
class SecondBest(Behaviour):
    """Give the second-best service u' at the least cost (Theorem 5.2, discrete form).

    With ``report_length=False`` it is the 'second-best with honest length' choice of Table 2.
    Without a target (not i*, or a mechanism that announces none) it plays worst. Under the
    paper's rules, when no model can reach u' it plays worst too (the proof of Theorem 5.2:
    deviating at once is then optimal); under the artifact's rules it follows the authors'
    simulator (:func:`second_best_artifact`), which never plays worst.
    """

    report_length: bool = True
    name: ClassVar[str] = "second-best"

    def decide(self, view: ProviderView) -> ServiceAction:
        """Model and report rule meeting u' with the largest expected provider utility."""
        if view.u_prime is None:
            return Worst().decide(view)
        if view.rules == "artifact":
            if not self.report_length:
                return ServiceAction(second_best_artifact_honest_length(view), TRUE_LENGTH)
            model, padding = second_best_artifact(view)
            return ServiceAction(model, LengthReport("padded", padding) if padding else TRUE_LENGTH)
        choice = second_best_paper(view)
        if choice is None:
            return Worst().decide(view)
        model, target = choice
        if not self.report_length:
            return ServiceAction(model, TRUE_LENGTH)
        return ServiceAction(model, LengthReport("at-least", target))


class DelegationStrategy:
    """A named strategy: one behaviour per phase (Table 1)."""

    name: ClassVar[str] = ""
    classifier: ClassVar[dict] = {}
    behaviours: ClassVar[dict[str, Behaviour]] = {}

    def decide(self, view: ProviderView, rng: np.random.Generator | None = None) -> ServiceAction:
        """The action for ``view.phase`` (pure; ``rng`` is unused by these strategies)."""
        return self.behaviours[view.phase].decide(view)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


STRATEGIES: Registry[type[DelegationStrategy]] = Registry("strategy")


def _table(exploration, exploitation, blind_i, blind_ii) -> dict[str, Behaviour]:
    return dict(zip(PHASES, (exploration, exploitation, blind_i, blind_ii), strict=True))


@STRATEGIES.register
class Ours(DelegationStrategy):
    """Honest exploration, second-best exploitation, worst in blind trust (Theorem 5.2).

    References:
        Cao et al. (2026), Theorem 5.2; Table 1 row 'Ours'.
    """

    name = "ours"
    classifier: ClassVar[dict] = {
        "truthful": False,
        "honest_exploration": True,
        "misreports_length": True,
        "substitutes_model": True,
    }
    behaviours: ClassVar[dict[str, Behaviour]] = _table(Honest(), SecondBest(), Worst(), Worst())


@STRATEGIES.register
class HonestStrategy(DelegationStrategy):
    """Truthful in every phase; earns exactly 0 (Section 3.1).

    References:
        Cao et al. (2026), Section 3.1; Table 1 row 'Honest'.
    """

    name = "honest"
    classifier: ClassVar[dict] = {
        "truthful": True,
        "honest_exploration": True,
        "misreports_length": False,
        "substitutes_model": False,
    }
    behaviours: ClassVar[dict[str, Behaviour]] = _table(Honest(), Honest(), Honest(), Honest())


@STRATEGIES.register
class DishonestModel(DelegationStrategy):
    """Honest exploration, then the cheapest model with true lengths.

    References:
        Cao et al. (2026), Tables 1-2 row 'Dishonest-model'.
    """

    name = "dishonest-model"
    classifier: ClassVar[dict] = {
        "truthful": False,
        "honest_exploration": True,
        "misreports_length": True,
        "substitutes_model": True,
    }
    behaviours: ClassVar[dict[str, Behaviour]] = _table(Honest(), WorstModel(), Worst(), Worst())


@STRATEGIES.register
class DishonestLength(DelegationStrategy):
    """Honest exploration, then the truthful model billed at L.

    References:
        Cao et al. (2026), Tables 1-2 row 'Dishonest-length'.
    """

    name = "dishonest-length"
    classifier: ClassVar[dict] = {
        "truthful": False,
        "honest_exploration": True,
        "misreports_length": True,
        "substitutes_model": True,
    }
    behaviours: ClassVar[dict[str, Behaviour]] = _table(Honest(), WorstLength(), Worst(), Worst())


@STRATEGIES.register
class DishonestAll(DelegationStrategy):
    """Cheapest model billed at L in every phase, exploration included.

    References:
        Cao et al. (2026), Tables 1-2 row 'Dishonest-all'.
    """

    name = "dishonest-all"
    classifier: ClassVar[dict] = {
        "truthful": False,
        "honest_exploration": False,
        "misreports_length": True,
        "substitutes_model": True,
    }
    behaviours: ClassVar[dict[str, Behaviour]] = _table(Worst(), Worst(), Worst(), Worst())


@STRATEGIES.register
class OursHonestLength(DelegationStrategy):
    """'Ours' but billing true lengths in exploitation: shows misreporting is needed.

    References:
        Cao et al. (2026), Section 6.2; Tables 1-2 row 'Ours-honest-length'.
    """

    name = "ours-honest-length"
    classifier: ClassVar[dict] = {
        "truthful": False,
        "honest_exploration": True,
        "misreports_length": True,
        "substitutes_model": True,
    }
    behaviours: ClassVar[dict[str, Behaviour]] = _table(
        Honest(), SecondBest(report_length=False), Worst(), Worst()
    )


def strategy(name: str) -> DelegationStrategy:
    """An instance of the registered strategy ``name`` (UserInputError lists known names)."""
    return STRATEGIES.get(name, field="strategies")()
