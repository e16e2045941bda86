"""Known answers for the formulas of Mechanism 1 (numbers worked by hand in the comments)."""

import math

import numpy as np
import pytest

from market.core.errors import UserInputError
from mechanisms.delegation import (
    MECHANISMS,
    DelegationParams,
    ValidationRule,
    artifact_delta1,
    artifact_log_margin,
    bernoulli_quota,
    confidence_radius,
    exploitation_length_paper,
    exploration_delta,
    exploration_size,
    validation_threshold,
)


def test_exploration_size_of_the_paper_experiment():
    # B = floor((10^6)^(0.6)) = floor(10^3.6) = floor(3981.07...) = 3981
    assert exploration_size(1_000_000, 0.3) == 3981
    # B = floor(10000^0.5) = 100 exactly
    assert exploration_size(10_000, 0.25) == 100


def test_confidence_radius_of_the_paper_experiment():
    # M = 10^-1.8 * ln(3e6) = 0.0158489 * (ln 3 + 6 ln 10 = 1.098612 + 13.815511 = 14.914123)
    #   = 0.236373
    assert confidence_radius(1_000_000, 3, 0.3) == pytest.approx(0.236373, abs=2e-6)


def test_validation_threshold_uses_reward_bound_and_price_times_L():
    # u' - (R + p L) M / 3 with u' = 0.5, R = 1, p = 0.001, L = 1000 (pL = 1), M = 0.3:
    # 0.5 - (1 + 1) * 0.3 / 3 = 0.5 - 0.2 = 0.3
    assert validation_threshold(0.5, 1.0, 0.001, 1000, 0.3) == pytest.approx(0.3)


def test_exploration_delta():
    # 2 v / (p L) - 2 tau / L with v = 0.5, tau = 100, p = 0.01, L = 1000:
    # 1 / 10 - 200 / 1000 = 0.1 - 0.2 = -0.1
    assert exploration_delta(0.5, 100, 0.01, 1000) == pytest.approx(-0.1)


def test_exploitation_length_paper():
    # T = 10000, K = 2, B = 100, R = 1, min p L = 2 (so 2R/(pL) = 1), sum of other deltas 0.5:
    # floor(10000 - (10 + 1 + 0.5) * 100 - 2) = 10000 - 1150 - 2 = 8848
    assert exploitation_length_paper(10_000, 2, 100, 1.0, 0.002, 1000, 0.5) == 8848
    # never negative
    assert exploitation_length_paper(100, 2, 100, 1.0, 0.002, 1000, 0.5) == 0


def test_artifact_constants():
    # delta1 = -ln(min mu_r) + ln(max mu_l) + max mu_l / L + 1 with mu_r in {0.5, 0.25},
    # mu_l in {100, 400}, L = 800: ln 4 + ln 400 + 0.5 + 1
    stats = ((0.5, 100.0), (0.25, 400.0))
    assert artifact_delta1(stats, 800) == pytest.approx(math.log(4) + math.log(400) + 1.5)
    # ln v - ln tau - tau / L with v = 0.5, tau = 100, L = 800: ln 0.005 - 0.125
    assert artifact_log_margin(0.5, 100, 800) == pytest.approx(math.log(0.005) - 0.125)
    # a provider whose observed reward is 0 gets -inf, hence no blind-trust-II queries
    assert artifact_log_margin(0.0, 100, 800) == -math.inf


def test_bernoulli_quota_is_floor_plus_a_coin():
    rng = np.random.default_rng(0)
    assert {bernoulli_quota(2.0, rng, 100) for _ in range(50)} == {2}
    draws = [bernoulli_quota(2.25, rng, 100) for _ in range(4000)]
    assert set(draws) == {2, 3}
    assert np.mean(draws) == pytest.approx(2.25, abs=0.03)
    # capped at the horizon, even when the quota is infinite (zero observed length)
    assert bernoulli_quota(math.inf, rng, 500) == 500
    assert bernoulli_quota(1e9, rng, 500) == 500


def test_validation_rule_positions():
    per_query = ValidationRule(threshold=0.0, start=4, every=1)
    assert per_query.positions(1, 7).tolist() == [4, 5, 6, 7]
    assert per_query.positions(6, 9).tolist() == [6, 7, 8, 9]  # a later batch
    per_batch = ValidationRule(threshold=0.0, start=3, every=3)
    assert per_batch.positions(1, 7).tolist() == [3, 6]
    assert per_batch.positions(4, 5).tolist() == []  # a batch between two checks
    assert per_batch.positions(5, 8).tolist() == [6]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("eps", {"eps": 0.5}),
        ("eps", {"eps": 0.0}),
        ("T", {"T": 0}),
        ("providers", {"prices": (1e-5,)}),
    ],
)
def test_params_reject_bad_input_naming_the_field(field, kwargs):
    base = {"T": 1000, "prices": (1e-5, 2e-5), "reward_bound": 1.0, "max_length": 100, "eps": 0.3}
    with pytest.raises(UserInputError, match=field):
        DelegationParams(**(base | kwargs))


def test_mechanism_registry_lists_three_peers_with_phases():
    built_in = {"second-best", "second-best-artifact", "explore-then-commit"}
    assert built_in <= set(MECHANISMS.names())  # a plugin's mechanisms may come on top
    for mechanism in MECHANISMS:
        assert mechanism.phases[0] == "exploration"
        assert "References" in mechanism.__doc__
    with pytest.raises(UserInputError, match="second-best-artifact"):
        MECHANISMS.get("nope")
