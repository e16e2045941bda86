"""The ROSA Mesa model: stepping, the batch engine's identity, seeds, DataCollector, inputs."""

import math

import numpy as np
import pytest

from market.core.errors import UserInputError
from market.rosa.model import RosaMarket
from market.rosa.runs import simulate_runs
from market.rosa.scenarios import SCENARIOS, get_setting
from mechanisms.rosa.learners import LEARNERS


def final_numbers(result):
    return (
        result.regret,
        result.user_utility,
        result.clairvoyant_utility,
        tuple(p.rounds_served for p in result.providers),
        tuple(p.utility for p in result.providers),
    )


@pytest.mark.parametrize("learner", LEARNERS.names())
def test_model_run_equals_its_row_of_the_vectorised_batch(learner):
    setting = get_setting(T=600, learner=learner, mu=0.3)  # crosses environment blocks
    tally = simulate_runs(setting, 11, range(5))
    for run in (0, 3):
        result = RosaMarket(setting, batch=1, run=run, rng=11).run()
        assert result.regret == tally.regret[run]  # bit-identical, not approximately
        assert result.user_utility == tally.user_utility[run]
        assert result.clairvoyant_utility == tally.clairvoyant_utility[run]
        assert [p.rounds_served for p in result.providers] == list(tally.served[run])
        assert [p.utility for p in result.providers] == list(tally.provider_utility[run])


def test_a_run_does_not_depend_on_rounds_per_step_or_batch_company():
    setting = get_setting(T=700, noise="exponential", mu=0.2)
    results = [
        final_numbers(RosaMarket(setting, batch=b, run=2, rng=5).run()) for b in (1, 9, 256, None)
    ]
    assert all(r == results[0] for r in results)
    alone = simulate_runs(setting, 5, [2])
    together = simulate_runs(setting, 5, [7, 2, 0])
    assert alone.regret[0] == together.regret[1]
    assert np.array_equal(alone.served[0], together.served[1])


def test_seeds_repeat_and_differ():
    setting = get_setting(T=300)
    first = final_numbers(RosaMarket(setting, rng=3).run())
    assert first == final_numbers(RosaMarket(setting, rng=3).run())
    assert first != final_numbers(RosaMarket(setting, rng=4).run())
    assert first != final_numbers(RosaMarket(setting, rng=3, run=1).run())
    fresh = RosaMarket(setting, rng=None)
    assert isinstance(fresh.result().seed, int)
    assert RosaMarket(setting, rng="").root_seed != fresh.root_seed


def test_datacollector_rows_are_bounded_and_named():
    model = RosaMarket(T=2000, batch=1, record_points=50, rng=1)
    steps = 0
    while model.running:
        model.step()
        steps += 1
    assert steps == 2000 and model.platform.rounds == 2000
    history = model.history()
    assert len(history) <= 52
    assert history["queries"].iloc[-1] == 2000
    for column in (
        "regret",
        "regret_per_round",
        "user_utility",
        "payments",
        "clairvoyant_user_utility",
        "utility[Provider 1]",
        "queries[Provider 5]",
    ):
        assert column in history.columns
    assert history["regret"].iloc[-1] == pytest.approx(model.result().regret)
    rounds = history[[f"queries[Provider {i}]" for i in range(1, 6)]].iloc[-1].sum()
    assert rounds == 2000
    assert history["regret_per_round"].iloc[-1] == pytest.approx(history["regret"].iloc[-1] / 2000)
    service = model.service_map()
    assert 900 <= len(service) <= 2001 and set(service["served"]) <= {f"P{i}" for i in range(1, 6)}


def test_agents_and_bids():
    model = RosaMarket(T=50, strategies="truthful,inflate:2,shade:0.5,fixed:0.25,truthful", rng=2)
    assert len(model.agents) == 6
    costs = [p.cost for p in model.providers]
    assert model.providers[0].bid == costs[0]
    assert model.providers[1].bid == pytest.approx(min(2 * costs[1], 0.5))
    assert model.providers[2].bid == pytest.approx(0.5 * costs[2])
    assert model.providers[3].bid == 0.25
    result = model.run()
    assert sum(p.rounds_served for p in result.providers) == 50
    payments = sum(p.payments for p in result.providers)
    assert result.payments == pytest.approx(payments)


def test_truthful_providers_never_end_a_run_below_zero():
    setting = get_setting(T=400, mu=0.5)
    tally = simulate_runs(setting, 8, range(300))
    assert tally.provider_utility.min() >= 0.0
    flagged_income = tally.provider_utility.max()
    assert flagged_income > 0  # flagged providers are paid more than cost


def test_shading_below_cost_can_lose_money():
    setting = get_setting(T=400, mu=0.05)
    tally = simulate_runs(setting, 8, range(100), strategies="shade:0.2")
    assert tally.provider_utility.min() < 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mu": 1.0}, "mu"),
        ({"mu": 0.0}, "mu"),
        ({"dim": 0}, "dim"),
        ({"providers": 1}, "providers"),
        ({"T": 0}, "T"),
        ({"learner": "ucb"}, "learner"),
        ({"mechanism": "vcg"}, "mechanism"),
        ({"noise": "cauchy"}, "noise"),
        ({"sigma": -1.0}, "sigma"),
    ],
)
def test_bad_settings_are_one_line_user_errors(changes, field):
    with pytest.raises(UserInputError) as error:
        get_setting(**changes)
    assert str(error.value).startswith(field) and "\n" not in str(error.value)


def test_presets_build_and_step():
    for name in SCENARIOS.names():
        model = RosaMarket(name, T=300, rng=1)
        model.step()
        assert model.platform.rounds == 1
        result = model.run()
        assert result.rounds == 300 and math.isfinite(result.user_utility)
    with pytest.raises(UserInputError, match="preset"):
        RosaMarket("nonsense")


@pytest.mark.parametrize("mechanism", ["rosa", "pay-as-bid"])
@pytest.mark.parametrize("strategy", ["truthful", "shade:0.5", "inflate:1.5", "fixed:0.2"])
def test_every_strategy_plays_under_every_mechanism(strategy, mechanism):
    model = RosaMarket(T=120, strategies=strategy, mechanism=mechanism, mu=0.5, rng=9)
    result = model.run()
    assert sum(p.rounds_served for p in result.providers) == 120
    for p in result.providers:
        assert p.payments >= p.bid * p.rounds_served - 1e-9  # paid at least the bid
        if mechanism == "pay-as-bid":
            assert not p.flagged and p.modified_bid == p.bid
        assert p.utility == pytest.approx(p.payments - p.cost * p.rounds_served)


def test_dashboard_style_text_parameters():
    model = RosaMarket(T="300", mu="0.2", dim="3", providers="4", learner="", rng="7")
    assert (model.setting.T, model.setting.resolved_mu, model.setting.dim) == (300, 0.2, 3)
    assert final_numbers(model.run()) == final_numbers(
        RosaMarket(T=300, mu=0.2, dim=3, providers=4, rng=7).run()
    )
    with pytest.raises(UserInputError, match="mu"):
        RosaMarket(mu="lots")
