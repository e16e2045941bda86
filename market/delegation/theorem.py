"""A continuous check of Theorem 5.2: can any exploitation choice beat "ours"?

For the provider that honest exploration chooses (i*), search a parametrised family against
"ours" by everyone else: every model on its menu, and a grid of length reports (target lengths
``l'`` under the paper's rules, constant paddings under the artifact's; see
:class:`agents.delegation.families.ExploitationDeviation`). Theorem 5.2 says no member beats
"ours" by more than the mechanism's slack. The slack used here is what the validation check
leaves on the table: the threshold lets the mean user utility fall ``(R + p_{i*} L) M /
gamma`` below u', and every unit of user utility given up by billing more is a unit of provider
utility, so over the exploitation phase a provider can gain at most about ``eta T_R (R +
p_{i*} L) M / gamma`` (the O(T^(1 - eps) log T) of the theorem) plus estimation noise.

References:
    Cao et al. (2026), Theorem 5.2 and its proof (Appendix A); Mechanism 1, line 15.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.delegation.actions import LengthReport
from agents.delegation.families import ExploitationDeviation
from market.core.engine import Engine, engine_with
from market.core.experiments import execute
from market.core.results import ResultMixin, number
from market.core.seeds import replicate_seeds, root_seed
from market.core.values import count
from market.delegation.experiments import DEVIATION_INDEX, OURS, deviations_experiment
from market.delegation.model import prepare
from mechanisms.delegation import MECHANISMS

DEFAULT_GRID = 12
REFINEMENTS = 6


@dataclass(frozen=True)
class Theorem52Check(ResultMixin):
    """The largest gain over "ours" found in the family, against the slack.

    Attributes:
        provider: the chosen provider (1-based) whose play is searched.
        ours_utility: its mean utility playing "ours" (everyone else "ours").
        best_utility: the best mean utility found in the family.
        best_model: the menu model of that best point.
        best_report: its length report, e.g. ``"at-least 1234"`` or ``"padded 20000"``.
        largest_gain: ``best_utility - ours_utility``.
        slack: ``eta T_R (R + p L) M / gamma`` from the everyone-"ours" run.
        points: every searched point: model, report mode and amount, mean utility, gain.
    """

    provider: int
    ours_utility: float
    best_utility: float
    best_model: str
    best_report: str
    largest_gain: float
    slack: float
    points: pd.DataFrame

    @property
    def within_slack(self) -> bool:
        """Whether no searched point beats "ours" by more than the slack."""
        return self.largest_gain <= self.slack

    def json_record(self) -> dict:
        """The ``theorem_5_2`` object of ``metagame --json`` (the points only counted)."""
        return {
            "provider": self.provider,
            "ours_utility": self.ours_utility,
            "best_utility": self.best_utility,
            "best_model": self.best_model,
            "best_report": self.best_report,
            "largest_gain": self.largest_gain,
            "slack": self.slack,
            "within_slack": self.within_slack,
            "points": len(self.points),
        }

    def to_frame(self) -> pd.DataFrame:
        """The searched points: one row per model and length report."""
        return self.points

    def summary(self) -> str:
        """The largest gain over "ours" against the slack."""
        verdict = "within" if self.within_slack else "beyond"
        return (
            f"provider {self.provider}: best deviation ({self.best_model}, {self.best_report}) "
            f"gains {number(self.largest_gain)} reward units over ours, {verdict} the slack "
            f"{number(self.slack)}"
        )


def length_grid(low: int, high: int, points: int) -> list[int]:
    """``points`` whole token counts evenly spread over ``[low, high]`` (no repeats)."""
    return sorted({round(x) for x in np.linspace(low, high, points)})


def deviations(models, mode: str, amounts) -> list[ExploitationDeviation]:
    """Every model in ``models`` with every length amount in ``amounts``."""
    return [ExploitationDeviation(m, LengthReport(mode, a)) for m in models for a in amounts]


def theorem52_check(
    preset="cao2026",
    T=None,
    eps=None,
    mechanism=None,
    seeds: int = 1,
    seed: int = 42,
    jobs: int | None = None,
    grid: int = DEFAULT_GRID,
    *,
    store=None,
    engine: Engine | None = None,
) -> Theorem52Check:
    """Search the family for the chosen provider against "ours" by the others (see module).

    Every searched point at every seed is a run of the ``delegation/deviations`` experiment kind
    (:mod:`market.delegation.experiments`): one experiment per search round (the rounds depend
    on the previous rounds' results, so they cannot be one experiment), all kept in the
    engine's store when given (the same call again resumes, or computes nothing); ``engine``
    (how and where runs are computed: see :class:`market.core.engine.Engine`; ``jobs=`` and
    ``store=`` are its shorthands) never changes the check.

    Returns None under a mechanism without a validation check (nobody is told u', so the
    theorem says nothing there).
    """
    engine = engine_with(engine, jobs=jobs, store=store)
    seed, grid = root_seed(seed), count(grid, "grid", minimum=2)
    replicates = replicate_seeds(seed, seeds)
    resolved, model = prepare(preset, T, eps, mechanism, seed)
    if MECHANISMS.get(resolved.mechanism).classifier.get("validation") is None:
        return None
    economy = model.economy
    k = int(np.argmax(economy.truthful_utilities()))
    menu, L = economy.providers[k], economy.max_length
    mode = "padded" if economy.rules == "artifact" else "at-least"
    T_run, eps_run = int(model.preset.T), float(model.preset.eps)

    def mean_utilities(candidates) -> tuple[np.ndarray, list[tuple]]:
        spec = {"command": "theorem 5.2 check", "provider": k + 1, "seeds": list(replicates)}
        spec["candidates"] = [repr(c) for c in candidates]
        experiment = deviations_experiment(
            resolved, k, candidates, replicates, T_run, eps_run, model.platform.mechanism.name, spec
        )
        rows = [row for _, row in execute(experiment, engine=engine).rows]
        utility = [row[DEVIATION_INDEX["provider_utility"]] for row in rows]
        return np.array(utility).reshape(len(candidates), len(replicates)).mean(axis=1), rows

    ours, ours_runs = mean_utilities([OURS])
    slack = float(np.mean([validation_slack(row, economy.eta) for row in ours_runs]))
    members = deviations(range(len(menu.models)), mode, length_grid(0, L, grid))
    means, _ = mean_utilities(members)
    searched, values = list(members), list(means)
    step = max(1, L // (grid - 1))
    for _ in range(REFINEMENTS):  # zoom in on the best point; slide when it sits on an edge
        best = searched[int(np.argmax(values))]
        low, high = max(0, best.report.amount - step), min(L, best.report.amount + step)
        fresh = [
            d
            for d in deviations([best.model], mode, length_grid(low, high, grid))
            if d not in searched
        ]
        if fresh:
            means, _ = mean_utilities(fresh)
            searched += fresh
            values += list(means)
        if searched[int(np.argmax(values))].report.amount not in (low, high):
            step = max(1, 2 * step // (grid - 1))
    points = pd.DataFrame(
        {
            "model": [menu.models[d.model] for d in searched],
            "report": [d.report.mode for d in searched],
            "amount": [d.report.amount for d in searched],
            "provider_utility": values,
            "gain_over_ours": np.array(values) - ours[0],
        }
    )
    best = int(np.argmax(values))
    return Theorem52Check(
        provider=k + 1,
        ours_utility=float(ours[0]),
        best_utility=float(values[best]),
        best_model=menu.models[searched[best].model],
        best_report=f"{searched[best].report.mode} {searched[best].report.amount}",
        largest_gain=float(values[best] - ours[0]),
        slack=slack,
        points=points,
    )


def validation_slack(row: tuple, eta: float) -> float:
    """``eta T_R (R + p L) M / gamma``: the provider utility the check's margin allows.

    The margin ``(R + p_{i*} L) M / gamma`` is read off an everyone-"ours" run (a
    ``delegation/deviations`` row) as ``u' - threshold``; 0 when the run had no check.
    """
    T_R = row[DEVIATION_INDEX["T_R"]]
    threshold, u_prime = row[DEVIATION_INDEX["threshold"]], row[DEVIATION_INDEX["u_prime"]]
    if threshold is None or u_prime is None or math.isnan(threshold) or math.isnan(u_prime):
        return 0.0
    return eta * (T_R or 0) * (u_prime - threshold)
