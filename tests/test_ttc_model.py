"""The Mesa model of the TTC market: dynamics end at verified pure Nash equilibria."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.ttc import (
    BIDDING_STRATEGIES,
    STRATEGIES,
    FixedLevel,
    FixedLevelBid,
    MaximumCompute,
    TruthfulBid,
    UserPopulation,
)
from market.core.errors import UserInputError
from market.ttc.analysis import is_equilibrium, pure_equilibria
from market.ttc.model import (
    TTCMarket,
    child_seeds,
    population_seed,
)
from market.ttc.scenarios import SCENARIOS
from market.ttc.state import model_reporters
from mechanisms.ttc import PERFECT, TTCGame, bid_values, inefficiency
from mechanisms.ttc import strictly_improving_levels as strictly_improving

BETTER_RESPONSE = [c.name for c in STRATEGIES.filter(lambda c: c["better_response"])]


def get_game(preset: str, beta: float) -> TTCGame:
    return SCENARIOS.get(preset).build(beta=beta)


def intro_game(beta: float = PERFECT) -> TTCGame:
    quality = 0.02 * np.array([[70.0, 90.0], [50.0, 95.0]])
    cost = np.array([[0.25, 1.0], [0.5, 10.0]])
    return TTCGame(("P1", "P2"), (0.0, 1.0), quality, cost, 1.25 * cost, 0.0, beta)


@st.composite
def random_games(draw, max_providers: int = 4, max_levels: int = 4, betas=None):
    n = draw(st.integers(2, max_providers))
    n_levels = draw(st.integers(2, max_levels))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    accuracy = np.sort(rng.uniform(0.2, 0.95, size=(n, n_levels)), axis=1)
    quality = 0.008 * (0.1 + 0.9 * accuracy)
    price = np.cumsum(rng.uniform(1e-5, 1.5e-3, size=(n, n_levels)), axis=1)
    margin = rng.uniform(0.1, 0.5, size=(n, 1))
    beta = draw(st.sampled_from(betas or [PERFECT, 50.0, 1000.0, 1e5]))
    return TTCGame(
        tuple(f"m{i}" for i in range(n)),
        tuple(float(2**k) for k in range(n_levels)),
        quality,
        price / (1 + margin),
        price,
        0.0,
        beta,
    )


# ---- known answers (Appendix A, worked by hand) ----------------------------------------------


def test_intro_example_perfect_rationality_ends_at_high_ttc_with_poa_1_4375():
    model = TTCMarket(intro_game(), rng=0).run_to_equilibrium()
    assert not model.running and model.equilibrium_reached
    assert model.stop_reason == "equilibrium"
    assert model.profile[0] == 1  # provider 1 moves to high TTC (U = 0.25 > 0.0625)
    assert model.state.welfare == pytest.approx(0.8)
    assert model.state.inefficiency == pytest.approx(1.15 / 0.8)
    assert model.state.shares == (1.0, 0.0)
    assert model.state.provider_utility[0] == pytest.approx(0.25)
    assert model.state.user_value == pytest.approx(0.55)
    assert model.state.price == pytest.approx(1.25)
    assert model.profile in {tuple(p) for p in pure_equilibria(model.game)}


def test_intro_example_auction_is_efficient():
    model = TTCMarket(intro_game(), mechanism="second-price-auction", rng=0)
    model.run_to_equilibrium()
    assert model.equilibrium_reached
    # truthful bids: values 1.15 and 0.5; payment 1.4 - 0.5 = 0.9; winner utility 0.65
    assert model.state.shares == (1.0, 0.0)
    assert model.state.user_value == pytest.approx(0.5)
    assert model.state.price == pytest.approx(0.9)
    assert model.state.provider_utility == pytest.approx((0.65, 0.0))
    assert model.state.welfare == pytest.approx(1.15)
    assert model.state.inefficiency == pytest.approx(1.0)


def test_auction_with_a_non_truthful_bidder_rests_off_equilibrium():
    # P1 commits to high TTC at cost 1.0: value 0.8 still wins, utility 1.8 - 0.5 - 1 = 0.3,
    # while its truthful bid would earn 0.65, so the resting profile is no equilibrium.
    model = TTCMarket(
        intro_game(),
        mechanism="second-price-auction",
        biddings=[FixedLevelBid(1), TruthfulBid()],
        rng=0,
    ).run_to_equilibrium()
    assert model.at_rest and not model.equilibrium_reached and model.stop_reason == "rest"
    assert model.state.provider_utility[0] == pytest.approx(0.3)


def test_committed_providers_rest_and_equilibrium_is_checked():
    game = intro_game()
    model = TTCMarket(game, strategies=[FixedLevel(0), MaximumCompute()], rng=0)
    model.run_to_equilibrium()
    assert model.at_rest and model.profile == (0, 1)
    assert model.equilibrium_reached == is_equilibrium(game, (0, 1))
    assert not model.equilibrium_reached  # provider 1 would gain by moving to high TTC


# ---- properties -----------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    game=random_games(),
    strategy=st.sampled_from(BETTER_RESPONSE),
    schedule=st.sampled_from(["random-sweep", "uniform", "round-robin"]),
    seed=st.integers(0, 10_000),
)
def test_dynamics_end_at_a_pure_equilibrium_verified_by_the_analysis(
    game, strategy, schedule, seed
):
    model = TTCMarket(game, strategy=strategy, schedule=schedule, start="random", rng=seed)
    model.run_to_equilibrium()
    assert model.stop_reason == "equilibrium"
    assert model.equilibrium_reached and model.equilibrium_profile == model.profile
    assert is_equilibrium(game, model.profile)
    assert model.profile in {tuple(int(k) for k in p) for p in pure_equilibria(game)}
    assert model.state.inefficiency >= 1 - 1e-9  # PoA >= 1


@settings(max_examples=20, deadline=None)
@given(game=random_games(betas=[50.0, 1000.0]), seed=st.integers(0, 10_000))
def test_potential_rises_on_every_move(game, seed):
    model = TTCMarket(game, strategy="random-improving", start="random", rng=seed)
    model.run_to_equilibrium()
    history = model.history()
    levels = history[[f"level[{p}]" for p in game.providers]].to_numpy()
    potential = history["potential"].to_numpy()
    for t in range(1, len(history)):
        if not np.array_equal(levels[t], levels[t - 1]):
            assert potential[t] > potential[t - 1]
        else:
            assert potential[t] == potential[t - 1]


@settings(max_examples=15, deadline=None)
@given(game=random_games(betas=[100.0, 1000.0, 1e6]), seed=st.integers(0, 1000))
def test_identical_user_population_follows_the_representative_dynamics(game, seed):
    plain = TTCMarket(game, rng=seed).run_to_equilibrium()
    users = UserPopulation.identical(50, game.beta)
    crowd = TTCMarket(game, users=users, rng=seed).run_to_equilibrium()
    assert crowd.profile == plain.profile
    assert crowd.steps == plain.steps
    assert np.allclose(crowd.state.expected_shares, plain.state.shares, rtol=1e-9, atol=1e-15)
    assert crowd.stop_reason == "equilibrium" and is_equilibrium(game, crowd.profile)


@pytest.mark.parametrize("preset", ["gsm8k-best-of-n", "aime-best-of-n", "gpqa-majority"])
def test_one_simulated_user_at_beta_1e6_stops_only_at_a_true_equilibrium(preset):
    # Review finding: in plain floating point every losing share underflowed to 0, so these
    # runs stopped at a false "equilibrium"; with log shares they follow the paper's dynamics.
    model = TTCMarket(preset=preset, beta=1e6, n_users=1, rng=0).run_to_equilibrium()
    assert model.stop_reason == "equilibrium"
    assert is_equilibrium(model.game, model.profile)
    plain = TTCMarket(preset=preset, beta=1e6, rng=0).run_to_equilibrium()
    assert model.profile == plain.profile and model.steps == plain.steps


def test_heterogeneous_users_reach_a_rest_where_nobody_improves():
    game = intro_game(beta=20.0)
    users = UserPopulation.heterogeneous(
        2000, np.random.default_rng(3), beta=20.0, weight_spread=0.3
    )
    model = TTCMarket(game, users=users, rng=2).run_to_equilibrium()
    assert model.equilibrium_reached
    for i in range(game.n_providers):
        assert not model.provider_observation(i).improving
    assert sum(model.state.shares) <= 1.0 + 1e-12
    assert math.isnan(model.state.potential)


def test_realised_shares_come_from_user_choices():
    game = intro_game(beta=5.0)
    model = TTCMarket(game, n_users=1000, rng=4)
    shares = np.array(model.state.shares)
    assert np.allclose(shares * 1000, np.round(shares * 1000))  # fractions of 1000 users
    assert not np.allclose(shares, model.state.expected_shares)


# ---- reproducibility, data, errors -----------------------------------------------------------


def test_same_seed_same_run_and_seed_as_string():
    game = intro_game(beta=3.0)
    a = TTCMarket(game, strategy="random-improving", start="random", n_users=100, rng=9)
    b = TTCMarket(game, strategy="random-improving", start="random", n_users=100, rng="9")
    a.run_to_equilibrium()
    b.run_to_equilibrium()
    assert a.history().equals(b.history())


def test_datacollector_has_named_reporters_and_tidy_history():
    model = TTCMarket(intro_game(beta=10.0), rng=1).run_to_equilibrium()
    frame = model.datacollector.get_model_vars_dataframe()
    reporters = model_reporters(2)
    assert list(frame.columns) == list(reporters)
    assert all(getattr(f, "func", f).__name__.startswith("report_") for f in reporters.values())
    assert frame["theta[Provider 1]"].iloc[-1] == model.state.thetas[0]
    history = model.history()
    assert len(history) == model.steps + 1
    assert {"theta[P1]", "share[P2]", "utility[P1]", "inefficiency"} <= set(history.columns)


def test_max_steps_stops_the_run():
    game = intro_game(beta=10.0)
    model = TTCMarket(game, start=(0, 1), schedule="round-robin", max_steps=1, rng=0)
    model.run_to_equilibrium()
    assert model.steps == 1 and not model.running


def test_already_at_equilibrium_does_not_run():
    model = TTCMarket(intro_game(), start=(1, 0), rng=0)
    assert not model.running and model.equilibrium_reached and model.steps == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mechanism": "barter"}, "mechanism"),
        ({"schedule": "chaos"}, "schedule"),
        ({"start": "middle"}, "start"),
        ({"start": (0, 5)}, "start"),
        ({"strategy": "psychic"}, "strategy"),
        ({"bidding": "psychic"}, "bidding"),
        ({"max_steps": 0}, "max_steps"),
        ({"mechanism": "second-price-auction", "n_users": 10}, "users"),
    ],
)
def test_bad_configuration_raises_user_errors(kwargs, field):
    with pytest.raises(UserInputError, match=field):
        TTCMarket(intro_game(), **kwargs)


def test_inefficiency_and_improving_helpers():
    assert inefficiency(1.15, 0.8) == pytest.approx(1.4375)
    assert inefficiency(1.0, 0.0) == math.inf
    # log-utilities: log 2 beats log 1 by more than log(1 + 1e-8); a 1e-12 relative gain does not
    log_u = np.log(np.array([1.0, 2.0, 1.0 + 1e-12]))
    assert strictly_improving(log_u, 0, 1e-8) == (1,)
    # utilities far below the float range: e^-912 beats e^-1101 (plain floats read both as 0)
    assert strictly_improving(np.array([-1101.0, -912.0, -1268.0]), 0, 1e-8) == (1,)
    assert strictly_improving(np.array([-math.inf, -5.0, -math.inf]), 0, 1e-8) == (1,)


# ---- every strategy under every mechanism it claims; every preset --------------------------


@pytest.mark.parametrize("name", STRATEGIES.names())
def test_every_provider_strategy_runs_under_its_mechanisms(name):
    cls = STRATEGIES.get(name)
    assert cls.classifier["mechanisms"] == ("pay-for-compute",)
    for beta in (PERFECT, 10.0):
        model = TTCMarket(intro_game(beta), strategy=name, rng=3).run_to_equilibrium()
        assert model.at_rest
        if cls.classifier["better_response"]:
            assert model.equilibrium_reached


@pytest.mark.parametrize("name", BIDDING_STRATEGIES.names())
def test_every_bidding_strategy_runs_under_its_mechanisms(name):
    cls = BIDDING_STRATEGIES.get(name)
    for mechanism in cls.classifier["mechanisms"]:
        model = TTCMarket(intro_game(), mechanism=mechanism, bidding=name, rng=3)
        model.run_to_equilibrium()
        assert model.at_rest
        if cls.classifier["truthful"]:
            assert model.equilibrium_reached
        # whatever they bid, the user gets exactly the runner-up's bid value (Eq. 10)
        second_best = np.sort(bid_values(model.game, model.bids))[-2]
        assert model.state.user_value == pytest.approx(second_best, rel=1e-12, abs=1e-15)


@pytest.mark.filterwarnings("ignore:profit p - c is not increasing")
@pytest.mark.parametrize("preset", SCENARIOS.names())
def test_every_preset_runs_to_a_verified_equilibrium(preset):
    model = TTCMarket(preset=preset, beta=1000.0, rng=0).run_to_equilibrium()
    assert model.equilibrium_reached and model.stop_reason == "equilibrium"
    assert is_equilibrium(model.game, model.profile)
    assert model.state.inefficiency >= 1 - 1e-9
    auction = TTCMarket(preset=preset, mechanism="second-price-auction", rng=0)
    auction.run_to_equilibrium()
    assert auction.equilibrium_reached
    assert auction.state.inefficiency == pytest.approx(1.0)  # Eq. 13


# ---- seeds, per-provider prices ------------------------------------------------------------


def test_unseeded_run_records_its_seed_and_the_seed_repeats_it():
    game = intro_game(beta=3.0)
    first = TTCMarket(game, strategy="random-improving", start="random", n_users=50, rng=None)
    assert isinstance(first.seed, int) and first.seed >= 0
    first.run_to_equilibrium()
    again = TTCMarket(game, strategy="random-improving", start="random", n_users=50, rng=first.seed)
    again.run_to_equilibrium()
    assert again.seed == first.seed
    assert first.history().equals(again.history())
    assert TTCMarket(game, rng=None).seed != TTCMarket(game, rng=None).seed  # fresh entropy
    assert TTCMarket(game).seed == 42  # the default seed, as in every game


def test_different_seeds_give_different_random_improving_histories():
    game = get_game("gsm8k-best-of-n", 1000.0)
    runs = [
        TTCMarket(game, strategy="random-improving", start="random", rng=seed)
        .run_to_equilibrium()
        .history()
        for seed in (1, 2)
    ]
    levels = [f"level[{p}]" for p in game.providers]
    assert not runs[0][levels].equals(runs[1][levels])


def test_users_have_their_own_stream_separate_from_the_schedule():
    seed = 7
    schedule, users, start, population = child_seeds(seed)
    assert population_seed(seed).spawn_key == population.spawn_key == (3,)
    model = TTCMarket(intro_game(beta=3.0), rng=seed)
    assert np.array_equal(model.user_rng.random(4), np.random.default_rng(users).random(4))
    drawn = [np.random.default_rng(c).random(4) for c in (schedule, users, start, population)]
    assert len({tuple(d) for d in drawn}) == 4  # four independent streams
    # the first three children are unchanged from the three-stream layout (runs still repeat)
    old = np.random.SeedSequence(seed).spawn(3)
    assert [c.spawn_key for c in old] == [schedule.spawn_key, users.spawn_key, start.spawn_key]


def test_history_has_a_price_per_provider():
    # Appendix A at perfect rationality: P1 at high TTC posts 1.25 x 1.0, P2 at low 1.25 x 0.5
    model = TTCMarket(intro_game(), rng=0).run_to_equilibrium()
    history = model.history()
    assert history["price[P1]"].iloc[-1] == pytest.approx(1.25)
    assert history["price[P2]"].iloc[-1] == pytest.approx(0.625)
    assert history["price[P1]"].iloc[0] == pytest.approx(0.3125)  # both start at low TTC
    assert history["price"].iloc[-1] == pytest.approx(1.25)  # share-weighted: P1 serves all
    assert "price[Provider 2]" in model.datacollector.model_vars
    auction = TTCMarket(intro_game(), mechanism="second-price-auction", rng=0)
    auction.run_to_equilibrium()
    # truthful bids: both at low TTC (W = 1.15 and 0.5), priced at cost 0.25 and 0.5
    assert auction.state.prices == pytest.approx((0.25, 0.5))
