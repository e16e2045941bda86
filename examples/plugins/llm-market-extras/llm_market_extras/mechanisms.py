"""Explore-then-commit with the textbook exploration length (an example, not from the paper).

References:
    Cao et al. (2026), Section 3.2 (why truthful behaviour needs incentives); Lattimore and
    Szepesvári (2020), *Bandit Algorithms*, Chapter 6 (explore-then-commit, ``m ~ n^(2/3)``).
"""

from __future__ import annotations

import math
from typing import ClassVar

from mechanisms.delegation import DelegationParams, ExploreThenCommit


def textbook_exploration_size(T: int, K: int) -> int:
    """``min(ceil((T / K)^(2/3)), floor(T / K))`` queries per provider.

    The gap-free tuning of explore-then-commit (Lattimore and Szepesvári 2020, Chapter 6):
    exploring each of K arms about ``(T/K)^(2/3)`` times balances the regret of exploring
    against that of committing to a wrong arm. Capped so exploration fits in T.
    """
    return min(math.ceil((T / K) ** (2.0 / 3.0)), T // K)


class ExploreThenCommitT23(ExploreThenCommit):
    """Explore-then-commit whose exploration length is ``(T/K)^(2/3)``, not ``T^(2 eps)``.

    The same naive platform as ``explore-then-commit`` (no validation, no blind trust), but
    the exploration size B follows the bandit textbook's horizon tuning instead of Mechanism
    1's ``B = T^(2 eps)``, so ``eps`` no longer sets it. This is an example of a plugin
    mechanism, not a mechanism of the paper.

    References:
        Cao et al. (2026), Section 3.2; Lattimore and Szepesvári (2020), Chapter 6.
    """

    name = "explore-then-commit-t23"
    classifier: ClassVar[dict] = {
        "incentive_compatible": False,
        "validation": None,
        "source": "example plugin",
    }
    description = "explore-then-commit with (T/K)^(2/3) exploration: an example plugin"

    def __init__(self, params: DelegationParams):
        super().__init__(params)
        self.B = textbook_exploration_size(params.T, params.K)
