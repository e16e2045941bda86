"""A delegation strategy that reads its phase progress (an example, not from the paper).

References:
    Cao et al. (2026), Section 3.1 (strategy space), Theorem 5.2 (the second-best strategy).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from agents.delegation.actions import ProviderView, ServiceAction
from agents.delegation.strategies import DelegationStrategy, Honest, SecondBest, Worst
from mechanisms.delegation import EXPLOITATION, EXPLORATION

#: The share of its exploitation phase the provider serves honestly before second-best.
HONEST_SHARE = 0.5


class HonestThenSecondBest(DelegationStrategy):
    """Honest exploration; as i*, honest for half of exploitation, then second-best; worst after.

    A cautious provider: it serves the first half of its exploitation phase with its truthful
    model and true lengths, and only then gives the second-best service ``u'`` at the least
    cost, as Theorem 5.2's strategy does from the first query. It decides again when half of
    the phase is served (``decides_at``) and reads ``view.progress`` to know which half it is
    in. Theorem 5.2 says the second-best play from the start earns more, so this strategy
    gives up part of that rent; it is an example of a plugin, not a strategy of the paper.

    References:
        Cao et al. (2026), Section 3.1 (strategy space), Theorem 5.2 (second-best service).
    """

    name = "honest-then-second-best"
    classifier: ClassVar[dict] = {
        "paper": False,
        "truthful": False,
        "honest_exploration": True,
        "misreports_length": True,
        "substitutes_model": True,
    }
    behaviours: ClassVar[dict] = {
        EXPLORATION: Honest(),
        EXPLOITATION: SecondBest(),
        "blind-trust-1": Worst(),
        "blind-trust-2": Worst(),
    }
    decides_at = (HONEST_SHARE,)

    def decide(self, view: ProviderView, rng: np.random.Generator | None = None) -> ServiceAction:
        """Honest in the first half of exploitation, else the phase's behaviour."""
        if view.phase == EXPLOITATION and view.progress.fraction < HONEST_SHARE:
            return Honest().decide(view)
        return super().decide(view, rng)
