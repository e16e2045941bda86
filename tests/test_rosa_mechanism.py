"""ROSA's rules by hand and by property: Thm. 2's auction, the resampling, payments, learners."""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_profiles import key_property

from agents.rosa.strategies import STRATEGIES, BidderView, BiddingStrategy, parse_strategies
from agents.rosa.strategies import strategy as make_strategy
from market.core.errors import UserInputError
from mechanisms.rosa.auction import CostDistribution, optimal_reverse_auction
from mechanisms.rosa.learners import (
    LEARNERS,
    Elimination,
    LearnerParams,
    RidgeEstimates,
    RoundView,
)
from mechanisms.rosa.resampling import (
    MECHANISMS,
    Mechanism,
    ResamplingCoins,
    ResamplingParams,
    default_mu,
    myerson_expected_payment,
    resample_by_redraws,
    resampled_bids,
    rosa_payment_rates,
)

UNIFORM = CostDistribution(0.0, 0.5, 1.0)


# ---- Thm. 2: the known-quality optimal reverse auction --------------------------------------


def test_equal_qualities_give_the_second_lowest_price_by_hand():
    # phi(c) = 2c; surpluses 0.8-0.6, 0.8-0.2, 0.8-0.4: P2 wins, paid phi^-1(0.8-0.4) = 0.2
    outcome = optimal_reverse_auction([0.8, 0.8, 0.8], [0.3, 0.1, 0.2], UNIFORM)
    assert outcome.winner == 1
    assert outcome.payment == pytest.approx(0.2)
    assert outcome.virtual_surplus == pytest.approx(0.6)


def test_unequal_qualities_by_hand():
    # surpluses 1.0-0.6 = 0.4 and 0.5-0.2 = 0.3: P1 wins at phi^-1(1.0-0.3) = 0.35
    outcome = optimal_reverse_auction([1.0, 0.5], [0.3, 0.1], UNIFORM)
    assert outcome.winner == 0 and outcome.payment == pytest.approx(0.35)
    # power-law costs on [0.1, 0.5], k = 2: phi(c) = 1.5c - 0.05, phi^-1(z) = (2z + 0.1)/3
    power = CostDistribution(0.1, 0.5, 2.0)
    outcome = optimal_reverse_auction([0.6, 0.6], [0.2, 0.3], power)
    assert outcome.winner == 0 and outcome.payment == pytest.approx(0.3)
    # threshold above the support is capped at c_hi; a lone provider is paid c_hi
    assert optimal_reverse_auction([0.9], [0.2], UNIFORM).payment == pytest.approx(0.5)


def test_reserve_excludes_negative_surpluses():
    outcome = optimal_reverse_auction([0.1, 0.2], [0.3, 0.4], UNIFORM, reserve=True)
    assert outcome.winner == -1 and outcome.payment == 0.0
    outcome = optimal_reverse_auction([0.9, 0.2], [0.3, 0.4], UNIFORM, reserve=True)
    assert outcome.winner == 0 and outcome.payment == pytest.approx(0.45)  # phi^-1(0.9 - 0)


costs_strategy = st.builds(
    CostDistribution,
    lo=st.floats(0.0, 0.3),
    hi=st.floats(0.4, 1.0),
    shape=st.floats(0.3, 4.0),
)


@settings(max_examples=80, deadline=None)
@given(
    distribution=costs_strategy,
    value=st.floats(0.1, 2.0),
    shares=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6),
)
def test_equal_qualities_pay_the_second_lowest_bid(distribution, value, shares):
    bids = [distribution.lo + s * (distribution.hi - distribution.lo) for s in shares]
    outcome = optimal_reverse_auction([value] * len(bids), bids, distribution)
    order = np.argsort(bids, kind="stable")
    assert bids[outcome.winner] == pytest.approx(min(bids), abs=1e-12)
    assert outcome.payment == pytest.approx(bids[order[1]], abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(
    distribution=costs_strategy,
    values=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=5),
    data=st.data(),
)
def test_the_payment_is_the_winners_threshold(distribution, values, data):
    span = distribution.hi - distribution.lo
    bids = [distribution.lo + data.draw(st.floats(0.0, 1.0)) * span for _ in values]
    outcome = optimal_reverse_auction(values, bids, distribution)
    winner, payment = int(outcome.winner), float(outcome.payment)
    assert payment >= bids[winner] - 1e-12  # ex-post IR
    for bid in np.linspace(distribution.lo, distribution.hi, 41):
        moved = list(bids)
        moved[winner] = bid
        surplus = np.asarray(values) - distribution.virtual_cost(moved)
        others = np.delete(surplus, winner).max()
        if bid < payment - 1e-9:
            assert surplus[winner] > others - 1e-9  # still wins below the threshold
        elif bid > payment + 1e-9:
            assert surplus[winner] < others + 1e-9  # no longer wins above it


