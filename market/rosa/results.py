"""Typed results of the ROSA game: one run, a truthfulness curve, regret curves, monotonicity.

Every record is a frozen dataclass following :mod:`market.core.results` (``to_dict()`` of its
own fields, a tidy ``to_frame()`` for CSV files and the dashboard, a one-line ``summary()``);
the CLI's JSON, always carrying the ``"note"`` that the mechanism is reconstructed, is
``json_record()``. Providers are numbered from 0 in the fields, from 1 in frames and JSON.

References:
    Patra et al. (2026); ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from market.core.output import json_number
from market.core.results import ResultMixin, number
from market.rosa.scenarios import RECONSTRUCTED, RosaSetting


def numbers(values) -> list:
    """JSON-safe floats (NaN and infinities become null)."""
    return [json_number(v) for v in np.asarray(values, dtype=float).ravel()]


@dataclass(frozen=True)
class ProviderOutcome(ResultMixin):
    """One provider at the end of a run."""

    name: str
    strategy: str
    cost: float
    bid: float
    flagged: bool
    modified_bid: float
    rounds_served: int
    payments: float
    utility: float

    def summary(self) -> str:
        """Cost, bid, rounds served and utility (money per query in the cost's units)."""
        return (
            f"{self.name} ({self.strategy}): cost {number(self.cost)}, bid {number(self.bid)}, "
            f"served {self.rounds_served} rounds, utility {number(self.utility)}"
        )


@dataclass(frozen=True)
class MonotonicityCheck(ResultMixin):
    """Rounds served by each provider over a grid of its own (modified) bids, all else fixed.

    Attributes:
        grid: the bids tried, increasing.
        rounds: rounds served, shape ``(providers, len(grid))``.
    """

    grid: tuple[float, ...]
    rounds: tuple[tuple[int, ...], ...]

    @property
    def violations(self) -> tuple[bool, ...]:
        """Per provider: do its rounds served ever increase when its bid increases?"""
        return tuple(bool(np.any(np.diff(np.asarray(r)) > 0)) for r in self.rounds)

    @property
    def monotone(self) -> bool:
        """No provider shows a violation."""
        return not any(self.violations)

    def json_record(self) -> dict:
        """JSON-ready."""
        return {
            "grid": numbers(self.grid),
            "rounds_served": [list(r) for r in self.rounds],
            "violations": list(self.violations),
            "monotone": self.monotone,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per provider (numbered from 1) and bid: the rounds it is served."""
        rounds = np.asarray(self.rounds, dtype=np.int64)
        providers, points = rounds.shape
        return pd.DataFrame(
            {
                "provider": np.repeat(np.arange(1, providers + 1), points),
                "bid": np.tile(np.asarray(self.grid, dtype=float), providers),
                "rounds_served": rounds.ravel(),
            }
        )

    def summary(self) -> str:
        """Whether every provider's rounds served fall as its bid rises."""
        shown = "monotone" if self.monotone else f"violated by {sum(self.violations)} providers"
        return f"ex-post monotonicity over {len(self.grid)} bids per provider: {shown}"


@dataclass(frozen=True)
class RunResult(ResultMixin):
    """What one run produced (the model's :meth:`result`)."""

    setting: RosaSetting
    seed: int
    run: int
    rounds: int
    regret: float
    user_utility: float
    clairvoyant_utility: float
    payments: float
    providers: tuple[ProviderOutcome, ...]
    monotonicity: MonotonicityCheck | None = None

    @property
    def regret_per_round(self) -> float:
        """Regret divided by rounds played."""
        return self.regret / self.rounds if self.rounds else 0.0

    @property
    def regret_over_sqrt_T(self) -> float:
        """Regret divided by ``sqrt(rounds)``."""
        return self.regret / math.sqrt(self.rounds) if self.rounds else 0.0

    def json_record(self) -> dict:
        """JSON-ready (the CLI's ``rosa run --json``)."""
        return {
            "note": RECONSTRUCTED,
            "setting": self.setting.to_dict(),
            "seed": self.seed,
            "run": self.run,
            "rounds": self.rounds,
            "regret": self.regret,
            "regret_per_round": self.regret_per_round,
            "regret_over_sqrt_T": self.regret_over_sqrt_T,
            "user_utility": self.user_utility,
            "clairvoyant_user_utility": self.clairvoyant_utility,
            "payments": self.payments,
            "providers": [asdict(p) for p in self.providers],
            "monotonicity": None if self.monotonicity is None else self.monotonicity.json_record(),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per provider (numbered from 1): cost, bid, rounds served, payments, utility."""
        rows = [{"provider": k, **asdict(p)} for k, p in enumerate(self.providers, start=1)]
        return pd.DataFrame(rows).assign(seed=self.seed, run=self.run)

    def summary(self) -> str:
        """Regret and the user's utility over the rounds played."""
        return (
            f"{self.setting.name}, seed {self.seed}, run {self.run}: {self.rounds} rounds, "
            f"regret {number(self.regret)} (regret / sqrt(T) {number(self.regret_over_sqrt_T)}), "
            f"user utility {number(self.user_utility)} of {number(self.clairvoyant_utility)} "
            "clairvoyant (reconstructed)"
        )


@dataclass(frozen=True)
class TruthfulnessCurve(ResultMixin):
    """One provider's expected utility over a grid of bids, the others truthful.

    Attributes:
        setting: the market.
        seed: the root seed (instance and environment: index 0; ROSA coins: run index).
        provider: the provider, numbered from 1 (``P1``).
        true_cost: its private cost.
        bids: the grid of bids.
        expected_utility: mean over runs of the utility averaged over its own flag.
        standard_error: the standard error of each mean over runs.
        difference_error: the standard error of ``utility(bid) - utility(true cost)`` over
            runs (common random numbers make it much smaller than ``standard_error``).
        expected_rounds: ``abar(b)``, expected rounds served.
        expected_payment: expected total payment.
        truthful_utility: expected utility when bidding the true cost.
        truthful_standard_error: its standard error.
        min_truthful_run_utility: the lowest realised utility of a truthful bid over every run
            and both outcomes of its own flag (universal ex-post IR says >= 0).
        runs: the number of runs.
        simulated_rows: distinct markets simulated (identical ones are played once).
    """

    setting: RosaSetting
    seed: int
    provider: int
    true_cost: float
    bids: tuple[float, ...]
    expected_utility: tuple[float, ...]
    standard_error: tuple[float, ...]
    difference_error: tuple[float, ...]
    expected_rounds: tuple[float, ...]
    expected_payment: tuple[float, ...]
    truthful_utility: float
    truthful_standard_error: float
    min_truthful_run_utility: float
    runs: int
    simulated_rows: int

    @property
    def grid_step(self) -> float:
        """The spacing of the bid grid (0 for a single bid)."""
        return float(self.bids[1] - self.bids[0]) if len(self.bids) > 1 else 0.0

    @property
    def best_bid(self) -> float:
        """The grid bid with the highest expected utility."""
        return float(self.bids[int(np.argmax(self.expected_utility))])

    def json_record(self) -> dict:
        """JSON-ready (the CLI's ``rosa truthfulness --json``)."""
        return {
            "note": RECONSTRUCTED,
            "estimator": "mean over runs; in each run the provider's own ROSA flag is averaged "
            "exactly (both outcomes simulated, weights 1-mu and mu); its V, the others' coins "
            "and nothing else vary between runs (instance, contexts and noise fixed)",
            "setting": self.setting.to_dict(),
            "seed": self.seed,
            "provider": self.provider,
            "true_cost": self.true_cost,
            "bids": numbers(self.bids),
            "expected_utility": numbers(self.expected_utility),
            "standard_error": numbers(self.standard_error),
            "difference_standard_error": numbers(self.difference_error),
            "expected_rounds": numbers(self.expected_rounds),
            "expected_payment": numbers(self.expected_payment),
            "grid_step": self.grid_step,
            "best_bid": self.best_bid,
            "truthful_expected_utility": json_number(self.truthful_utility),
            "truthful_standard_error": json_number(self.truthful_standard_error),
            "min_truthful_run_utility": self.min_truthful_run_utility,
            "runs": self.runs,
            "simulated_rows": self.simulated_rows,
        }

    def to_frame(self) -> pd.DataFrame:
        """Utility against bid: one row per bid."""
        return pd.DataFrame(
            {
                "bid": self.bids,
                "expected_utility": self.expected_utility,
                "standard_error": self.standard_error,
                "difference_standard_error": self.difference_error,
                "expected_rounds": self.expected_rounds,
                "expected_payment": self.expected_payment,
            }
        )

    def summary(self) -> str:
        """The truthful utility, and the largest estimated gain of any bid over it (with 2 SE)."""
        gain, error, bid = self.largest_gain()
        return (
            f"provider {self.provider} (true cost {number(self.true_cost)}): truthful expected "
            f"utility {number(self.truthful_utility)} over {self.runs} runs; largest gain of "
            f"{len(self.bids)} bids {number(gain)} +- {number(error)} (2 SE) at bid "
            f"{number(bid)} (reconstructed)"
        )

    def largest_gain(self) -> tuple[float, float, float]:
        """The largest estimated gain of a grid bid over bidding the true cost.

        Returns:
            ``(gain, two standard errors of that difference, the bid)``. Truthfulness in
            expectation (Patra et al. 2026, Def. 5) says no bid gains: a gain within its two
            standard errors is noise, not a violation.
        """
        gains = np.asarray(self.expected_utility) - self.truthful_utility
        k = int(np.argmax(gains))
        return float(gains[k]), float(2 * self.difference_error[k]), float(self.bids[k])


def regret_sqrt_scale(rounds, regret) -> float:
    """Least-squares ``c`` in ``regret(t) ~ c sqrt(t)`` over the given rounds (0 if none).

    The regret bound of the reconstructed ROSA learners grows as ``sqrt(T)`` (Patra et al.
    2026, reconstructed; ``docs/rosa-reconstruction.md``); ``c`` is how the curves and the dashboard
    summarise a run's regret.
    """
    roots = np.sqrt(np.asarray(rounds, dtype=float))
    denominator = float(roots @ roots)
    return float(roots @ np.asarray(regret, dtype=float) / denominator) if denominator else 0.0


@dataclass(frozen=True)
class RegretCurve(ResultMixin):
    """Regret against the horizon T, and the cumulative regret of the longest horizon.

    Attributes:
        setting: the market (its T is the longest horizon).
        seed: the root seed (run r uses instance, environment and coins r).
        horizons: the horizons T.
        regret: final regret per horizon and run, shape ``(len(horizons), runs)``.
        user_utility: realised user utility, same shape.
        clairvoyant_utility: the clairvoyant benchmark's expected user utility, same shape.
        trajectory_rounds: rounds at which the longest horizon was recorded.
        trajectory_regret: mean cumulative regret over runs at those rounds.
        trajectory_user_utility: mean cumulative realised user utility.
        trajectory_clairvoyant: mean cumulative clairvoyant user utility.
        trajectory_surplus: mean cumulative clairvoyant virtual surplus (the learner's is this
            minus the regret).
    """

    setting: RosaSetting
    seed: int
    horizons: tuple[int, ...]
    regret: np.ndarray
    user_utility: np.ndarray
    clairvoyant_utility: np.ndarray
    trajectory_rounds: tuple[int, ...]
    trajectory_regret: tuple[float, ...]
    trajectory_user_utility: tuple[float, ...]
    trajectory_clairvoyant: tuple[float, ...]
    trajectory_surplus: tuple[float, ...]

    @property
    def sqrt_scale(self) -> float:
        """Least-squares ``c`` in ``mean regret ~ c sqrt(T)``."""
        return regret_sqrt_scale(self.horizons, self.regret.mean(axis=1))

    def to_frame(self) -> pd.DataFrame:
        """One row per horizon: mean regret, its standard error, per round and over sqrt(T)."""
        runs = self.regret.shape[1]
        T = np.asarray(self.horizons, dtype=float)
        mean = self.regret.mean(axis=1)
        error = self.regret.std(axis=1, ddof=1) / math.sqrt(runs) if runs > 1 else mean * np.nan
        return pd.DataFrame(
            {
                "T": self.horizons,
                "mean_regret": mean,
                "standard_error": error,
                "regret_per_round": mean / T,
                "regret_over_sqrt_T": mean / np.sqrt(T),
                "mean_user_utility": self.user_utility.mean(axis=1),
                "mean_clairvoyant_utility": self.clairvoyant_utility.mean(axis=1),
            }
        )

    def json_record(self) -> dict:
        """JSON-ready summary."""
        table = self.to_frame()
        return {
            "note": RECONSTRUCTED,
            "regret_definition": "sum over rounds of the clairvoyant virtual surplus "
            "max_i (v_it - phi(c_i)) minus that of the provider served (ours)",
            "setting": self.setting.to_dict(),
            "seed": self.seed,
            "runs": int(self.regret.shape[1]),
            "T": list(self.horizons),
            "mean_regret": numbers(table["mean_regret"]),
            "standard_error": numbers(table["standard_error"]),
            "regret_per_round": numbers(table["regret_per_round"]),
            "regret_over_sqrt_T": numbers(table["regret_over_sqrt_T"]),
            "sqrt_T_scale": self.sqrt_scale,
        }

    def summary(self) -> str:
        """The horizons and the fitted scale of regret in sqrt(T)."""
        return (
            f"regret over {len(self.horizons)} horizons up to T={max(self.horizons)} rounds, "
            f"{self.regret.shape[1]} runs: mean regret ~ {number(self.sqrt_scale)} sqrt(T) "
            "(reconstructed)"
        )


@dataclass(frozen=True)
class MonotonicitySurvey(ResultMixin):
    """Each learner's ex-post monotonicity violations over random instances.

    Attributes:
        setting: the market (its learner is ignored).
        seed: the root seed (instance k: instance, environment and coins k).
        learners: the learners surveyed.
        instances: the number of random instances.
        grid_points: bids per provider on the grid.
        instance_violations: per learner, instances where some provider's rounds served rose
            with its bid.
        provider_violations: per learner, (instance, provider) pairs with a violation.
    """

    setting: RosaSetting
    seed: int
    learners: tuple[str, ...]
    instances: int
    grid_points: int
    instance_violations: tuple[int, ...]
    provider_violations: tuple[int, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per learner."""
        pairs = self.instances * self.setting.providers
        return pd.DataFrame(
            {
                "learner": self.learners,
                "instances": self.instances,
                "instances_violating": self.instance_violations,
                "violation_rate": np.asarray(self.instance_violations) / self.instances,
                "provider_pairs_violating": self.provider_violations,
                "pair_violation_rate": np.asarray(self.provider_violations) / pairs,
            }
        )

    def json_record(self) -> dict:
        """JSON-ready."""
        return {
            "note": RECONSTRUCTED,
            "definition": "a violation: for a fixed instance, contexts, noise, priorities and "
            "the others' (ROSA-modified) bids, a provider's rounds served increase somewhere "
            "along an increasing grid of its own bid",
            "setting": self.setting.to_dict(),
            "seed": self.seed,
            "grid_points": self.grid_points,
            "learners": self.to_frame().to_dict(orient="records"),
        }

    def summary(self) -> str:
        """Each learner's share of instances with a violation."""
        rates = ", ".join(
            f"{name} {number(v / self.instances, 3)}"
            for name, v in zip(self.learners, self.instance_violations, strict=True)
        )
        return f"share of {self.instances} instances violating monotonicity: {rates}"
