"""One root seed per run: what a model does with the ``rng`` it is given.

STYLE.md item 6: the model owns the generators and derives child streams from one root seed.
A run without a seed draws one from OS entropy and records it, so it can be repeated.
"""

from __future__ import annotations

import numpy as np


def fresh_seed() -> int:
    """A new root seed from OS entropy (recorded by the model so the run can be repeated)."""
    return int(np.random.SeedSequence().generate_state(1)[0])


def model_seed(rng) -> int:
    """The root seed for ``rng``: a fresh one for None or "" (SolaraViz passes text), else int."""
    return fresh_seed() if rng in (None, "") else int(rng)
