"""Parametrised provider strategies, for searching a best response beyond the named six.

:class:`ExploitationDeviation` explores honestly, plays "worst" in blind trust (as "ours"
does), and in exploitation serves a fixed menu model with a fixed length report (a target
length under the paper's rules, a constant padding under the artifact's). Searching over the
model and the length tests Theorem 5.2 continuously: no member should beat "ours" by more
than the mechanism's slack. Not registered: these are search points, not named strategies.

References:
    Cao et al. (2026), Theorem 5.2 (the exploitation choice ``(c', l')``); Table 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agents.delegation.strategies import (
    Behaviour,
    DelegationStrategy,
    Honest,
    LengthReport,
    ProviderView,
    ServiceAction,
    Worst,
)
from mechanisms.delegation import PHASES


@dataclass(frozen=True)
class FixedService(Behaviour):
    """Serve menu model ``model`` and report lengths by ``report`` (worst when not i*)."""

    model: int
    report: LengthReport
    name: ClassVar[str] = "fixed-service"

    def decide(self, view: ProviderView) -> ServiceAction:
        """The fixed action, once the provider is i* (told u'); otherwise worst."""
        if view.u_prime is None:
            return Worst().decide(view)
        return ServiceAction(self.model, self.report)


class ExploitationDeviation(DelegationStrategy):
    """Honest exploration, a fixed (model, length report) in exploitation, worst in blind trust.

    References:
        Cao et al. (2026), Theorem 5.2; a search family, not one of Table 1's strategies.
    """

    name = "exploitation-deviation"
    classifier: ClassVar[dict] = {
        "truthful": False,
        "honest_exploration": True,
        "misreports_length": True,
        "substitutes_model": True,
    }

    def __init__(self, model: int, report: LengthReport):
        self.model = model
        self.report = report
        behaviours = (Honest(), FixedService(model, report), Worst(), Worst())
        self.behaviours = dict(zip(PHASES, behaviours, strict=True))

    def __repr__(self) -> str:
        return f"ExploitationDeviation({self.model!r}, {self.report!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExploitationDeviation) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))