@settings(max_examples=60, deadline=None)
@given(distribution=costs_strategy, share=st.floats(0.01, 0.99))
def test_virtual_cost_is_c_plus_F_over_f(distribution, share):
    c = distribution.lo + share * (distribution.hi - distribution.lo)
    h = 1e-6 * (distribution.hi - distribution.lo)
    density = (distribution.cdf(c + h) - distribution.cdf(c - h)) / (2 * h)
    expected = c + distribution.cdf(c) / density
    assert distribution.virtual_cost(c) == pytest.approx(expected, rel=1e-4)
    assert distribution.inverse_virtual_cost(distribution.virtual_cost(c)) == pytest.approx(c)


def test_uniform_virtual_cost_is_twice_the_cost():
    assert UNIFORM.virtual_cost(0.2) == pytest.approx(0.4)
    with pytest.raises(UserInputError, match="cost_hi"):
        CostDistribution(0.5, 0.5)


# ---- ROSA (Def. 4) --------------------------------------------------------------------------


def test_mu_must_lie_strictly_between_0_and_1():
    for mu in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(UserInputError, match="mu"):
            ResamplingParams(mu, 0.5)
    assert default_mu(100) == 0.1 and default_mu(1) == 0.5


def test_closed_form_matches_the_step_by_step_resampling():
    params = ResamplingParams(0.4, 0.5)
    bid, draws = 0.1, 20_000
    rng = np.random.default_rng(1)
    literal = [resample_by_redraws(bid, params, rng) for _ in range(draws)]
    flags = np.array([f for f, _ in literal])
    moved = np.array([x for f, x in literal if f])
    coins = ResamplingCoins(rng.random(draws) < params.mu, rng.random(draws))
    closed = resampled_bids(np.full(draws, bid), coins, params)[coins.flagged]
    assert abs(flags.mean() - params.mu) < 4 * math.sqrt(0.24 / draws)
    for y in (0.12, 0.2, 0.3, 0.4, 0.48):
        # P(x > y | flagged) = ((c_hi - y) / (c_hi - b))^(1 - mu)
        theory = ((0.5 - y) / 0.4) ** 0.6
        tolerance = 5 * math.sqrt(theory * (1 - theory) / len(moved))
        assert abs((moved > y).mean() - theory) < tolerance
        assert abs((closed > y).mean() - theory) < 5 * math.sqrt(theory / len(closed))


@key_property(60, deadline=None)
@given(
    mu=st.floats(0.01, 0.99),
    bids=st.lists(st.floats(0.0, 0.5), min_size=1, max_size=6),
    data=st.data(),
)
def test_payments_never_fall_below_the_bid(mu, bids, data):
    params = ResamplingParams(mu, 0.5)
    flags = np.array([data.draw(st.booleans()) for _ in bids])
    uniform = np.array([data.draw(st.floats(0.0, 0.999)) for _ in bids])
    coins = ResamplingCoins(flags, uniform)
    rates = rosa_payment_rates(bids, coins, params)
    assert np.all(rates >= np.asarray(bids))  # universal ex-post IR
    assert np.all(rates[~flags] == np.asarray(bids)[~flags])
    moved = resampled_bids(bids, coins, params)
    assert np.all(moved >= np.asarray(bids)) and np.all(moved <= 0.5)


def test_payment_rates_and_resampled_bids_on_a_small_instance_by_hand():
    # c_hi = 0.5, mu = 0.25; provider 1 flagged with V = 0.5, provider 2 not flagged.
    # paid b + (c_hi - b) / mu = 0.1 + 0.4 / 0.25 = 1.7 and 0.3 (its bid);
    # moved to c_hi - (c_hi - b) V^(1/(1-mu)) = 0.5 - 0.4 * 0.5^(4/3) = 0.3412599 and 0.3.
    rosa = MECHANISMS.get("rosa")(ResamplingParams(0.25, 0.5))
    coins = ResamplingCoins(np.array([True, False]), np.array([0.5, 0.9]))
    assert rosa.payment_rates([0.1, 0.3], coins) == pytest.approx([1.7, 0.3])
    assert rosa.modified_bids([0.1, 0.3], coins) == pytest.approx([0.3412599, 0.3], abs=1e-7)
    pay_as_bid = MECHANISMS.get("pay-as-bid")(ResamplingParams(0.25, 0.5))
    assert pay_as_bid.payment_rates([0.1, 0.3], coins) == pytest.approx([0.1, 0.3])
    assert pay_as_bid.modified_bids([0.1, 0.3], coins) == pytest.approx([0.1, 0.3])


