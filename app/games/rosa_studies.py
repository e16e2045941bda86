"""The ROSA page's studies on demand: one provider's utility against its bid, regret against T.

Each study is described by a frozen request (everything its result depends on, the live run's
seed included), so a result always matches the settings it was computed for; the page computes
it off the UI thread (:mod:`app.background`) with :mod:`market.rosa.runs`, the functions the
CLI calls. A study larger than :data:`STUDY_BUDGET` is refused with a pointer to the CLI.

References:
    Patra et al. (2026), Def. 5 (EPIC) and Experiments; ``docs/rosa-reconstruction.md``.
    Reconstructed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.capacity import Demand
from app.games.rosa import RosaSettings, chosen_provider, learner_is_monotone, market_setting
from market.core.errors import UserInputError
from market.core.values import count, log_spaced_counts, split_range
from market.rosa import footprint, runs
from market.rosa.results import RegretCurve, TruthfulnessCurve
from market.rosa.scenarios import RosaSetting
from mechanisms.rosa.resampling import MECHANISMS

#: The most work a study may ask of the dashboard: markets x T x providers (about 30 s here).
STUDY_BUDGET = 1_000_000_000
#: Relative size of a utility difference that is rounding, not a gain.
ROUNDING = 1e-9
CLI_HINT = "the CLI (llm-market rosa truthfulness / regret)"


@dataclass(frozen=True)
class TruthfulnessRequest:
    """One provider's utility against its bid: everything the curve depends on."""

    setting: RosaSetting
    seed: int
    provider: int  # numbered from 1, as on the page
    bids: tuple[float, ...]
    runs: int


@dataclass(frozen=True)
class RegretRequest:
    """Regret against T with truthful bids: everything the curve depends on."""

    setting: RosaSetting
    seed: int
    horizons: tuple[int, ...]
    runs: int


def check_budget(work: float, field_name: str) -> None:
    """Refuse a study above :data:`STUDY_BUDGET` provider-rounds (the page stays usable)."""
    if work > STUDY_BUDGET:
        raise UserInputError(
            field_name,
            f"a study of at most {STUDY_BUDGET:.0e} provider-rounds on the dashboard",
            f"{work:.1e}",
            note=f"use fewer runs or a shorter T, or {CLI_HINT}",
        )


def truthfulness_request(settings: RosaSettings, seed: int) -> TruthfulnessRequest:
    """The utility-against-bid study the settings ask for (the live run's seed)."""
    setting = market_setting(settings, T=settings.study_T)
    points = count(settings.bids, "bids", minimum=2)
    runs_ = count(settings.runs, "runs")
    check_budget(2.0 * runs_ * (points + 1) * setting.T * setting.providers, "runs")
    grid = setting.bid_grid(points)
    provider = chosen_provider(settings, setting.providers) + 1  # numbered from 1
    return TruthfulnessRequest(setting, seed, provider, tuple(float(b) for b in grid), runs_)


def horizon_grid(text: str) -> tuple[int, ...]:
    """``LO:HI:N`` horizons evenly spaced on a log scale (N >= 2, LO < HI)."""
    low_text, high_text, points = split_range(text, "horizons", "500:8000:5")
    low, high = count(low_text, "horizons"), count(high_text, "horizons")
    if points < 2 or high <= low:
        raise UserInputError("horizons", "LO:HI:N with LO < HI and N >= 2", text)
    return log_spaced_counts(low, high, points)


def regret_request(settings: RosaSettings, seed: int) -> RegretRequest:
    """The regret study the settings ask for (truthful bids; the live run's seed)."""
    horizons = horizon_grid(settings.horizons)
    setting = market_setting(settings, T=str(horizons[-1]))
    runs_ = count(settings.regret_runs, "regret runs")
    check_budget(float(runs_ * sum(horizons) * setting.providers), "regret runs")
    return RegretRequest(setting, seed, horizons, runs_)


def truthfulness_demand(request: TruthfulnessRequest) -> Demand:
    """The memory the utility-against-bid study will hold (:func:`footprint.truthfulness_bytes`)."""
    n, d, bids = request.setting.providers, request.setting.dim, len(request.bids)
    return Demand(
        footprint.truthfulness_bytes(n, d, bids, request.runs),
        "runs",
        str(request.runs),
        lambda runs_: footprint.truthfulness_bytes(n, d, bids, runs_),
        upper=request.runs,
    )


def regret_demand(request: RegretRequest) -> Demand:
    """The memory the regret study will hold (:func:`footprint.regret_bytes`)."""
    n, d, horizons = request.setting.providers, request.setting.dim, len(request.horizons)
    return Demand(
        footprint.regret_bytes(n, d, horizons, request.runs),
        "regret runs",
        str(request.runs),
        lambda runs_: footprint.regret_bytes(n, d, horizons, runs_),
        upper=request.runs,
    )


def truthfulness(request: TruthfulnessRequest) -> TruthfulnessCurve:
    """:func:`market.rosa.runs.truthfulness_curve` of the request."""
    return runs.truthfulness_curve(
        request.setting, request.seed, request.provider, request.bids, request.runs
    )


def guaranteed_truthful(setting: RosaSetting) -> bool:
    """Whether ROSA's theorem covers the setting: a resampling mechanism, a monotone learner."""
    mechanism = MECHANISMS.get(setting.mechanism, field="mechanism")
    return bool(mechanism.classifier.get("truthful")) and learner_is_monotone(setting.learner)


def truthfulness_verdict(curve: TruthfulnessCurve) -> str:
    """Whether the best bid on the grid beats the true cost beyond two standard errors.

    The standard error is that of the difference from the truthful bid over the same runs
    (common random numbers), the right one for this comparison. Gains below rounding error
    (bids that serve exactly the same rounds, e.g. on a flat part of the curve) are no gain.
    """
    gap, two_errors, best_bid = curve.largest_gain()
    error = two_errors / 2
    bid = f"The best bid on the grid, {best_bid:.3f},"
    if gap <= ROUNDING * max(1.0, abs(curve.truthful_utility)):
        return "No bid on the grid beats the true cost."
    if math.isfinite(error) and gap <= 2 * error:
        return (
            f"{bid} earns {gap:.2f} more, within two standard errors of the difference "
            f"({error:.2f}): noise, not a profitable lie."
        )
    if guaranteed_truthful(curve.setting):
        why = "a monotone learner under ROSA should not allow this: try more runs"
    else:
        why = "this mechanism and learner do not make truthful bidding optimal"
    return f"{bid} earns {gap:.2f} more, beyond two standard errors ({error:.2f}): {why}."


def regret(request: RegretRequest) -> RegretCurve:
    """:func:`market.rosa.runs.regret_curve` of the request."""
    return runs.regret_curve(request.setting, request.seed, request.horizons, request.runs)
