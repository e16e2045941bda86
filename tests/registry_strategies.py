"""A delegation strategy defined outside the package, in an importable module.

Nothing is registered on import: tests register :class:`Patient` inside
``STRATEGIES.scoped()``, so the shipped registry stays the paper's for every other test.
"""

from typing import ClassVar

from agents.delegation.actions import TRUE_LENGTH, ProviderView, ServiceAction
from agents.delegation.strategies import Behaviour, DelegationStrategy, Honest


class CheapestModel(Behaviour):
    """The cheapest model of the menu, billed at its true length."""

    name = "cheapest-model"

    def decide(self, view: ProviderView) -> ServiceAction:
        """Serve with the cheapest model; report the true length."""
        return ServiceAction(view.cheapest_model, TRUE_LENGTH)


class Patient(DelegationStrategy):
    """Honest until blind trust, then the cheapest model (not a strategy of the paper).

    References:
        Cao et al. (2026), Section 3.1 (the strategy space it is drawn from).
    """

    name = "patient"
    classifier: ClassVar[dict] = {"truthful": False, "honest_exploration": True}
    behaviours: ClassVar[dict] = {
        "exploration": Honest(),
        "exploitation": Honest(),
        "blind-trust-1": CheapestModel(),
        "blind-trust-2": CheapestModel(),
    }


def strategy_names_in_worker(_chunk: object) -> list[str]:
    """The delegation strategies a worker process has registered (a chunk's work)."""
    from agents.delegation.strategies import STRATEGIES

    return STRATEGIES.names()
