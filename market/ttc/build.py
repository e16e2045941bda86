"""The TTC game of a preset or of a curves file, with the warnings building it raised.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 2 and Table 1.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

from market.core.datafiles import DataFile
from market.core.errors import UserInputError
from market.ttc.curves import load_curves
from market.ttc.economy import DEFAULT_MARGIN, game_from_curves
from market.ttc.resolve import DEFAULT_BETA
from market.ttc.results import GameSpec
from market.ttc.scenarios import get_scenario


def build_game(
    preset: str | None = None,
    curves: str | Path | DataFile | None = None,
    benchmark: str | None = None,
    method: str | None = None,
    models: Sequence[str] | None = None,
    alpha: float | None = None,
    margin: float | None = None,
    v0: float = 0.0,
    beta: float = DEFAULT_BETA,
) -> GameSpec:
    """The game of a preset, or of one benchmark x method slice of a curves file.

    Args:
        preset: A scenario name (exclusive with ``curves``; default None).
        curves: A curves CSV file, or one held in memory (an upload; needs ``benchmark`` and
            ``method``; default None).
        benchmark: Benchmark in the curves file (default None).
        method: Test-time compute method in the curves file (default None).
        models: Subset of models (curves only; default None: all).
        alpha: USD per unit of accuracy (default by benchmark, or the preset's).
        margin: Profit margin over cost, a fraction of the cost (default
            :data:`DEFAULT_MARGIN`).
        v0: Abstention value, in USD per query (default 0).
        beta: User rationality, in 1/USD (``math.inf`` for perfectly rational users; default
            :data:`DEFAULT_BETA` = 1000, the paper's).

    Returns:
        The :class:`GameSpec`; warnings are recorded, not shown.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if (preset is None) == (curves is None):
            raise UserInputError("scenario", "either a preset or a curves file", preset)
        if preset is not None:
            if benchmark or method or models:
                raise UserInputError(
                    "scenario", "no --benchmark/--method/--models with --scenario", preset
                )
            scenario = get_scenario(preset)
            game = scenario.build(beta=beta, v0=v0, alpha=alpha, margin=margin)
            source = f"scenario {scenario.name}"
        else:
            if not benchmark or not method:
                raise UserInputError("curves", "--benchmark and --method with --curves", curves)
            game = game_from_curves(
                load_curves(curves),
                benchmark,
                method,
                alpha=alpha,
                margin=DEFAULT_MARGIN if margin is None else margin,
                v0=v0,
                beta=beta,
                models=None if not models else list(models),
            )
            label = curves.name if isinstance(curves, DataFile) else curves
            source = f"curves {label} ({benchmark}, {method})"
    return GameSpec(game=game, source=source, warnings=tuple(str(w.message) for w in caught))
