"""The reputation market's economics, computed by the model and checked against its conditions.

Under uniform routing every provider gets N / K queries in expectation whatever it serves, so
a cheap provider's expected profit beats an honest one's whenever c_L < c_H (always, by the
scenario's own check). Under rating-rank with one honest provider among cheap ones, the honest
provider out-earns every cheap one after ``rounds_for_honesty_to_pay`` rounds whenever
``honesty_rewarded`` and ``ratings_separate`` hold (llm_market_reputation.economics); when
exploration is 1 the ranking is uniform routing and honesty never pays.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from market.core.errors import UserInputError

from llm_market_reputation.agents import STRATEGIES, Observation
from llm_market_reputation.economics import rounds_for_honesty_to_pay
from llm_market_reputation.mechanisms import MECHANISMS, RatingRank, Uniform
from llm_market_reputation.model import ReputationMarket
from llm_market_reputation.scenarios import ReputationScenario, scenario_named


@st.composite
def markets(draw, mechanism: str):
    """One honest provider and 1-4 cheap ones, with checked numbers."""
    cheap_cost = draw(st.floats(0.0, 0.5))
    honest_cost = draw(st.floats(cheap_cost + 0.05, 0.9))
    cheap_quality = draw(st.floats(0.0, 0.6))
    return ReputationScenario(
        name="drawn",
        description="",
        strategies=("honest",) + ("cheap",) * draw(st.integers(1, 4)),
        queries=draw(st.integers(50, 2000)),
        rounds=draw(st.integers(2, 40)),
        price=draw(st.floats(honest_cost + 0.05, 2.0)),
        honest_cost=honest_cost,
        cheap_cost=cheap_cost,
        honest_quality=draw(st.floats(cheap_quality + 0.05, 1.0)),
        cheap_quality=cheap_quality,
        rating_noise=draw(st.floats(0.0, 0.5)),
        memory=draw(st.floats(0.3, 1.0)),
        exploration=draw(st.floats(0.05, 1.0)),
        mechanism=mechanism,
    )


def expected_profits(scenario, seed: int) -> np.ndarray:
    """Each provider's expected profit over the run (routing shares x N x margin, summed)."""
    model = ReputationMarket(scenario, rng=seed)
    model.run()
    return model.played("expected_profit").sum(axis=0)


@settings(max_examples=60, deadline=None)
@given(markets("uniform"), st.integers(0, 2**32))
def test_under_uniform_routing_cheap_service_earns_more(scenario, seed):
    profits = expected_profits(scenario, seed)
    assert (profits[1:] > profits[0]).all()


@settings(max_examples=60, deadline=None)
@given(markets("rating-rank"), st.integers(0, 2**32))
def test_under_rating_rank_honesty_pays_when_the_conditions_hold(scenario, seed):
    needed = rounds_for_honesty_to_pay(scenario)
    if needed is None:
        return  # the conditions fail: nothing is promised (the next test covers a failure)
    profits = expected_profits(scenario.with_settings(rounds=max(needed, 2)), seed)
    assert (profits[0] > profits[1:]).all()


def test_the_conditions_hold_for_some_drawn_market_and_fail_for_others():
    base = scenario_named("honest-vs-cheap")
    assert rounds_for_honesty_to_pay(base.with_settings(queries=3000)) is not None
    assert rounds_for_honesty_to_pay(base.with_settings(exploration=1.0, queries=3000)) is None


def test_full_exploration_is_uniform_routing_and_cheap_service_wins():
    scenario = scenario_named("honest-vs-cheap").with_settings(exploration=1.0, queries=3000)
    profits = expected_profits(scenario, seed=3)
    assert (profits[1:] > profits[0]).all()


def test_rating_rank_splits_the_lead_among_tied_providers():
    shares = RatingRank(0.2).routing_shares(np.array([0.5, 0.9, 0.9, 0.1]))
    np.testing.assert_allclose(shares, [0.05, 0.45, 0.45, 0.05])
    np.testing.assert_allclose(Uniform().routing_shares(np.zeros(4)), 0.25)


def test_milk_reputation_turns_cheap_only_while_it_leads():
    milk = STRATEGIES.get("milk-reputation")()
    rng = np.random.default_rng(0)
    leading = Observation(round=3, rating=0.9, best_rival_rating=0.8, ranked=True)
    behind = Observation(round=3, rating=0.7, best_rival_rating=0.8, ranked=True)
    assert not milk.serves_honestly(leading, rng) and milk.serves_honestly(behind, rng)


def test_every_strategy_plays_under_every_mechanism():
    for mechanism in MECHANISMS.names():
        for strategy in STRATEGIES.names():
            model = ReputationMarket(
                "honest-vs-cheap",
                rng=1,
                mechanism=mechanism,
                strategies=f"{strategy},cheap",
                rounds=5,
            )
            model.run()
            assert model.played("queries").sum() == 5 * model.settings.queries


def test_the_same_seed_gives_the_same_run():
    one = ReputationMarket("milking", rng=7).run()
    two = ReputationMarket("milking", rng=7).run()
    assert one == two


@pytest.mark.parametrize(
    ("field", "value"),
    [("honest_cost", 0.1), ("exploration", 1.5), ("memory", 0), ("rounds", 0), ("strategies", "")],
)
def test_a_bad_setting_is_one_line_naming_it(field, value):
    with pytest.raises(UserInputError) as error:
        scenario_named("honest-vs-cheap").with_settings(**{field: value})
    assert str(error.value).startswith(field) and "\n" not in str(error.value)
