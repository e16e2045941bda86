"""The named TTC games (presets): the paper's intro example and one per shipped curves slice.

:data:`SCENARIOS` lists them: ``intro-example`` (Section 1 and Appendix A, exact numbers from
the paper) and ``<benchmark>-<method>`` for every benchmark and test-time compute method of the
shipped curves (Section 5; digitised from the authors' figures, so approximate). Each preset's
``build(beta, v0, *, alpha=None, margin=None)`` returns a :class:`~mechanisms.ttc.TTCGame`.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 1 and Appendix A, Section 5 and
    Appendices C-D.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from market.core.registry import Registry
from market.core.values import number
from market.ttc.curves import METHOD_SLUGS, SHIPPED_FILE, shipped_curves
from market.ttc.economy import DEFAULT_MARGIN, game_from_curves
from mechanisms.ttc.game import PERFECT, TTCGame

INTRO_ALPHA = 0.02
"""USD per accuracy point in the intro example (Appendix A)."""


def intro_example(
    beta: float = PERFECT,
    v0: float = 0.0,
    *,
    alpha: float = INTRO_ALPHA,
    margin: float = DEFAULT_MARGIN,
) -> TTCGame:
    """The two-provider, two-mode example of Section 1 and Appendix A.

    Accuracies 70 / 90 % (provider 1) and 50 / 95 % (provider 2) at low / high TTC, costs
    $0.25 / $1 and $0.5 / $10, prices ``(1 + margin) x cost``, quality ``alpha x accuracy`` in
    percentage points with ``alpha = $0.02``. Values: ``V_1 = 1.0875, 0.55``, ``V_2 = 0.375,
    -10.6`` (Eq. 15).

    References:
        Velasco et al. (2026), Section 1 and Appendix A, Eqs. 14-18.
    """
    alpha = number(alpha, "alpha", positive=True)
    margin = number(margin, "margin", positive=True)
    accuracy_points = np.array([[70.0, 90.0], [50.0, 95.0]])
    cost = np.array([[0.25, 1.0], [0.5, 10.0]])
    return TTCGame(
        providers=("Provider 1", "Provider 2"),
        levels=(0.0, 1.0),
        quality=alpha * accuracy_points,
        cost=cost,
        price=(1.0 + margin) * cost,
        v0=v0,
        beta=beta,
        approximate=False,
        level_labels=("low", "high"),
    )


SCENARIOS: Registry[Any] = Registry("scenario")


@SCENARIOS.register
class IntroExampleScenario:
    """Section 1 / Appendix A: two providers, low and high TTC (exact numbers from the paper).

    References:
        Velasco et al. (2026), Section 1 and Appendix A.
    """

    name: ClassVar[str] = "intro-example"
    classifier: ClassVar[dict[str, Any]] = {
        "source": "paper",
        "approximate": False,
        "benchmark": None,
        "method": None,
        "n_providers": 2,
    }
    description: ClassVar[str] = "the two-provider low/high TTC example of Section 1 and App. A"

    @staticmethod
    def build(
        beta: float = PERFECT,
        v0: float = 0.0,
        *,
        alpha: float | None = None,
        margin: float | None = None,
    ) -> TTCGame:
        """The game (``alpha`` in USD per accuracy point, default 0.02; margin 0.25 by default)."""
        return intro_example(
            beta,
            v0,
            alpha=INTRO_ALPHA if alpha is None else alpha,
            margin=DEFAULT_MARGIN if margin is None else margin,
        )


@dataclass(frozen=True)
class CurvesScenario:
    """A game of the paper's Section 5 built from the shipped (approximate) curves.

    Attributes:
        name: Preset name, ``<benchmark>-<method>`` (e.g. ``"gsm8k-best-of-n"``).
        benchmark: Benchmark in the curves file.
        method: Test-time compute method in the curves file.
        classifier: Tags used to filter presets.
        description: One line for listings.

    References:
        Velasco et al. (2026), Section 5, Appendices C and D.
    """

    name: str
    benchmark: str
    method: str
    classifier: dict[str, Any]
    description: str

    def build(
        self,
        beta: float = PERFECT,
        v0: float = 0.0,
        *,
        alpha: float | None = None,
        margin: float | None = None,
    ) -> TTCGame:
        """The game at rationality ``beta`` and abstention value ``v0``."""
        return game_from_curves(
            shipped_curves(),
            self.benchmark,
            self.method,
            alpha=alpha,
            margin=DEFAULT_MARGIN if margin is None else margin,
            v0=v0,
            beta=beta,
        )


def _register_curve_scenarios() -> None:
    """One preset per benchmark x method of the shipped curves (the paper's games)."""
    with resources.files("market.ttc.data").joinpath(SHIPPED_FILE).open() as handle:
        frame = pd.read_csv(handle)
    pairs = frame[["benchmark", "ttc_method", "model", "reasoning"]].drop_duplicates()
    for (benchmark, method), group in pairs.groupby(["benchmark", "ttc_method"], sort=False):
        slug = METHOD_SLUGS.get(method, method.replace("_", "-"))
        n = group["model"].nunique()
        kind = "reasoning models" if bool(group["reasoning"].all()) else "instruct models"
        SCENARIOS.register(
            CurvesScenario(
                name=f"{benchmark.lower()}-{slug}",
                benchmark=benchmark,
                method=method,
                classifier={
                    "source": "shipped curves",
                    "approximate": True,
                    "benchmark": benchmark,
                    "method": method,
                    "n_providers": n,
                },
                description=f"{benchmark} {method}: {n} {kind} (digitised curves, approximate)",
            )
        )


_register_curve_scenarios()


def get_scenario(name: str) -> Any:
    """The preset called ``name``; unknown names raise ``UserInputError`` listing all."""
    return SCENARIOS.get(name, "scenario")
