"""Figures of the ROSA game (matplotlib Figures on the Agg canvas, no pyplot).

Every title says "reconstructed": the mechanism and its parameters are rebuilt from the paper's
abstract and table of contents, not its body.

References:
    Patra et al. (2026), Experiments, figures (a) cumulative regret with a scaled sqrt(T)
    reference, (b) regret per round, (c) cumulative utility against the clairvoyant benchmark;
    ``docs/rosa-reconstruction.md``.
"""

from __future__ import annotations

import numpy as np

from market.core.figures import PLAIN_NUMBERS, new_figure
from market.rosa.results import MonotonicitySurvey, RegretCurve, TruthfulnessCurve

TAG = "ROSA, reconstructed"


def truthfulness_figure(curve: TruthfulnessCurve):
    """Expected utility against bid, a two-standard-error band and the true cost."""
    figure = new_figure(7.0, 4.2)
    axes = figure.add_subplot()
    bids = np.asarray(curve.bids)
    utility = np.asarray(curve.expected_utility)
    error = np.nan_to_num(np.asarray(curve.standard_error))
    axes.fill_between(bids, utility - 2 * error, utility + 2 * error, alpha=0.25, label="± 2 s.e.")
    axes.plot(bids, utility, marker="o", markersize=3, label="expected utility")
    axes.axvline(curve.true_cost, color="black", linestyle="--", label="true cost")
    axes.plot([curve.true_cost], [curve.truthful_utility], "k*", markersize=10, label="truthful")
    axes.set_xlabel(f"P{curve.provider}'s bid (others truthful)")
    axes.set_ylabel("expected utility over ROSA's coins")
    axes.set_title(
        f"Truthfulness: P{curve.provider}'s utility against its bid "
        f"({TAG}; {curve.setting.learner}, T={curve.setting.T:,}, {curve.runs} runs)",
        fontsize=9,
    )
    axes.legend(fontsize=8)
    axes.yaxis.set_major_formatter(PLAIN_NUMBERS)
    return figure


def regret_figure(curve: RegretCurve):
    """(a) regret against T with c sqrt(T); (b) regret per round; (c) surplus vs clairvoyant.

    Panel (c) compares cumulative virtual surplus, the user's expected utility under Myerson
    payments (in expectation over costs), not the realised utility of a few runs: ROSA's rare
    flagged payments are large, so a few runs' realised utility mostly misses them.
    """
    figure = new_figure(12.0, 4.0)
    first, second, third = figure.subplots(1, 3)
    table = curve.to_frame()
    T = table["T"].to_numpy(dtype=float)
    first.errorbar(
        T,
        table["mean_regret"],
        yerr=np.nan_to_num(2 * table["standard_error"]),
        marker="o",
        capsize=3,
        label="mean regret (± 2 s.e.)",
    )
    fine = np.linspace(0, T.max(), 200)
    first.plot(
        fine, curve.sqrt_scale * np.sqrt(fine), "--", label=f"{curve.sqrt_scale:.2f} sqrt(T)"
    )
    first.set_xlabel("horizon T")
    first.set_ylabel("cumulative regret")
    first.set_title("(a) regret against T", fontsize=9)
    first.legend(fontsize=8)
    second.plot(T, table["regret_per_round"], marker="o")
    second.set_xscale("log")
    second.set_xlabel("horizon T")
    second.set_ylabel("regret per round")
    second.set_title("(b) regret per round", fontsize=9)
    rounds = np.asarray(curve.trajectory_rounds)
    best = np.asarray(curve.trajectory_surplus)
    third.plot(rounds, best - np.asarray(curve.trajectory_regret), label="learner")
    third.plot(rounds, best, "--", label="clairvoyant benchmark")
    third.set_xlabel(f"round (T = {int(T.max()):,})")
    third.set_ylabel("cumulative virtual surplus v - phi(c)")
    third.set_title("(c) expected user utility (Myerson) vs benchmark", fontsize=9)
    third.legend(fontsize=8)
    for axes in (first, second, third):
        axes.xaxis.set_major_formatter(PLAIN_NUMBERS)
        axes.yaxis.set_major_formatter(PLAIN_NUMBERS)
    figure.suptitle(
        f"Regret of {curve.setting.learner} under {curve.setting.mechanism} ({TAG}; "
        f"{curve.regret.shape[1]} runs per T)",
        fontsize=10,
    )
    return figure


def run_figure(history, service):
    """One run: cumulative regret over rounds, and who serves which contexts (x1, x2)."""
    figure = new_figure(11.0, 4.2)
    left, right = figure.subplots(1, 2)
    rounds = history["queries"].to_numpy(dtype=float)
    left.plot(rounds, history["regret"], label="cumulative regret")
    scale = history["regret"].iloc[-1] / max(np.sqrt(rounds[-1]), 1.0)
    left.plot(rounds, scale * np.sqrt(rounds), "--", label=f"{scale:.2f} sqrt(t)")
    left.set_xlabel("round")
    left.set_ylabel("regret against the clairvoyant benchmark")
    left.legend(fontsize=8)
    left.xaxis.set_major_formatter(PLAIN_NUMBERS)
    late = service[service["round"] > service["round"].max() / 2]
    for name, group in late.groupby("served"):
        right.scatter(group["x1"], group.get("x2", group["x1"] * 0), s=8, label=name)
    right.set_xlabel("context x1")
    right.set_ylabel("context x2")
    right.set_title("who serves which contexts (second half of the run)", fontsize=9)
    right.legend(fontsize=8, markerscale=2)
    figure.suptitle(f"One run ({TAG})", fontsize=10)
    return figure


def monotonicity_figure(survey: MonotonicitySurvey):
    """Each learner's share of instances with an ex-post monotonicity violation."""
    figure = new_figure(6.5, 3.6)
    axes = figure.add_subplot()
    table = survey.to_frame()
    axes.bar(table["learner"], table["violation_rate"])
    axes.set_ylim(0, 1)
    axes.set_ylabel("share of instances violating")
    axes.set_title(
        f"Ex-post monotonicity over {survey.instances} instances, {survey.grid_points} bids "
        f"per provider ({TAG})",
        fontsize=9,
    )
    return figure
