"""ROSA's checkable claims as tests: EPIC, ex-post IR, payments, regret, monotonicity.

What is reconstructed and why: docs/rosa-reconstruction.md.

Configurations are small (T = 600 or less) so the suite stays fast; the instances used for the
truthfulness peak are ones where the provider's allocation changes around its cost (where it
does not, the expected utility is flat there and every nearby bid is optimal).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_profiles import key_property

from market.rosa import runs
from market.rosa.scenarios import RosaSetting, get_setting

GRID = np.linspace(0.0, 0.5, 21)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("learner", "seed", "provider"), [("elimination", 2, 4), ("explore-then-commit", 3, 1)]
)
def test_expected_utility_peaks_at_the_true_cost(learner, seed, provider):
    setting = get_setting(T=600, learner=learner)
    curve = runs.truthfulness_curve(setting, seed, provider, GRID, runs=300)
    step = curve.grid_step
    utility = np.asarray(curve.expected_utility)
    rounds = np.asarray(curve.expected_rounds)
    near = int(np.argmin(np.abs(GRID - curve.true_cost)))
    # the allocation really moves around the cost, so the peak is informative
    assert rounds[max(near - 1, 0)] - rounds[min(near + 1, 20)] > 10
    assert abs(curve.best_bid - curve.true_cost) <= step + 1e-12
    # no bid beats the truth by more than three standard errors of the difference
    gain = utility - curve.truthful_utility
    assert np.all(gain <= 3 * np.asarray(curve.difference_error) + 1e-9)
    assert curve.min_truthful_run_utility >= 0.0


def test_without_resampling_inflating_pays():
    setting = get_setting(T=600, learner="elimination", mechanism="pay-as-bid")
    curve = runs.truthfulness_curve(setting, 2, 4, GRID, runs=20)
    assert curve.truthful_utility == 0.0  # paid exactly its cost
    assert curve.best_bid >= curve.true_cost + 4 * curve.grid_step
    assert max(curve.expected_utility) > 1.0  # a real gain over the truthful 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("learner", "seed", "provider", "bid"),
    [("explore-then-commit", 3, 1, 0.05), ("elimination", 2, 4, 0.02)],
)
def test_expected_payment_is_the_reverse_myerson_payment(learner, seed, provider, bid):
    setting = get_setting(T=600, learner=learner, mu=0.2)
    grid = np.linspace(bid, setting.cost_hi, 41)
    outcomes = runs.bid_outcomes(setting, seed, provider, grid, runs=200)
    rounds = outcomes.expected(outcomes.served)[:, :-1]  # abar per run, over its own flag
    payment = outcomes.expected(outcomes.served * outcomes.rates)[:, 0]
    myerson = bid * rounds[:, 0] + np.trapezoid(rounds, grid, axis=1)
    difference = payment - myerson
    error = difference.std(ddof=1) / math.sqrt(len(difference))
    # abar is non-increasing in each run, so the trapezoid rule errs by at most h/2 x its fall
    assert np.all(np.diff(rounds, axis=1) <= 0)
    discretisation = (grid[1] - grid[0]) / 2 * (rounds[:, 0] - rounds[:, -1]).mean()
    assert abs(difference.mean()) <= 4 * error + discretisation
    assert payment.mean() > bid * rounds[:, 0].mean() + 1.0  # the information rent is real


@pytest.mark.parametrize("learner", ["elimination", "explore-then-commit"])
def test_regret_over_sqrt_T_stays_bounded_and_regret_per_round_falls(learner):
    setting = get_setting(learner=learner)
    curve = runs.regret_curve(setting, 4, [500, 2000, 8000], runs=6)
    table = curve.to_frame()
    per_round = table["regret_per_round"].to_numpy()
    over_root = table["regret_over_sqrt_T"].to_numpy()
    assert np.all(np.diff(per_round) < 0)
    assert per_round[-1] < 0.5 * per_round[0]
    assert over_root[-1] < 1.6 * over_root[0]  # linear regret would grow 4x here
    assert len(curve.trajectory_rounds) == len(curve.trajectory_regret) > 100


@pytest.mark.slow
def test_linucb_violates_monotonicity_where_monotone_learners_do_not():
    survey = runs.monotonicity_survey(get_setting(T=400), 1, instances=10, points=21)
    violations = dict(zip(survey.learners, survey.instance_violations, strict=True))
    assert violations["linucb"] > 0
    assert violations["elimination"] == 0
    assert violations["explore-then-commit"] == 0


@key_property(20, deadline=None)  # ROSA's key property: 200 examples in the CI profile
@given(
    seed=st.integers(0, 2**32),
    learner=st.sampled_from(["elimination", "explore-then-commit"]),
    noise=st.sampled_from(["gaussian", "exponential"]),
    mu=st.floats(0.05, 0.5),
)
def test_monotone_learners_are_ex_post_monotone_on_random_instances(seed, learner, noise, mu):
    setting = RosaSetting(providers=3, dim=2, T=200, learner=learner, noise=noise, mu=mu)
    counts = runs.monotonicity_counts(setting, seed, instances=2, points=11)
    assert np.all(np.diff(counts, axis=2) <= 0)


def test_one_run_reports_its_instance_monotonicity():
    result, model = runs.run_market(get_setting(T=500), 3, check_points=5)
    assert result.monotonicity.monotone
    assert len(result.monotonicity.grid) == 5
    assert len(model.history()) > 100
    payload = result.json_record()
    assert "reconstructed" in payload["note"]
    assert payload["monotonicity"]["monotone"] is True


def test_an_instance_replays_the_same_alone_or_in_a_survey():
    setting = get_setting(T=300, learner="linucb")
    alone = runs.monotonicity_counts(setting, 6, instances=1, points=5)
    together = runs.monotonicity_counts(setting, 6, instances=3, points=5, jobs=2)
    assert np.array_equal(alone[0], together[0])
