"""Helpers shared by the TTC tests."""

import itertools

import numpy as np

from mechanisms.ttc import TTCGame


def has_value_ties(game: TTCGame, gap: float = 1e-9) -> bool:
    """Two providers (or a provider and V_0) offering values closer than ``gap``.

    Section 2 of the paper assumes no ties; tests that need that assumption filter on this.
    """
    options = [game.value[i] for i in range(game.n_providers)] + [np.array([game.v0])]
    return any(
        np.min(np.abs(a[:, None] - b[None, :])) < gap for a, b in itertools.combinations(options, 2)
    )
