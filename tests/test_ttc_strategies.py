"""Provider and bidding strategies of the TTC market, and the user population."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.ttc import (
    BIDDING_STRATEGIES,
    STRATEGIES,
    BestResponse,
    BiddingStrategy,
    FixedLevel,
    FixedLevelBid,
    MaximumCompute,
    NearestImprovingMove,
    PriceFactorBid,
    ProviderStrategy,
    RandomImprovingMove,
    SociallyOptimalLevel,
    TruthfulBid,
    TTCStrategy,
    UserPopulation,
    make_bidding_strategy,
    make_provider_strategy,
)
from market.core.errors import UserInputError
from mechanisms.ttc import (
    MECHANISMS,
    PERFECT,
    Bid,
    BidderObservation,
    ProviderObservation,
    TTCGame,
    deviation_log_utilities,
    deviation_utilities,
    improving_levels,
    market_shares,
    run_auction,
)


def intro_game(beta: float = PERFECT) -> TTCGame:
    """Section 1 / Appendix A, typed in from the paper (not from ttc_data)."""
    quality = 0.02 * np.array([[70.0, 90.0], [50.0, 95.0]])
    cost = np.array([[0.25, 1.0], [0.5, 10.0]])
    return TTCGame(
        providers=("P1", "P2"),
        levels=(0.0, 1.0),
        quality=quality,
        cost=cost,
        price=1.25 * cost,
        v0=0.0,
        beta=beta,
    )


@st.composite
def random_games(draw, max_providers: int = 4, max_levels: int = 4):
    n = draw(st.integers(2, max_providers))
    n_levels = draw(st.integers(2, max_levels))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    accuracy = np.sort(rng.uniform(0.2, 0.95, size=(n, n_levels)), axis=1)
    quality = 0.008 * (0.1 + 0.9 * accuracy)
    price = np.cumsum(rng.uniform(1e-5, 1.5e-3, size=(n, n_levels)), axis=1)
    margin = rng.uniform(0.1, 0.5, size=(n, 1))
    beta = draw(st.sampled_from([PERFECT, 50.0, 1000.0, 1e5]))
    return TTCGame(
        providers=tuple(f"m{i}" for i in range(n)),
        levels=tuple(float(2**k) for k in range(n_levels)),
        quality=quality,
        cost=price / (1 + margin),
        price=price,
        v0=0.0,
        beta=beta,
    )


def scripted_observation(current: int = 1) -> ProviderObservation:
    utilities = np.array([0.5, 1.0, 2.0, 1.5, 3.0])
    improving = tuple(int(k) for k in np.flatnonzero(utilities > utilities[current]))
    return ProviderObservation(
        provider=0,
        current=current,
        utilities=utilities,
        improving=improving,
        contribution=np.array([1.0, 4.0, 2.0, 0.0, 0.0]),
    )


PROVIDER_CLASSES = list(STRATEGIES)
BIDDING_CLASSES = list(BIDDING_STRATEGIES)


# ---- generic base tests (STYLE.md item 7) --------------------------------------------------


class StrategyContract:
    """Every strategy: registered, unique name, honest classifier, deterministic, picklable."""

    registry = None
    base = None
    required = ("stochastic", "mechanisms", "observes")

    def observation(self):
        raise NotImplementedError

    def act(self, strategy, rng):
        raise NotImplementedError

    def test_decide_is_the_decision_method(self, cls):
        # the model calls decide() whichever kind of strategy it holds
        assert issubclass(cls, TTCStrategy)
        decided = cls().decide(self.observation(), np.random.default_rng(5))
        assert decided == self.act(cls(), np.random.default_rng(5))

    def test_registered_and_named(self, cls):
        assert issubclass(cls, self.base)
        assert self.registry.get(cls.name) is cls
        assert cls.__doc__ and "References" in cls.__doc__

    def test_classifier_has_keys(self, cls):
        for key in self.required:
            assert key in cls.classifier, (cls.name, key)
        for mechanism in cls.classifier["mechanisms"]:
            assert mechanism in MECHANISMS

    def test_deterministic_under_seed(self, cls):
        a = [self.act(cls(), np.random.default_rng(7)) for _ in range(3)]
        b = [self.act(cls(), np.random.default_rng(7)) for _ in range(3)]
        assert a == b

    def test_non_stochastic_never_draws(self, cls):
        if cls.classifier["stochastic"]:
            pytest.skip("stochastic by its classifier")
        rng = np.random.default_rng(3)
        before = rng.bit_generator.state
        self.act(cls(), rng)
        assert rng.bit_generator.state == before

    def test_pickles(self, cls):
        strategy = cls()
        clone = pickle.loads(pickle.dumps(strategy))
        assert clone == strategy
        assert self.act(clone, np.random.default_rng(1)) == self.act(
            strategy, np.random.default_rng(1)
        )


@pytest.mark.parametrize("cls", PROVIDER_CLASSES, ids=lambda c: c.name)
class TestProviderStrategyContract(StrategyContract):
    registry = STRATEGIES
    base = ProviderStrategy
    required = (*StrategyContract.required, "better_response")

    def observation(self):
        return scripted_observation()

    def act(self, strategy, rng):
        return strategy.choose_level(scripted_observation(), rng)

    def test_better_response_only_moves_to_improving(self, cls):
        if not cls.classifier["better_response"]:
            pytest.skip("not a better-response strategy")
        rng = np.random.default_rng(0)
        for current in range(5):
            obs = scripted_observation(current)
            level = cls().choose_level(obs, rng)
            assert level == current if not obs.improving else level in obs.improving


@pytest.mark.parametrize("cls", BIDDING_CLASSES, ids=lambda c: c.name)
class TestBiddingStrategyContract(StrategyContract):
    registry = BIDDING_STRATEGIES
    base = BiddingStrategy
    required = (*StrategyContract.required, "truthful")

    def observation(self):
        return BidderObservation(0, intro_game())

    def act(self, strategy, rng):
        return strategy.choose_bid(BidderObservation(0, intro_game()), rng)


def test_names_unique_and_all_subclasses_registered():
    for base, registry in (
        (ProviderStrategy, STRATEGIES),
        (BiddingStrategy, BIDDING_STRATEGIES),
    ):
        subclasses = set(base.__subclasses__())
        assert subclasses == set(registry)
        names = [cls.name for cls in registry]
        assert len(names) == len(set(names))


def test_registry_filters_by_classifier():
    better = {c.name for c in STRATEGIES.filter(lambda c: c["better_response"])}
    assert better == {"best-response", "random-improving", "nearest-improving"}
    truthful = {c.name for c in BIDDING_STRATEGIES.filter(lambda c: c["truthful"])}
    assert truthful == {"truthful"}


# ---- scripted play -------------------------------------------------------------------------


def test_scripted_provider_choices():
    rng = np.random.default_rng(0)
    obs = scripted_observation(current=1)  # improving levels: 2, 3, 4
    assert BestResponse().choose_level(obs, rng) == 4
    assert NearestImprovingMove().choose_level(obs, rng) == 2
    assert RandomImprovingMove().choose_level(obs, rng) in (2, 3, 4)
    assert FixedLevel(3).choose_level(obs, rng) == 3
    assert MaximumCompute().choose_level(obs, rng) == 4
    assert SociallyOptimalLevel().choose_level(obs, rng) == 1


def test_nearest_improving_prefers_lower_level_at_equal_distance():
    obs = ProviderObservation(0, 2, np.array([0.0, 2.0, 1.0, 2.0]), (1, 3), np.zeros(4))
    assert NearestImprovingMove().choose_level(obs, np.random.default_rng(0)) == 1


def test_best_response_breaks_ties_towards_nearest():
    obs = ProviderObservation(0, 3, np.array([5.0, 1.0, 5.0, 0.0]), (0, 1, 2), np.zeros(4))
    assert BestResponse().choose_level(obs, np.random.default_rng(0)) == 2


def test_random_improving_covers_all_improving_levels():
    rng = np.random.default_rng(11)
    seen = {RandomImprovingMove().choose_level(scripted_observation(1), rng) for _ in range(200)}
    assert seen == {2, 3, 4}


def test_everyone_stays_without_improving_move():
    obs = scripted_observation(current=4)  # the top utility
    rng = np.random.default_rng(0)
    for cls in (BestResponse, NearestImprovingMove, RandomImprovingMove):
        assert cls().choose_level(obs, rng) == 4


def test_scripted_bids_on_intro_example():
    # Hand numbers (Appendix A): W_1 = 1.4 - 0.25 = 1.15 (low) > 1.8 - 1 = 0.8 (high);
    # W_2 = 1.0 - 0.5 = 0.5 (low) > 1.9 - 10 (high). Truthful = low level at cost.
    rng = np.random.default_rng(0)
    game = intro_game()
    assert TruthfulBid().choose_bid(BidderObservation(0, game), rng) == Bid(0, 0.25)
    assert TruthfulBid().choose_bid(BidderObservation(1, game), rng) == Bid(0, 0.5)
    shaded = PriceFactorBid(0.8).choose_bid(BidderObservation(0, game), rng)
    assert shaded.level == 0 and shaded.price == pytest.approx(0.2)
    inflated = PriceFactorBid(2.0).choose_bid(BidderObservation(1, game), rng)
    assert inflated.level == 0 and inflated.price == pytest.approx(1.0)
    assert FixedLevelBid(1).choose_bid(BidderObservation(0, game), rng) == Bid(1, 1.0)


def test_bad_parameters_raise_user_errors():
    with pytest.raises(UserInputError, match="strategy"):
        make_provider_strategy("nope")
    with pytest.raises(UserInputError, match="bidding"):
        make_bidding_strategy("nope")
    with pytest.raises(UserInputError, match="factor"):
        PriceFactorBid(0.0)
    with pytest.raises(UserInputError, match="factor"):
        PriceFactorBid(math.nan)
    with pytest.raises(UserInputError, match="level"):
        FixedLevel(-1)
    with pytest.raises(UserInputError, match="level"):
        FixedLevel(5).choose_level(
            ProviderObservation(0, 0, np.zeros(2), (), np.zeros(2)), np.random.default_rng(0)
        )
    with pytest.raises(UserInputError):
        make_provider_strategy("maximum-compute", level=2)


# ---- properties on random games -------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(game=random_games(), data=st.data())
def test_better_response_moves_never_lower_the_movers_utility(game, data):
    profile = tuple(data.draw(st.integers(0, game.n_levels - 1)) for _ in game.providers)
    i = data.draw(st.integers(0, game.n_providers - 1))
    utilities = deviation_utilities(game, profile, i)
    obs = ProviderObservation(
        provider=i,
        current=profile[i],
        utilities=utilities,
        improving=tuple(int(k) for k in improving_levels(game, profile, i)),
        contribution=game.contribution[i],
    )
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    for cls in STRATEGIES.filter(lambda c: c["better_response"]):
        level = cls().choose_level(obs, rng)
        assert utilities[level] >= utilities[profile[i]]
        if level != profile[i]:
            assert utilities[level] > utilities[profile[i]]


@settings(max_examples=40, deadline=None)
@given(game=random_games(), data=st.data())
def test_no_bidding_strategy_beats_truthful(game, data):
    """Theorem 5 through the strategies: against any others' bids, no registered deviation
    earns more than the truthful bid."""
    rng = np.random.default_rng(0)
    i = data.draw(st.integers(0, game.n_providers - 1))
    others = [
        Bid(
            level=data.draw(st.integers(0, game.n_levels - 1)),
            price=data.draw(st.floats(0.0, 0.01)),
        )
        for _ in game.providers
    ]
    truthful = others.copy()
    truthful[i] = TruthfulBid().choose_bid(BidderObservation(i, game), rng)
    best = run_auction(game, truthful).utilities[i]
    deviations = [PriceFactorBid(f) for f in (0.5, 0.9, 1.1, 3.0)]
    deviations += [FixedLevelBid(k) for k in range(game.n_levels)]
    for strategy in deviations:
        bids = others.copy()
        bids[i] = strategy.choose_bid(BidderObservation(i, game), rng)
        assert run_auction(game, bids).utilities[i] <= best + 1e-15


# ---- users ---------------------------------------------------------------------------------


@pytest.mark.parametrize("beta", [5.0, 1000.0, 1e6, PERFECT])
def test_identical_users_choice_probabilities_equal_table1_shares(beta):
    values = np.array([1.2e-3, 1.0e-3, 1.1e-3, -2e-4])
    users = UserPopulation.identical(3, beta)
    expected = market_shares(values, 0.0, beta)
    probabilities = users.choice_probabilities(np.tile(values, (3, 1)))
    assert np.allclose(probabilities[:, :-1], expected, rtol=1e-12, atol=1e-15)
    assert np.all(np.isfinite(probabilities))


@pytest.mark.parametrize("beta", [200.0, 1000.0, 1e4])
def test_identical_users_in_large_numbers_reproduce_logit_shares(beta):
    n_users = 400_000
    values = np.array([3.0e-3, 2.5e-3, 2.0e-3, 1.0e-3])
    users = UserPopulation.identical(n_users, beta, v0=0.0)
    choices = users.draw_choices(np.tile(values, (n_users, 1)), np.random.default_rng(5))
    realised = users.realised_shares(choices, len(values))
    expected = market_shares(values, 0.0, beta)
    expected_all = np.append(expected, 1 - expected.sum())
    sigma = np.sqrt(expected_all * (1 - expected_all) / n_users)
    assert np.all(np.abs(realised - expected_all) <= 5 * sigma + 1e-12)
    assert realised.sum() == pytest.approx(1.0)


def test_logit_draws_match_known_two_option_shares():
    # beta = ln(3) / 1e-3 makes exp(beta (V1 - V0)) = 3 with V1 = 1e-3, V0 = 0:
    # shares 3/4 and 1/4 exactly (worked by hand).
    beta = math.log(3.0) / 1e-3
    users = UserPopulation.identical(200_000, beta)
    values = np.full((200_000, 1), 1e-3)
    realised = users.realised_shares(users.draw_choices(values, np.random.default_rng(1)), 1)
    assert realised[0] == pytest.approx(0.75, abs=0.005)


def test_perfectly_rational_users_pick_best_and_abstain_when_all_below_v0():
    users = UserPopulation(np.ones(4), np.full(4, PERFECT), v0=0.0)
    values = np.array([[1.0, 2.0], [2.0, 1.0], [-1.0, -2.0], [3.0, 3.0]])
    choices = users.draw_choices(values, np.random.default_rng(0))
    assert choices[:3].tolist() == [1, 0, 2]
    assert choices[3] in (0, 1)


def test_user_value_per_point_scales_quality():
    users = UserPopulation(np.array([1.0, 2.0]), np.array([10.0, PERFECT]))
    values = users.user_values(np.array([1.0, 0.5]), np.array([0.2, 0.1]))
    assert np.allclose(values, [[0.8, 0.4], [1.8, 0.9]])


def test_heterogeneous_population_is_seeded():
    a = UserPopulation.heterogeneous(50, np.random.default_rng(4), beta=100.0)
    b = UserPopulation.heterogeneous(50, np.random.default_rng(4), beta=100.0)
    assert np.array_equal(a.beta, b.beta) and np.array_equal(a.quality_weight, b.quality_weight)
    assert np.unique(a.beta).size == 50


def test_user_population_validation():
    with pytest.raises(UserInputError, match="beta"):
        UserPopulation(np.ones(2), np.array([1.0, 0.0]))
    with pytest.raises(UserInputError, match="quality_weight"):
        UserPopulation(np.array([1.0, math.nan]), np.ones(2))
    with pytest.raises(UserInputError, match="n_users"):
        UserPopulation.identical(0, 1.0)


# ---- very rational users (beta = 1e6): log-utilities ---------------------------------------


def observation_at(game, profile, i):
    return ProviderObservation(
        provider=i,
        current=profile[i],
        utilities=deviation_utilities(game, profile, i),
        improving=tuple(int(k) for k in improving_levels(game, profile, i)),
        contribution=game.contribution[i],
        log_utilities=deviation_log_utilities(game, profile, i),
    )


def test_best_response_ranks_by_log_utility_when_shares_underflow():
    # Review finding: gsm8k-best-of-n at beta = 1e6, provider 3 at (4,0,1,5,3,2,1,0,5) has
    # log-utilities about [-1101, -912, -929, -1026, -1268, -1816]: every plain utility is 0,
    # yet level 1 is the best response (the old ranking chose level 4, nearest among "ties").
    from market.ttc.model import TTCMarket
    from market.ttc.scenarios import get_scenario

    game = get_scenario("gsm8k-best-of-n").build(beta=1e6)
    profile = (4, 0, 1, 5, 3, 2, 1, 0, 5)
    obs = observation_at(game, profile, 3)
    assert np.all(obs.utilities == 0.0)  # the underflow the fix is about
    assert obs.log_utilities[1] == pytest.approx(-912, abs=1)
    assert BestResponse().choose_level(obs, np.random.default_rng(0)) == 1
    model = TTCMarket(game, strategy="best-response", start=profile, rng=0)
    model_obs = model.provider_observation(3)
    assert np.array_equal(model_obs.log_utilities, obs.log_utilities)
    assert BestResponse().choose_level(model_obs, np.random.default_rng(0)) == 1


def test_best_response_picks_a_maximal_log_utility_at_beta_1e6():
    from market.ttc.scenarios import get_scenario

    game = get_scenario("gsm8k-best-of-n").build(beta=1e6)
    rng = np.random.default_rng(2026)
    moved = 0
    for _ in range(300):
        profile = tuple(int(k) for k in rng.integers(game.n_levels, size=game.n_providers))
        i = int(rng.integers(game.n_providers))
        obs = observation_at(game, profile, i)
        level = BestResponse().choose_level(obs, rng)
        if obs.improving:
            moved += 1
            assert obs.log_utilities[level] == obs.log_utilities[list(obs.improving)].max()
            assert obs.log_utilities[level] == obs.log_utilities.max()
    assert moved > 100


def test_hand_built_observation_defaults_log_utilities_to_log_of_utilities():
    obs = ProviderObservation(0, 0, np.array([0.0, 2.0]), (1,), np.zeros(2))
    assert obs.log_utilities[0] == -math.inf and obs.log_utilities[1] == pytest.approx(math.log(2))


def test_log_choice_probabilities_stay_exact_for_very_rational_users():
    # values (0, -1e-3), V_0 = -1: a beta = 1e6 user picks the second with probability
    # e^-1000 / (1 + e^-1000 + e^-1e6), i.e. log -1000 (plain floats would say 0).
    users = UserPopulation(np.array([1.0, 1.0, 1.0]), np.array([1e6, 1e3, math.inf]), v0=-1.0)
    log_p = users.log_choice_probabilities(np.array([0.0, -1e-3]))
    assert log_p[0] == pytest.approx([0.0, -1000.0, -1e6], abs=1e-9)
    norm = math.log1p(math.exp(-1.0))  # beta = 1e3: scaled options (0, -1, -1000)
    assert log_p[1] == pytest.approx([-norm, -1.0 - norm, -1000.0 - norm], rel=1e-12)
    assert log_p[2].tolist() == [0.0, -math.inf, -math.inf]
    # log-mean-exp over the three users: second option (e^-1000 + e^-1/(1+e^-1) + 0) / 3
    shares = users.log_expected_shares(np.array([0.0, -1e-3]))
    expected_second = math.log((math.exp(-1.0) / (1 + math.exp(-1.0))) / 3)
    assert shares[1] == pytest.approx(expected_second, rel=1e-12)
    assert np.allclose(np.exp(shares), users.expected_shares(np.array([0.0, -1e-3])))
    # only beta = 1e6 users: the share of option 2 is far below the float range, its log is not
    lone = UserPopulation.identical(4, 1e6, v0=-1.0).log_expected_shares(np.array([0.0, -1e-3]))
    assert lone[1] == pytest.approx(-1000.0, abs=1e-9)