# A step allocation A(x) = 100 if x < 0.2 else 30 at b = 0.1, mu = 0.3, c_hi = 0.5. By hand:
# given the flag, P(x >= 0.2) = ((0.5 - 0.2) / (0.5 - 0.1))^(1 - mu) = 0.75^0.7 = 0.8176038, so
# E[A(x) | flag] = 100 - 70 * 0.8176038 = 42.767736; the expected payment is
# (1 - mu) b A(b) + mu (b + (c_hi - b) / mu) E[A(x) | flag] = 7 + 0.43 * 42.767736 = 25.390127.
STEP_PAYMENT_BY_HAND = 25.390127
STEP_MU, STEP_BID, STEP_HI = 0.3, 0.1, 0.5


def step_allocation(x):
    return np.where(x < 0.2, 100.0, 30.0)


def expectation_over_rosa_coins(bids, cells: int):
    """E[A(x)] and E[A(x) * rate] per bid, ROSA's code run on every coin (V on a midpoint grid)."""
    rosa = MECHANISMS.get("rosa")(ResamplingParams(STEP_MU, STEP_HI))
    flags = np.concatenate([[False], np.ones(cells, dtype=bool)])
    uniforms = np.concatenate([[0.5], (np.arange(cells) + 0.5) / cells])
    weights = np.concatenate([[1 - STEP_MU], np.full(cells, STEP_MU / cells)])
    shape = (len(bids), cells + 1)
    coins = ResamplingCoins(np.broadcast_to(flags, shape), np.broadcast_to(uniforms, shape))
    bid_matrix = np.broadcast_to(np.asarray(bids, dtype=float)[:, None], shape)
    served = step_allocation(rosa.modified_bids(bid_matrix, coins))
    paid = served * rosa.payment_rates(bid_matrix, coins)
    return (weights * served).sum(axis=1), (weights * paid).sum(axis=1)


def test_expected_rosa_payment_of_a_step_allocation_by_hand():
    _rounds, payment = expectation_over_rosa_coins([STEP_BID], cells=200_000)
    # the midpoint rule misses the jump of A(x) by at most one cell: 70 x 1.43 x 0.3 / 200000
    assert payment[0] == pytest.approx(STEP_PAYMENT_BY_HAND, abs=2e-4)


def test_expected_rosa_payment_is_the_myerson_payment():
    grid = np.linspace(STEP_BID, STEP_HI, 401)
    abar, _payment = expectation_over_rosa_coins(grid, cells=4000)
    myerson = myerson_expected_payment(STEP_BID, grid, abar, STEP_HI)
    # abar is non-increasing, so the trapezoid rule errs by at most h/2 x its fall
    assert np.all(np.diff(abar) <= 1e-9)
    discretisation = (grid[1] - grid[0]) / 2 * (abar[0] - abar[-1])
    assert abs(myerson - STEP_PAYMENT_BY_HAND) <= discretisation + 1e-3


def test_mechanisms_are_registered_with_unique_names():
    names = MECHANISMS.names()
    assert {"rosa", "pay-as-bid"} <= set(names) and len(names) == len(set(names))
    truthful = MECHANISMS.filter(lambda c: c["truthful"])
    assert MECHANISMS.get("rosa") in truthful and MECHANISMS.get("pay-as-bid") not in truthful
    for mechanism in MECHANISMS:
        assert issubclass(mechanism, Mechanism) and "References" in mechanism.__doc__
        assert isinstance(mechanism.classifier["truthful"], bool)


# ---- learners -------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 4), updates=st.integers(1, 30))
def test_rank_one_updates_equal_the_ridge_solution(seed, d, updates):
    rng = np.random.default_rng(seed)
    ridge = RidgeEstimates(rows=1, n=2, d=d, ridge=0.7)
    xs, rewards = rng.random((updates, d)), rng.normal(size=updates)
    for x, r in zip(xs, rewards, strict=True):
        context = x[None]
        means = ridge.means(context)
        spread = ridge.spread(context)
        ridge.update(
            np.array([[0.0, 1.0]]), np.array([r]), means, spread, ridge.quadratic(context, spread)
        )
    gram = 0.7 * np.eye(d) + xs.T @ xs
    np.testing.assert_allclose(ridge.inverse[:, :, 0, 1], np.linalg.inv(gram), atol=1e-9)
    np.testing.assert_allclose(
        ridge.theta[:, 0, 1], np.linalg.solve(gram, xs.T @ rewards), atol=1e-8
    )
    np.testing.assert_array_equal(ridge.theta[:, 0, 0], 0.0)  # the other provider untouched


