"""A naive baseline without incentives: explore every provider, then commit to the best.

References:
    Cao et al. (2026), Section 3.2 (why truthful behaviour needs incentives); a textbook
    explore-then-commit bandit rule, not from the paper.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mechanisms.delegation.base import (
    EXPLOITATION,
    EXPLORATION,
    Delegation,
    DelegationMechanism,
)


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
    description = "a naive baseline without incentives, not from the paper"
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

    def honest_phase_lengths(self, typical: list[tuple[float, float]]) -> dict[str, float]:
        """Exploration ``K B``, then the rest to the best provider."""
        return {
            EXPLORATION: float(self.params.K * self.B),
            EXPLOITATION: float(self.horizon_check(typical)),
        }
