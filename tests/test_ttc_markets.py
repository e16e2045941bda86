"""The TTC mechanisms as objects (mechanisms/ttc/markets.py, settlement.py): settlements worked
by hand (with and without simulated users), the tolerance the market really uses, the
potential's constant, and the registry's contract."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.ttc import UserPopulation
from market.core.errors import UserInputError
from market.ttc.model import TTCMarket
from market.ttc.scenarios import intro_example
from mechanisms.ttc import (
    MECHANISMS,
    PERFECT,
    Bid,
    PayForCompute,
    PayForComputeParams,
    SecondPriceAuction,
    TTCGame,
    TTCMechanism,
    improving_levels,
    make_mechanism,
    perfect_potential_constant,
    potential,
    truthful_bids,
)

# The intro example (Appendix A), by hand: q_1 = (1.4, 1.8), q_2 = (1.0, 1.9);
# c_1 = (0.25, 1), c_2 = (0.5, 10); p = 1.25 c: p_1 = (0.3125, 1.25), p_2 = (0.625, 12.5);
# V = q - p: V_1 = (1.0875, 0.55), V_2 = (0.375, -10.6); profit p - c: (0.0625, 0.25),
# (0.125, 2.5).


def offers(game: TTCGame, profile) -> list[Bid]:
    market = PayForCompute()
    return [market.offer(game, i, level) for i, level in enumerate(profile)]


# ---- simulated users: welfare, user value and price by hand -----------------------------------


def test_identical_perfectly_rational_users_buy_the_top_offer():
    # At (high, low) the offers are worth V_1(high) = 0.55 and V_2(low) = 0.375 > V_0 = 0:
    # every perfectly rational user buys from provider 1. User value 0.55, price 1.25,
    # provider 1 earns 1.25 - 1 = 0.25 per query, provider 2 nothing; welfare is what users
    # get plus what providers earn: 0.55 + 0.25 = 0.8 (= W_1(high), Eq. 16).
    game = intro_example()
    users = UserPopulation.identical(40, PERFECT)
    settled = PayForCompute().settle(game, offers(game, (1, 0)), users, np.random.default_rng(0))
    assert settled.shares.tolist() == [1.0, 0.0] and settled.abstention == 0.0
    assert settled.user_value == pytest.approx(0.55, rel=1e-15)
    assert settled.price == pytest.approx(1.25, rel=1e-15)
    assert settled.provider_utility.tolist() == pytest.approx([0.25, 0.0], rel=1e-15)
    assert settled.welfare == pytest.approx(0.8, rel=1e-15)
    assert math.isnan(settled.potential)
    # the model records the same round
    model = TTCMarket(game, users=users, start=(1, 0), rng=0)
    assert model.state.user_value == pytest.approx(0.55, rel=1e-15)
    assert model.state.price == pytest.approx(1.25, rel=1e-15)
    assert model.state.welfare == pytest.approx(0.8, rel=1e-15)
    assert model.state.provider_utility == pytest.approx((0.25, 0.0), rel=1e-15)


def test_heterogeneous_users_welfare_is_their_value_plus_provider_profit():
    # Half the users value an accuracy point twice as much (w = 2): at (high, low) they value
    # provider 1 at 2 x 1.8 - 1.25 = 2.35 and provider 2 at 2 x 1.0 - 0.625 = 1.375, so they
    # buy from provider 1 too. User value (0.55 + 2.35) / 2 = 1.45, price 1.25, provider 1
    # earns 0.25: welfare 1.45 + 0.25 = 1.7, not Eq. 5's representative 0.8.
    game = intro_example()
    users = UserPopulation(np.array([1.0, 2.0] * 10), np.full(20, PERFECT))
    settled = PayForCompute().settle(game, offers(game, (1, 0)), users, np.random.default_rng(0))
    assert settled.shares.tolist() == [1.0, 0.0]
    assert settled.user_value == pytest.approx(1.45, rel=1e-14)
    assert settled.price == pytest.approx(1.25, rel=1e-15)
    assert settled.welfare == pytest.approx(1.7, rel=1e-14)


def test_simulated_users_abstain_below_v0():
    # V_0 = 1 beats 0.55 and 0.375: everybody abstains. User value V_0 = 1, nobody pays,
    # providers earn nothing, welfare 1.
    game = intro_example(v0=1.0)
    users = UserPopulation.identical(10, PERFECT, v0=1.0)
    settled = PayForCompute().settle(game, offers(game, (1, 0)), users, np.random.default_rng(0))
    assert settled.shares.tolist() == [0.0, 0.0] and settled.abstention == 1.0
    assert settled.user_value == 1.0 and settled.price == 0.0
    assert settled.provider_utility.tolist() == [0.0, 0.0]
    assert settled.welfare == 1.0


def test_share_function_settlement_by_hand():
    # Without users (Table 1, perfect rationality) at (high, low): the same numbers as the
    # identical users, with Eq. 5 and the potential C V_(2) + log(p_(1) - c_(1)).
    game = intro_example()
    settled = PayForCompute().settle(game, offers(game, (1, 0)))
    assert settled.shares.tolist() == [1.0, 0.0]
    assert (settled.user_value, settled.price, settled.welfare) == pytest.approx((0.55, 1.25, 0.8))
    constant = (math.log(40.0) + 1.0) / 0.175  # see test_perfect_potential_constant_by_hand
    assert settled.potential == pytest.approx(constant * 0.375 + math.log(0.25), rel=1e-13)


def test_auction_settlement_by_hand():
    # Truthful bids: values 1.15 and 0.5; provider 1 wins, pays nothing, the user pays
    # 1.4 - 0.5 = 0.9 and gets 0.5; provider 1 earns 0.65; welfare 1.15 (Eq. 10-11).
    game = intro_example()
    auction = SecondPriceAuction()
    settled = auction.settle(game, truthful_bids(game))
    assert settled.shares.tolist() == [1.0, 0.0]
    assert (settled.user_value, settled.price, settled.welfare) == pytest.approx((0.5, 0.9, 1.15))
    assert settled.provider_utility.tolist() == pytest.approx([0.65, 0.0])
    assert auction.best_welfare(game) == pytest.approx(1.15)  # Eq. 13
    assert auction.is_equilibrium(game, truthful_bids(game))
    high = [Bid(1, 1.0), truthful_bids(game)[1]]  # provider 1 bids high compute at cost
    assert auction.improving(game, high, 0) == (truthful_bids(game)[0],)
    assert not auction.is_equilibrium(game, high)


# ---- the market's tolerance is the one it uses --------------------------------------------------


def tolerance_game() -> TTCGame:
    """P1 serves everyone at both of its levels (values 1.0 > 0.5 > V_0); its profit goes from
    1.0 to 1.5, a relative gain of exactly 0.5. P2 has one level, shared by both."""
    cost = np.array([[1.0, 1.0], [1.0, 1.0]])
    price = cost + np.array([[1.0, 1.5], [1.0, 1.0]])
    value = np.array([[1.0, 1.0], [0.5, 0.5]])
    return TTCGame(("P1", "P2"), (1.0, 2.0), value + price, cost, price)


@pytest.mark.parametrize(("rtol", "improving"), [(0.4, (1,)), (0.6, ())])
def test_pay_for_compute_rtol_decides_what_improves(rtol, improving):
    game = tolerance_game()
    market = PayForCompute(PayForComputeParams(rtol=rtol))
    assert market.improving(game, offers(game, (0, 0)), 0) == improving
    assert market.observe(game, offers(game, (0, 0)), 0).improving == improving
    assert tuple(improving_levels(game, (0, 0), 0, rtol)) == improving
    model = TTCMarket(game, rtol=rtol, rng=0).run_to_equilibrium()
    assert model.mechanism.params.rtol == rtol
    assert model.equilibrium_reached and model.profile == ((1,) if improving else (0,)) + (0,)


def test_model_settles_through_the_mechanism_object_it_is_given():
    game = tolerance_game()
    mechanism = PayForCompute(PayForComputeParams(rtol=0.6))
    model = TTCMarket(game, mechanism=mechanism, rng=0).run_to_equilibrium()
    assert model.mechanism is mechanism and model.profile == (0, 0)
    assert make_mechanism("pay-for-compute", rtol=0.25).params.rtol == 0.25
    assert make_mechanism("second-price-auction", rtol=0.25).params == (
        SecondPriceAuction.Params()
    )  # the auction has no tolerance


# ---- the perfect-rationality potential's constant (Eq. 7) ---------------------------------------


def test_perfect_potential_constant_by_hand():
    # C = (log P_max - log P_min + 1) / delta_min. Intro example: profits 0.0625 ... 2.5, so
    # log P_max - log P_min = log 40; the closest values of different providers (or V_0) are
    # V_1(high) = 0.55 and V_2(low) = 0.375: delta_min = 0.175.
    assert perfect_potential_constant(intro_example()) == pytest.approx(
        (math.log(40.0) + 1.0) / 0.175, rel=1e-13
    )
    # V_0 counts as an option, gaps within one provider do not: A offers 0.3 and 0.31 (gap
    # 0.01, ignored), B 1.0 and 1.2, V_0 = 0.25, so delta_min = 0.3 - 0.25 = 0.05; profits
    # 0.1 ... 0.4: C = (log 4 + 1) / 0.05.
    cost = np.full((2, 2), 0.1)
    price = cost + np.array([[0.1, 0.15], [0.2, 0.4]])
    value = np.array([[0.3, 0.31], [1.0, 1.2]])
    game = TTCGame(("A", "B"), (1.0, 2.0), value + price, cost, price, v0=0.25)
    assert perfect_potential_constant(game) == pytest.approx((math.log(4.0) + 1.0) / 0.05, 1e-12)
    # Phi at (A low, B high): B on top, the second best option is A's 0.3: C 0.3 + log 0.4
    phi = float(potential(game, (0, 1)))
    assert phi == pytest.approx((math.log(4.0) + 1.0) / 0.05 * 0.3 + math.log(0.4), rel=1e-12)


# ---- the registry's contract ---------------------------------------------------------------------


@pytest.mark.parametrize("cls", list(MECHANISMS), ids=lambda c: c.name)
def test_every_mechanism_is_a_peer_with_real_phases(cls):
    assert issubclass(cls, TTCMechanism) and MECHANISMS.get(cls.name) is cls
    assert cls.classifier["action"] in ("level", "bid")
    for phase in cls.phases:
        assert callable(getattr(cls, phase, None)), (cls.name, phase)
    assert "References" in cls.__doc__
    mechanism = cls()
    assert isinstance(mechanism.params, cls.Params)
    with pytest.raises(UserInputError, match="params"):
        cls(params="not parameters")


def test_the_auction_refuses_simulated_users():
    game = intro_example()
    with pytest.raises(UserInputError, match="users"):
        SecondPriceAuction().settle(game, truthful_bids(game), UserPopulation.identical(3, PERFECT))


def test_a_level_outside_the_game_is_a_user_error():
    with pytest.raises(UserInputError, match="level"):
        PayForCompute().offer(intro_example(), 0, 2)
    with pytest.raises(UserInputError, match="bid"):
        SecondPriceAuction().offer(intro_example(), 0, 1)
