"""One root seed per run: what a model does with the ``rng`` it is given.

STYLE.md item 6: the model owns the generators and derives child streams from one root seed
(numpy ``SeedSequence.spawn``). A run without a seed draws one from OS entropy and records it,
so it can be repeated. Replicates of an experiment derive their seeds from the root seed, never
from a worker or the order in which runs finish.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from market.core.values import count


def fresh_seed() -> int:
    """A new root seed from OS entropy (recorded by the model so the run can be repeated)."""
    return int(np.random.SeedSequence().generate_state(1)[0])


def root_seed(seed) -> int:
    """A root seed: a non-negative integer (numpy ``SeedSequence``'s domain)."""
    return count(seed, "seed", minimum=0)


def model_seed(rng) -> int:
    """The root seed for ``rng``: a fresh one for None or "" (SolaraViz passes text)."""
    return fresh_seed() if rng in (None, "") else root_seed(rng)


def child_streams(seed: int, n: int) -> list[np.random.SeedSequence]:
    """The root seed's first ``n`` child streams (``SeedSequence(seed).spawn(n)``)."""
    return np.random.SeedSequence(seed).spawn(n)


def replicate_seeds(seed, replicates) -> tuple[int, ...]:
    """One integer seed per replicate, derived from the root ``seed``.

    One replicate uses the root seed itself (so a sweep's row repeats a single run with
    ``--seed S``); K > 1 replicates use the K children of ``SeedSequence(seed).spawn(K)``, each
    turned into an integer by ``generate_state(1)``.
    """
    seed = root_seed(seed)
    replicates = count(replicates, "seeds")
    if replicates == 1:
        return (seed,)
    return tuple(int(child.generate_state(1)[0]) for child in child_streams(seed, replicates))


class ReplicateSeeds(Sequence):
    """:func:`replicate_seeds` made on demand: seed ``i`` without spawning the ``i`` before it.

    Child ``i`` of ``SeedSequence(seed).spawn(K)`` is ``SeedSequence(seed, spawn_key=(i,))``,
    so a grid of a billion replicates costs no memory (a test checks the two agree).
    """

    def __init__(self, seed, replicates):
        self.seed = root_seed(seed)
        self.replicates = count(replicates, "seeds")

    def __len__(self) -> int:
        return self.replicates

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.replicates))]
        if not -self.replicates <= index < self.replicates:
            raise IndexError(index)
        if self.replicates == 1:
            return self.seed
        child = np.random.SeedSequence(self.seed, spawn_key=(index % self.replicates,))
        return int(child.generate_state(1)[0])
