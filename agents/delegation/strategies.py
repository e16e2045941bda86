"""Provider strategies of the delegation game, composed from per-phase behaviours.

A *behaviour* decides, for one phase, which model of its menu the provider serves with (cost
control) and how it reports output lengths (token misreporting). A *strategy* is a named table of
behaviours, one per phase, as in the paper's Table 1. Decisions are pure functions of a read-only
:class:`ProviderView`: the provider's own menu and expectations, the mechanism's public rules and
phase, and the target ``u'`` (only for the chosen provider i*). A provider never sees a query's
reward before serving it.

A strategy decides once per phase unless it asks to be asked again: ``decides_at = (0.9,)``
re-decides when 90 % of its phase is served, ``decides_every = n`` every n queries (or override
:meth:`DelegationStrategy.next_decision`). At each point ``view.progress`` (a
:class:`~agents.delegation.actions.PhaseProgress`) says how much of the phase it has served,
what remains, and its own billed and generated tokens and cost so far. The points are counted
in queries of the phase, so results never depend on the model's stepping ``batch``.

References:
    Cao et al. (2026), Section 3.1 (strategy space), Theorem 5.2 (the second-best strategy),
    Tables 1-2 (the six strategies of the experiments); ``docs/delegation-variant.md``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from agents.delegation.actions import (
    MAX_LENGTH,
    TRUE_LENGTH,
    LengthReport,
    PhaseProgress,
    ProviderView,
    ServiceAction,
)
from agents.delegation.better_response import RevisionView, check_margin, check_rule, revise
from agents.delegation.second_best import (
    second_best_artifact,
    second_best_artifact_honest_length,
    second_best_paper,
)
from market.core.errors import UserInputError
from market.core.registry import Registry
from mechanisms.delegation import PHASES


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


def first_served_at_fraction(fraction: float, phase_length: int) -> int:
    """The fewest queries served with ``served / phase_length >= fraction`` (as computed).

    Matches :attr:`PhaseProgress.fraction` exactly, float rounding included, so a strategy
    that tests ``progress.fraction >= f`` is asked at the first query where the test holds.
    """
    served = math.ceil(fraction * phase_length)
    while served > 0 and (served - 1) / phase_length >= fraction:
        served -= 1
    while served / phase_length < fraction:
        served += 1
    return served


def check_decides_every(every: object) -> int | None:
    """``decides_every`` must be None or a positive whole number of queries."""
    if every is None:
        return None
    if not isinstance(every, numbers.Integral) or isinstance(every, bool) or every < 1:
        raise UserInputError("decides_every", "None or a positive whole number of queries", every)
    return int(every)


def check_decides_at(fractions: object) -> tuple[float, ...]:
    """``decides_at`` must be a tuple of fractions of the phase strictly between 0 and 1."""
    ok = isinstance(fractions, tuple) and all(
        isinstance(f, numbers.Real) and not isinstance(f, bool) and 0 < f < 1 for f in fractions
    )
    if not ok:
        raise UserInputError("decides_at", "a tuple of fractions strictly inside (0, 1)", fractions)
    return fractions


class DelegationStrategy:
    """A named strategy: one behaviour per phase (Table 1), asked at fixed points of a phase.

    Attributes:
        name: its registry name.
        classifier: what it does, for filtered lists (STYLE.md item 1).
        behaviours: the behaviour of each phase.
        decides_every: also decide every this many queries of a phase (None: only at its start).
        decides_at: also decide when these fractions of a phase are served, e.g. ``(0.9,)``.
    """

    name: ClassVar[str] = ""
    classifier: ClassVar[dict] = {}
    behaviours: ClassVar[dict[str, Behaviour]] = {}
    decides_every: ClassVar[int | None] = None
    decides_at: ClassVar[tuple[float, ...]] = ()

    def decide(self, view: ProviderView, rng: np.random.Generator | None = None) -> ServiceAction:
        """The action for ``view.phase`` (pure; ``rng`` is unused by these strategies)."""
        return self.behaviours[view.phase].decide(view)

    def next_decision(self, progress: PhaseProgress) -> int | None:
        """Queries served in this phase at which to decide again (None: not in this phase).

        The default asks at every multiple of ``decides_every`` and at each fraction of
        ``decides_at``; a point must lie after ``progress.served`` and before the phase ends.
        Override it for other points; they must depend on ``progress`` only, never on the
        stepping batch.
        """
        every = check_decides_every(self.decides_every)
        length = progress.phase_length
        if progress.served >= length:
            return None
        points = [first_served_at_fraction(f, length) for f in check_decides_at(self.decides_at)]
        if every is not None:
            points.append((progress.served // every + 1) * every)
        return min((p for p in points if progress.served < p < length), default=None)

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
        "paper": True,
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
        "paper": True,
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
        "paper": True,
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
        "paper": True,
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
        "paper": True,
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
        "paper": True,
        "truthful": False,
        "honest_exploration": True,
        "misreports_length": True,
        "substitutes_model": True,
    }
    behaviours: ClassVar[dict[str, Behaviour]] = _table(
        Honest(), SecondBest(report_length=False), Worst(), Worst()
    )


@STRATEGIES.register
class BetterResponse(DelegationStrategy):
    """Plays a base strategy, and between plays switches to a better one (the empirical game).

    Inside one play (T queries) it behaves exactly as its current base strategy, so the
    per-query engine runs it; in a plain ``delegation run`` that is its ``start`` strategy
    ("honest" by default). Between plays, :meth:`revise` picks the next base strategy from the
    estimated payoffs against the others' current strategies: the best improving one
    (``rule="best"``) or a random improving one (``"random"``), counting only gains above
    ``tolerance`` plus ``z`` standard errors. ``delegation metagame`` runs the dynamics.

    References:
        Cao et al. (2026), Theorem 5.2 ("ours" is each provider's best play), which these
        dynamics let providers discover; better-response dynamics are not from the paper.
    """

    name = "better-response"
    classifier: ClassVar[dict] = {
        "adaptive": True,
        "paper": False,
        "truthful": False,
        "honest_exploration": False,
        "misreports_length": True,
        "substitutes_model": True,
    }
    behaviours: ClassVar[dict[str, Behaviour]] = HonestStrategy.behaviours

    def __init__(
        self, start: str = "honest", rule: str = "best", tolerance: float = 0.0, z: float = 0.0
    ):
        base = STRATEGIES.get(start, field="start")
        if base.classifier.get("adaptive"):
            raise UserInputError("start", "a base strategy (not an adaptive one)", start)
        self.start = start
        self.base = base()
        self.rule = check_rule(rule)
        self.tolerance = check_margin(tolerance, "tolerance")
        self.z = check_margin(z, "z")

    def decide(self, view: ProviderView, rng: np.random.Generator | None = None) -> ServiceAction:
        """Within a play: the action of the start strategy."""
        return self.base.decide(view, rng)

    def next_decision(self, progress: PhaseProgress) -> int | None:
        """Within a play: the start strategy's decision points."""
        return self.base.next_decision(progress)

    def revise(self, view: RevisionView, rng: np.random.Generator) -> str:
        """Between plays: the base strategy to play next (pure; ``rng`` for the random rule)."""
        return revise(view, self.rule, rng, self.tolerance, self.z)

    def __repr__(self) -> str:
        return (
            f"BetterResponse(start={self.start!r}, rule={self.rule!r}, "
            f"tolerance={self.tolerance!r}, z={self.z!r})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BetterResponse) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


def base_strategy_names() -> list[str]:
    """Every registered strategy a profile can enumerate: all but the adaptive ones."""
    return [cls.name for cls in STRATEGIES.filter(lambda c: not c.get("adaptive", False))]


def paper_strategy_names() -> list[str]:
    """The six strategies of the paper's experiments: what sweeps enumerate by default.

    A strategy registered from outside takes part in a sweep, a payoff table or a grid only
    when named, so the default sweep stays the paper's 6^3 profiles (Figures 2-3).

    References:
        Cao et al. (2026), Table 1 (the strategies of Section 6's simulations).
    """
    return [cls.name for cls in STRATEGIES.filter(lambda c: c.get("paper", False))]


def strategy(name: str) -> DelegationStrategy:
    """An instance of the registered strategy ``name`` (UserInputError lists known names)."""
    return STRATEGIES.get(name, field="strategies")()