def round_view(data, n, t):
    means = np.array([[data.draw(st.floats(-1, 1)) for _ in range(n)]])
    widths = np.array([[data.draw(st.floats(0, 1)) for _ in range(n)]])
    bids = np.array([[data.draw(st.floats(0, 1)) for _ in range(n)]])
    priority = np.array([[data.draw(st.floats(0, 1)) for _ in range(n)]])
    return RoundView(t, means, widths, bids, priority)


@key_property(100, deadline=None)
@given(n=st.integers(2, 5), t=st.integers(0, 5000), data=st.data())
def test_elimination_explores_without_reading_bids_and_exploits_monotonically(n, t, data):
    learner = Elimination(LearnerParams(T=5000, n=n))
    view = round_view(data, n, t)
    other = RoundView(
        t,
        view.means,
        view.widths,
        np.array([[data.draw(st.floats(0, 1)) for _ in range(n)]]),
        view.priority,
    )
    first, second = learner.choose(view), learner.choose(other)
    assert np.array_equal(first.learn, second.learn)  # exploration ignores the bids
    if first.learn[0]:
        assert first.provider[0] == second.provider[0]
    else:  # exploiting: the winner still wins after lowering its own virtual bid
        winner = int(first.provider[0])
        lower = view.virtual_bids.copy()
        lower[0, winner] -= data.draw(st.floats(0, 1))
        again = learner.choose(RoundView(t, view.means, view.widths, lower, view.priority))
        assert again.provider[0] == winner


def test_learners_are_registered_and_bad_parameters_are_refused():
    names = LEARNERS.names()
    assert {"elimination", "active-set", "linucb", "explore-then-commit"} <= set(names)
    assert len(names) == len(set(names))
    with pytest.raises(UserInputError, match="learner"):
        LEARNERS.get("ucb", field="learner")
    with pytest.raises(UserInputError, match="ridge"):
        LearnerParams(T=10, n=2, ridge=0.0)


# ---- bidding strategies ---------------------------------------------------------------------


def concrete_strategies():
    return [cls for cls in BiddingStrategy.__subclasses__()]


def test_every_strategy_is_registered_once():
    assert sorted(cls.name for cls in concrete_strategies()) == sorted(STRATEGIES.names())
    assert len(set(STRATEGIES.names())) == len(STRATEGIES)


@pytest.mark.parametrize("name", STRATEGIES.names())
def test_strategies_are_pure_picklable_and_honest_about_truthfulness(name):
    plan = make_strategy(name)
    view = BidderView(0.2, 0.0, 0.5)
    first = plan.bid(view, np.random.default_rng(1))
    assert first == plan.bid(view, np.random.default_rng(2))  # no randomness used
    assert pickle.loads(pickle.dumps(plan)).bid(view) == first
    assert 0.0 <= first <= 0.5
    assert (first == view.cost) == plan.classifier["truthful"]


def test_scripted_bids():
    view = BidderView(0.2, 0.0, 0.5)
    assert make_strategy("truthful").bid(view) == 0.2
    assert make_strategy("shade:0.5").bid(view) == pytest.approx(0.1)
    assert make_strategy("inflate:2").bid(view) == pytest.approx(0.4)
    assert make_strategy("inflate:4").bid(view) == 0.5  # kept inside the support
    assert make_strategy("fixed:0.3").bid(view) == 0.3
    assert make_strategy("fixed").bid(view) == 0.25
    assert [s.label for s in parse_strategies("truthful,shade", 2)] == ["truthful", "shade:0.8"]
    for bad in ("sneaky", "shade:2", "inflate:0.5", "shade:x", "truthful:1"):
        with pytest.raises(UserInputError, match="strategies"):
            parse_strategies(bad, 2)
    with pytest.raises(UserInputError, match="strategies"):
        parse_strategies("truthful,truthful,truthful", 2)


def test_explore_then_commit_schedule_by_hand():
    from mechanisms.rosa.learners import ExploreThenCommit

    learner = ExploreThenCommit(LearnerParams(T=100, n=3))  # ceil(sqrt(100)) = 10 each
    assert learner.exploration_rounds == 30
    means = np.array([[0.5, 0.9, 0.7]])
    bids = np.array([[0.0, 0.6, 0.1]])  # virtual surpluses 0.5, 0.3, 0.6
    priority = np.zeros((1, 3))
    choices = [learner.choose(RoundView(t, means, None, bids, priority)) for t in range(32)]
    assert [int(c.provider[0]) for c in choices[:30]] == [t % 3 for t in range(30)]
    assert all(c.learn for c in choices[:30])
    assert int(choices[30].provider[0]) == 2 and not choices[30].learn
    assert learner.needs_widths(29) and not learner.needs_widths(30)
