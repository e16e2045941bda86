"""The TTC game G and the auction G~ (mechanisms/ttc/): known answers worked by hand, and
the paper's properties on random games (Theorem 1: improving moves raise the potential;
Theorem 5: no deviation beats the truthful bid; Eq. 10: the user gets the runner-up's value)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import key_property
from ttc_games import has_value_ties

from market.core.errors import UserInputError
from market.ttc.scenarios import intro_example
from mechanisms.ttc import (
    MECHANISMS,
    PERFECT,
    Bid,
    PayForCompute,
    PayForComputeParams,
    SecondPriceAuction,
    TTCGame,
    abstention_share,
    auction_max_welfare,
    auction_price_of_anarchy,
    auction_utility,
    deviation_utilities,
    improving_levels,
    market_outcome,
    market_shares,
    potential,
    provider_utilities,
    run_auction,
    truthful_bid,
    truthful_bids,
    validate_beta,
    welfare,
)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Theorem 1's and the auction's defining claims: 200 examples in the CI profile.
KEY_PROPERTY = key_property(100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- random games (the paper's assumptions: positive profit, increasing in compute) ------------


@st.composite
def games(draw, max_providers=4, max_levels=4, betas=(PERFECT, 0.5, 5.0, 50.0, 500.0), v0=None):
    n = draw(st.integers(2, max_providers))
    levels = draw(st.integers(1, max_levels))
    size = n * levels
    unit = st.floats(0.0, 1.0, allow_nan=False)
    step = st.floats(0.01, 0.5, allow_nan=False)
    quality = np.array(draw(st.lists(unit, min_size=size, max_size=size))).reshape(n, levels)
    cost = 0.5 * np.array(draw(st.lists(unit, min_size=size, max_size=size))).reshape(n, levels)
    steps = np.array(draw(st.lists(step, min_size=size, max_size=size))).reshape(n, levels)
    return TTCGame(
        providers=tuple(f"P{i}" for i in range(n)),
        levels=tuple(float(2**k) for k in range(levels)),
        quality=quality,
        cost=cost,
        price=cost + np.cumsum(steps, axis=1),
        v0=draw(st.sampled_from((0.0, 0.2, -0.3))) if v0 is None else v0,
        beta=draw(st.sampled_from(betas)),
    )


# --- market shares (Table 1) --------------------------------------------------------------------


def test_logit_shares_known_answer():
    # beta = 1, V = (ln 3, 0), V_0 = 0: weights e^{ln 3} = 3, e^0 = 1, e^0 = 1, total 5,
    # so s = (3/5, 1/5) and s_0 = 1/5.
    values = np.array([math.log(3.0), 0.0])
    assert np.allclose(market_shares(values, 0.0, 1.0), [0.6, 0.2], rtol=1e-14)
    assert math.isclose(float(abstention_share(values, 0.0, 1.0)), 0.2, rel_tol=1e-14)


def test_logit_shares_stable_for_beta_1e6_and_values_1e_3():
    # beta = 1e6, V = (1.000e-3, 1.001e-3), V_0 = 0: beta V = (1000, 1001), beta V_0 = 0.
    # Relative to the top: weights e^{-1}, 1, e^{-1001} (= 0 in floats), so
    # s = (e^{-1} / (1 + e^{-1}), 1 / (1 + e^{-1})) = (0.268941..., 0.731058...).
    shares = market_shares(np.array([1.000e-3, 1.001e-3]), 0.0, 1e6)
    e = math.exp(-1.0)
    assert np.all(np.isfinite(shares))
    assert np.allclose(shares, [e / (1 + e), 1 / (1 + e)], rtol=1e-9)


def test_logit_keeps_the_winner_when_gaps_are_huge():
    # beta = 1e6 and gaps of 1e-2: e^{-1e4} underflows for the losers, the winner keeps 1.
    shares = market_shares(np.array([[0.01, 0.02, 0.0]]), -0.5, 1e6)
    assert shares.shape == (1, 3)
    assert shares[0, 1] == 1.0 and shares[0, 0] == 0.0


def test_perfect_shares_winner_takes_all_and_abstention():
    assert np.array_equal(market_shares(np.array([0.3, 0.5, 0.1]), 0.0, PERFECT), [0, 1, 0])
    # everybody below V_0 = 1: nobody is served, everyone abstains
    assert np.array_equal(market_shares(np.array([0.3, 0.5]), 1.0, PERFECT), [0, 0])
    assert float(abstention_share(np.array([0.3, 0.5]), 1.0, PERFECT)) == 1.0
    # a two-way tie at the top splits equally (the beta -> inf limit of the logit)
    assert np.array_equal(market_shares(np.array([0.5, 0.5, 0.1]), 0.0, PERFECT), [0.5, 0.5, 0])


@pytest.mark.parametrize("beta", [0.0, -1.0, math.nan, "fast"])
def test_bad_beta_is_a_user_error(beta):
    # beta is validated once, where it enters the domain (validate_beta, called by TTCGame);
    # the share functions trust the game's
    with pytest.raises(UserInputError) as error:
        validate_beta(beta)
    assert error.value.field == "beta"
    with pytest.raises(UserInputError) as error:
        intro_example().with_beta(beta)
    assert error.value.field == "beta"


@SETTINGS
@given(
    values=st.lists(st.floats(-1e-2, 1e-2, allow_nan=False), min_size=2, max_size=6),
    beta=st.floats(1e-3, 1e6),
    v0=st.floats(-1e-2, 1e-2, allow_nan=False),
)
def test_logit_shares_are_a_distribution_and_monotone(values, beta, v0):
    values = np.array(values)
    shares = market_shares(values, v0, beta)
    s0 = float(abstention_share(values, v0, beta))
    assert np.all(np.isfinite(shares)) and np.all(shares >= 0)
    assert math.isclose(shares.sum() + s0, 1.0, rel_tol=1e-12)
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(shares[order]) >= -1e-15)  # a higher value never gets a lower share
    assert shares.max() >= 1.0 / (len(values) + 1) - 1e-12 or s0 >= 1.0 / (len(values) + 1) - 1e-12


# --- the intro example, by hand (Section 1, Appendix A) -----------------------------------------
# q = 0.02 x accuracy points: q_1 = (1.4, 1.8), q_2 = (1.0, 1.9);
# c_1 = (0.25, 1), c_2 = (0.5, 10); p = 1.25 c: p_1 = (0.3125, 1.25), p_2 = (0.625, 12.5).
# V = q - p: V_1 = (1.0875, 0.55), V_2 = (0.375, -10.6)            (Eq. 15)
# W_i = q - c: W_1 = (1.15, 0.8), W_2 = (0.5, -8.1)                (Eq. 16)
# profit = p - c = 0.25 c: profit_1 = (0.0625, 0.25), profit_2 = (0.125, 2.5)  (Eq. 17)


def test_intro_values_contributions_and_profits():
    game = intro_example()
    assert np.allclose(game.value, [[1.0875, 0.55], [0.375, -10.6]], rtol=1e-13)
    assert np.allclose(game.contribution, [[1.15, 0.8], [0.5, -8.1]], rtol=1e-13)
    assert np.allclose(game.profit, [[0.0625, 0.25], [0.125, 2.5]], rtol=1e-13)
    assert game.profit_violations() == []


@pytest.mark.parametrize("theta2", [0, 1])
def test_intro_perfect_market_outcomes(theta2):
    # V_1 >= 0.55 > 0.375 >= V_2: provider 1 serves everything whatever theta_2 is.
    game = intro_example()
    low = market_outcome(game, (0, theta2))
    high = market_outcome(game, (1, theta2))
    assert np.array_equal(low.shares, [1.0, 0.0]) and low.abstention == 0.0
    assert math.isclose(low.welfare, 1.15) and math.isclose(high.welfare, 0.8)  # Eq. 16
    assert math.isclose(low.provider_utility[0], 0.0625)  # 0.25 x $0.25, Eq. 17
    assert math.isclose(high.provider_utility[0], 0.25)  # 0.25 x $1, Eq. 17
    assert math.isclose(low.user_value, 1.0875) and math.isclose(high.user_value, 0.55)
    assert math.isclose(low.price, 0.3125) and math.isclose(high.price, 1.25)
    # welfare = user value + provider utility (prices cancel, Eq. 5)
    assert math.isclose(high.welfare, high.user_value + high.provider_utility.sum())


def test_intro_provider_one_prefers_high_compute():
    game = intro_example()
    assert np.allclose(deviation_utilities(game, (0, 0), 0), [0.0625, 0.25])
    assert improving_levels(game, (0, 0), 0).tolist() == [1]
    assert improving_levels(game, (1, 0), 0).tolist() == []
    assert improving_levels(game, (1, 0), 1).tolist() == []  # provider 2 earns 0 anyway


def test_intro_logit_outcome_by_hand():
    # beta = 1, V_0 = 0, profile (low, low): V = (1.0875, 0.375).
    # s_i = e^{V_i} / (1 + e^{1.0875} + e^{0.375}); W = s_1 1.15 + s_2 0.5 + s_0 0.
    game = intro_example(beta=1.0)
    e1, e2 = math.exp(1.0875), math.exp(0.375)
    total = 1 + e1 + e2
    outcome = market_outcome(game, (0, 0))
    assert np.allclose(outcome.shares, [e1 / total, e2 / total], rtol=1e-13)
    assert math.isclose(outcome.abstention, 1 / total, rel_tol=1e-13)
    assert math.isclose(outcome.welfare, (1.15 * e1 + 0.5 * e2) / total, rel_tol=1e-13)
    assert math.isclose(outcome.user_value, (1.0875 * e1 + 0.375 * e2) / total, rel_tol=1e-13)
    assert math.isclose(outcome.price, (0.3125 * e1 + 0.625 * e2) / total, rel_tol=1e-13)
    # Eq. 7 (bounded): log 0.0625 + log 0.125 + (1.0875 + 0.375) - log(1 + e^1.0875 + e^0.375)
    phi = math.log(0.0625) + math.log(0.125) + 1.0875 + 0.375 - math.log(total)
    assert math.isclose(outcome.potential, phi, rel_tol=1e-13)


def test_intro_auction_by_hand():
    # Truthful bids (Theorem 5): provider 1 at argmax W_1 = low (1.15), price c = 0.25, so its
    # bid value is 1.4 - 0.25 = 1.15; provider 2 at argmax W_2 = low (0.5), price 0.5, value
    # 1.0 - 0.5 = 0.5. Provider 1 wins, provider 2 is runner-up.
    # Payment (Eq. 10): q_1(low) - V_2 = 1.4 - 0.5 = 0.9; user value 1.4 - 0.9 = 0.5;
    # winner utility 0.9 - 0.25 = 0.65; welfare W_1(low) = 1.15; PoA 1.15 / 1.15 = 1.
    game = intro_example()
    assert truthful_bid(game, 0) == Bid(level=0, price=0.25)
    assert truthful_bid(game, 1) == Bid(level=0, price=0.5)
    outcome = run_auction(game, truthful_bids(game))
    assert (outcome.winner, outcome.runner_up) == (0, 1)
    assert math.isclose(outcome.payment, 0.9)
    assert math.isclose(outcome.user_value, 0.5)
    assert math.isclose(outcome.winner_utility, 0.65)
    assert math.isclose(outcome.welfare, 1.15)
    assert np.allclose(outcome.utilities, [0.65, 0.0])
    assert np.allclose(outcome.bid_values, [1.15, 0.5])
    assert math.isclose(auction_price_of_anarchy(game, outcome), 1.0)


def test_intro_auction_shading_and_overbidding():
    # Provider 1 bids high compute at its cost (value 1.8 - 1 = 0.8): still wins against 0.5,
    # but pays 1.8 - 0.5 = 1.3 and earns 1.3 - 1 = 0.3 < 0.65; welfare falls to 0.8.
    game = intro_example()
    outcome = run_auction(game, [Bid(1, 1.0), truthful_bid(game, 1)])
    assert outcome.winner == 0 and math.isclose(outcome.winner_utility, 0.3)
    assert math.isclose(outcome.welfare, 0.8)
    # Overbidding the price to 1.0 at low compute (value 0.4 < 0.5) loses the auction: utility 0.
    outcome = run_auction(game, [Bid(0, 1.0), truthful_bid(game, 1)])
    assert outcome.winner == 1 and outcome.utilities[0] == 0.0
    # Provider 2 now wins and is paid q_2 - V_1 = 1.0 - 0.4 = 0.6: utility 0.6 - 0.5 = 0.1.
    assert math.isclose(outcome.winner_utility, 0.1)


# --- Theorem 1: improving moves raise the potential ----------------------------------------------


# Rejects examples with assume(); needs 100 valid examples (max_examples counts only valid
# ones; --hypothesis-show-statistics: 100 passing, ~8 invalid).
@KEY_PROPERTY
@given(game=games(), data=st.data())
def test_every_improving_move_raises_the_potential(game, data):
    if game.is_perfect:
        assume(not has_value_ties(game))  # Theorem 1's perfect-rationality case assumes no ties
    profile = np.array(
        data.draw(
            st.lists(
                st.integers(0, game.n_levels - 1),
                min_size=game.n_providers,
                max_size=game.n_providers,
            )
        )
    )
    before = float(potential(game, profile))
    for i in range(game.n_providers):
        for level in improving_levels(game, profile, i):
            moved = profile.copy()
            moved[i] = level
            assert float(potential(game, moved)) > before


# Rejects examples with assume(); needs 100 valid examples (max_examples counts only valid
# ones; --hypothesis-show-statistics: 100 passing, ~3 invalid).
@SETTINGS
@given(game=games(betas=(0.5, 5.0, 50.0)), data=st.data())
def test_bounded_potential_difference_equals_log_utility_difference(game, data):
    # Eq. 26-31: Phi(theta'_i, theta_-i) - Phi(theta) = log U_i' - log U_i exactly.
    profile = np.array(
        data.draw(
            st.lists(
                st.integers(0, game.n_levels - 1),
                min_size=game.n_providers,
                max_size=game.n_providers,
            )
        )
    )
    i = data.draw(st.integers(0, game.n_providers - 1))
    utilities = deviation_utilities(game, profile, i)
    assume(np.all(utilities > 1e-250))
    moved = np.repeat(profile[None, :], game.n_levels, axis=0)
    moved[:, i] = np.arange(game.n_levels)
    phi = potential(game, moved)
    assert np.allclose(
        phi - phi[profile[i]], np.log(utilities) - np.log(utilities[profile[i]]), atol=1e-9
    )


def test_vectorised_functions_agree_with_the_outcome():
    game = intro_example(beta=3.0)
    profiles = np.array(list(itertools.product(range(2), repeat=2)))
    u = provider_utilities(game, profiles)
    w = welfare(game, profiles)
    for k, profile in enumerate(profiles):
        outcome = market_outcome(game, profile)
        assert np.allclose(u[k], outcome.provider_utility, rtol=1e-14)
        assert math.isclose(w[k], outcome.welfare, rel_tol=1e-14)


# --- Theorem 5 and Eq. 10: the auction -----------------------------------------------------------


@st.composite
def auction_cases(draw):
    game = draw(games(betas=(PERFECT,)))
    n, levels = game.n_providers, game.n_levels
    i = draw(st.integers(0, n - 1))
    price = st.floats(0.0, 3.0, allow_nan=False)
    others = [Bid(draw(st.integers(0, levels - 1)), draw(price)) for _ in range(n)]
    deviation = Bid(draw(st.integers(0, levels - 1)), draw(price))
    return game, i, others, deviation


@KEY_PROPERTY
@given(case=auction_cases(), factor=st.floats(0.0, 3.0, allow_nan=False))
def test_no_deviation_in_level_or_price_beats_the_truthful_bid(case, factor):
    game, i, bids, deviation = case
    truthful = list(bids)
    truthful[i] = truthful_bid(game, i)
    best = auction_utility(game, truthful, i)
    candidates = [deviation]
    candidates += [Bid(level, float(game.cost[i, level])) for level in range(game.n_levels)]
    candidates += [
        Bid(level, factor * float(game.cost[i, level])) for level in range(game.n_levels)
    ]
    for bid in candidates:
        deviated = list(bids)
        deviated[i] = bid
        assert auction_utility(game, deviated, i) <= best + 1e-12


@SETTINGS
@given(case=auction_cases())
def test_user_gets_the_runner_up_value_and_payment_is_eq_10(case):
    game, _, bids, _ = case
    outcome = run_auction(game, bids)
    values = outcome.bid_values
    assert values[outcome.winner] == values.max()
    assert values[outcome.runner_up] == np.sort(values)[-2]
    quality = game.quality[outcome.winner, bids[outcome.winner].level]
    assert math.isclose(outcome.payment, quality - values[outcome.runner_up], abs_tol=1e-15)
    assert math.isclose(outcome.user_value, values[outcome.runner_up], abs_tol=1e-12)
    # welfare = user value + winner utility = W_winner (Section 4)
    assert math.isclose(outcome.welfare, outcome.user_value + outcome.winner_utility, abs_tol=1e-12)
    assert np.count_nonzero(outcome.utilities[np.arange(game.n_providers) != outcome.winner]) == 0


# Rejects examples with assume(); needs 100 valid examples (max_examples counts only valid
# ones; --hypothesis-show-statistics: 100 passing, ~29 invalid).
@SETTINGS
@given(game=games(betas=(PERFECT,)))
def test_truthful_auction_is_efficient_and_pays_the_winner(game):
    best = np.sort(game.contribution.max(axis=1))
    assume(best[-1] - best[-2] > 1e-9)  # no tie between the two best contributions
    outcome = run_auction(game, truthful_bids(game))
    assert outcome.winner_utility > 0  # the payment exceeds the winner's cost
    assert outcome.payment > truthful_bid(game, outcome.winner).price
    assert math.isclose(outcome.welfare, auction_max_welfare(game))  # Eq. 13
    assert math.isclose(auction_price_of_anarchy(game, outcome), 1.0) or outcome.welfare <= 0
    # the user receives the runner-up's best contribution
    assert math.isclose(outcome.user_value, best[-2], abs_tol=1e-12)


# --- construction and registry ------------------------------------------------------------------


def test_game_validation_errors():
    ok = dict(
        providers=("a", "b"),
        levels=(1.0, 2.0),
        quality=[[1, 2], [1, 2]],
        cost=[[0.1, 0.2], [0.1, 0.2]],
        price=[[0.2, 0.4], [0.2, 0.4]],
    )
    TTCGame(**ok)
    cases = {
        "providers": dict(
            providers=("a",), quality=[[1, 2]], cost=[[0.1, 0.2]], price=[[0.2, 0.4]]
        ),
        "levels": dict(levels=(2.0, 1.0)),
        "quality": dict(quality=[[1, math.nan], [1, 2]]),
        "cost": dict(cost=[[-0.1, 0.2], [0.1, 0.2]]),
        "price": dict(price=[[0.1, 0.4], [0.2, 0.4]]),  # price = cost: no profit
        "beta": dict(beta=0.0),
    }
    for field, change in cases.items():
        with pytest.raises(UserInputError) as error:
            TTCGame(**{**ok, **change})
        assert error.value.field == field


def test_game_is_immutable_and_with_beta_copies():
    game = intro_example()
    with pytest.raises(ValueError):
        game.quality[0, 0] = 5.0
    assert game.with_beta(2.0).beta == 2.0 and game.beta == PERFECT
    assert game.level_label(1) == "high"


def test_bad_profile_is_a_user_error():
    game = intro_example()
    with pytest.raises(UserInputError):
        market_outcome(game, (0, 2))
    with pytest.raises(UserInputError):
        market_outcome(game, (0,))


def test_mechanism_registry():
    assert {"pay-for-compute", "second-price-auction"} <= set(MECHANISMS.names())
    assert MECHANISMS.get("pay-for-compute") is PayForCompute
    efficient = MECHANISMS.filter(lambda c: c["efficient"])
    assert SecondPriceAuction in efficient and PayForCompute not in efficient
    for mechanism in MECHANISMS:
        assert "Velasco" in mechanism.__doc__ and mechanism.phases
        mechanism(mechanism.Params())
    with pytest.raises(UserInputError):
        MECHANISMS.get("first-price")
    with pytest.raises(UserInputError):
        PayForComputeParams(rtol=-1.0)
    game = intro_example()
    market = PayForCompute()
    offers = [market.offer(game, i, level) for i, level in enumerate((1, 0))]
    assert market.settle(game, offers).welfare == pytest.approx(0.8)
    auction = SecondPriceAuction()
    assert auction.allocate(game, truthful_bids(game)) == (0, 1)
    assert auction.settle(game, truthful_bids(game)).price == pytest.approx(0.9)


def test_game_pickles_with_its_derived_curves():
    import pickle

    game = intro_example(beta=2.0)
    float(potential(game, (0, 0)))
    copy = pickle.loads(pickle.dumps(game))
    assert np.array_equal(copy.value, game.value) and copy.beta == 2.0
    assert float(potential(copy, (1, 0))) == float(potential(game, (1, 0)))
