"""Delegation strategies: a generic base test per strategy, plus scripted decisions.

The scripted menus use binary-exact prices so the hand arithmetic is exact.
"""

import inspect
import pickle

import numpy as np
import pytest

import agents.delegation.strategies as module
from agents.delegation.strategies import (
    PHASES,
    STRATEGIES,
    DelegationStrategy,
    LengthReport,
    ProviderView,
    SecondBest,
    ServiceAction,
    strategy,
)
from market.core.errors import UserInputError

# Menu: m0 is the truthful model (cost = price 0.5), m1 is cheaper (0.125).
# m0: mu_r 40, mu_l 10 -> user utility at price 0.5: 40 - 5 = 35
# m1: mu_r 30, mu_l 20 -> 30 - 10 = 20
MENU = dict(
    price=0.5,
    costs=(0.5, 0.125),
    mean_reward=(40.0, 30.0),
    mean_length=(10.0, 20.0),
    truthful_model=0,
    max_length=100,
    reward_bound=1.0,
)


def view(phase="exploitation", rules="paper", u_prime=None, **changes):
    return ProviderView(phase=phase, rules=rules, u_prime=u_prime, **(MENU | changes))


class TestEveryStrategy:
    @pytest.fixture(params=STRATEGIES.names())
    def cls(self, request):
        return STRATEGIES.get(request.param)

    def test_registered_once_with_unique_name(self, cls):
        assert STRATEGIES.names().count(cls.name) == 1

    def test_has_a_behaviour_for_every_phase(self, cls):
        assert set(cls.behaviours) == set(PHASES)

    def test_classifier_is_honest(self, cls):
        if cls.classifier.get("adaptive"):  # its behaviour changes between plays
            assert not cls.classifier["truthful"] and not cls.classifier["honest_exploration"]
            return
        exploration = type(cls.behaviours["exploration"]).__name__
        assert cls.classifier["honest_exploration"] == (exploration == "Honest")
        all_honest = all(type(b).__name__ == "Honest" for b in cls.behaviours.values())
        assert cls.classifier["truthful"] == all_honest

    def test_deterministic_and_picklable(self, cls):
        s = cls()
        for phase in PHASES:
            v = view(phase=phase, u_prime=15.0)
            assert s.decide(v, np.random.default_rng(1)) == s.decide(v, np.random.default_rng(2))
        assert pickle.loads(pickle.dumps(s)) == s

    def test_docstring_cites_the_paper(self, cls):
        assert "References" in cls.__doc__ and "Cao et al." in cls.__doc__


def test_every_concrete_strategy_class_is_registered():
    concrete = {
        obj.name
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, DelegationStrategy) and obj is not DelegationStrategy
    }
    names = STRATEGIES.names()
    assert concrete <= set(names)  # a plugin's strategies may come on top
    assert len(names) == len(set(names))
    own = {name for name in names if STRATEGIES.get(name).__module__ == module.__name__}
    assert own == concrete


def test_unknown_strategy_lists_the_known_ones():
    with pytest.raises(UserInputError, match="dishonest-all"):
        strategy("greedy")


def test_table_1_per_phase_actions():
    v = view(u_prime=15.0)
    honest_action = ServiceAction(0, LengthReport("true"))
    worst_action = ServiceAction(1, LengthReport("max"))
    assert strategy("honest").decide(v) == honest_action
    assert strategy("dishonest-model").decide(v) == ServiceAction(1, LengthReport("true"))
    assert strategy("dishonest-length").decide(v) == ServiceAction(0, LengthReport("max"))
    assert strategy("dishonest-all").decide(v) == worst_action
    assert strategy("dishonest-all").decide(view(phase="exploration")) == worst_action
    for name in ("ours", "ours-honest-length", "dishonest-model", "dishonest-length"):
        assert strategy(name).decide(view(phase="exploration")) == honest_action
        assert strategy(name).decide(view(phase="blind-trust-1")) == worst_action
        assert strategy(name).decide(view(phase="blind-trust-2")) == worst_action


def test_second_best_paper_rule_by_hand():
    # u' = 15. m0: l' = floor((40 - 15) / 0.5) = 50, profit 0.5*50 - 0.5*10 = 25 - 5 = 20.
    #          m1: feasible (20 >= 15), l' = floor(15 / 0.5) = 30, profit 15 - 0.125*20 = 12.5.
    assert SecondBest().decide(view(u_prime=15.0)) == ServiceAction(0, LengthReport("at-least", 50))
    # u' = 25: m1 infeasible (20 < 25); m0: l' = floor(15 / 0.5) = 30.
    assert SecondBest().decide(view(u_prime=25.0)) == ServiceAction(0, LengthReport("at-least", 30))
    # A cheap model good enough wins: m1 with mu_r 38, mu_l 10 (utility 33 >= 15):
    # l' = floor(23 / 0.5) = 46, profit 23 - 1.25 = 21.75 > m0's 20.
    cheap_good = view(u_prime=15.0, mean_reward=(40.0, 38.0), mean_length=(10.0, 10.0))
    assert SecondBest().decide(cheap_good) == ServiceAction(1, LengthReport("at-least", 46))
    # Nobody reaches u' = 36 (best is 35): play worst.
    assert SecondBest().decide(view(u_prime=36.0)) == ServiceAction(1, LengthReport("max"))
    # No target told (not i*): worst.
    assert SecondBest().decide(view()) == ServiceAction(1, LengthReport("max"))
    # Honest-length twin: same model, true report.
    assert SecondBest(report_length=False).decide(view(u_prime=25.0)) == ServiceAction(
        0, LengthReport("true")
    )


def test_second_best_artifact_rule_by_hand():
    # Candidates need mu_r - c mu_l >= u': m0: 40 - 5 = 35; m1: 30 - 2.5 = 27.5.
    # u' = 15: add0 = int((40 - 15)/0.5 - 10) = 40, profit 0.5*min(50, 100) - 5 = 20;
    #          add1 = int(15/0.5 - 20) = 10, profit 0.5*30 - 2.5 = 12.5 -> m0, pad 40.
    assert SecondBest().decide(view(rules="artifact", u_prime=15.0)) == ServiceAction(
        0, LengthReport("padded", 40)
    )
    # u' = 29: m1 excluded (27.5 < 29); m0: add = int(22 - 10) = 12.
    assert SecondBest().decide(view(rules="artifact", u_prime=29.0)) == ServiceAction(
        0, LengthReport("padded", 12)
    )


def test_artifact_second_best_never_plays_worst():
    # u' = 36: no candidate (m0: 35, m1: 27.5 < 36). The authors' simulator keeps its start,
    # the truthful model with true lengths (the printed rule would play worst).
    assert SecondBest().decide(view(rules="artifact", u_prime=36.0)) == ServiceAction(
        0, LengthReport("true")
    )
    assert SecondBest().decide(view(u_prime=36.0)) == ServiceAction(1, LengthReport("max"))


def test_artifact_honest_length_chooses_by_unpadded_profit():
    # Objective (p - c_m) mu_l: m0 (truthful) 0, m1 (0.5 - 0.125) * 20 = 7.5.
    # u' = 15: both candidates; m1 strictly better than the start (m0, profit 0) -> m1.
    # (The padded objective would pick m0: 20 > 12.5, see the artifact rule above.)
    honest_length = SecondBest(report_length=False)
    assert honest_length.decide(view(rules="artifact", u_prime=15.0)) == ServiceAction(
        1, LengthReport("true")
    )
    # u' = 29: m1 is no candidate (27.5 < 29); m0 earns 0, no strict gain: stay at m0.
    assert honest_length.decide(view(rules="artifact", u_prime=29.0)) == ServiceAction(
        0, LengthReport("true")
    )
    # u' = 36: nobody qualifies; still the truthful model, never worst.
    assert honest_length.decide(view(rules="artifact", u_prime=36.0)) == ServiceAction(
        0, LengthReport("true")
    )


def test_artifact_walks_the_menu_by_score_and_switches_only_on_a_strict_gain():
    # Scores R mu_r - c mu_l: m0 40 - 5 = 35, m1 30 - 5 = 25, m2 32 - 5 = 27: order m0, m2, m1.
    # Honest-length profits (p - c) mu_l: m0 0, m1 0.25 * 20 = 5, m2 5 (a tie).
    # u' = 20: m1 (25) and m2 (27) qualify; m2 comes first and m1 is no strict gain -> m2,
    # although m1 is listed first on the menu.
    three = view(
        rules="artifact",
        u_prime=20.0,
        costs=(0.5, 0.25, 0.25),
        mean_reward=(40.0, 30.0, 32.0),
        mean_length=(10.0, 20.0, 20.0),
    )
    assert SecondBest(report_length=False).decide(three) == ServiceAction(2, LengthReport("true"))
    # Padded: add0 = int(20/0.5 - 10) = 30, profit 0.5*40 - 5 = 15; add2 = int(12/0.5 - 20) = 4,
    # profit 0.5*24 - 5 = 7; add1 = int(10/0.5 - 20) = 0, profit 10 - 5 = 5 -> m0 padded 30.
    assert SecondBest().decide(three) == ServiceAction(0, LengthReport("padded", 30))


def test_length_reports_never_below_truth_nor_above_L():
    true = np.array([0, 10, 60, 100])
    assert LengthReport("true").apply(true, 100).tolist() == [0, 10, 60, 100]
    assert LengthReport("max").apply(true, 100).tolist() == [100] * 4
    assert LengthReport("at-least", 50).apply(true, 100).tolist() == [50, 50, 60, 100]
    assert LengthReport("padded", 50).apply(true, 100).tolist() == [50, 60, 100, 100]


def test_second_best_paper_needs_a_whole_token_count_above_the_mean_length():
    # m0: mu_r 40, mu_l 10.5, price 0.5: u' = 34.6 gives (40 - 34.6)/0.5 = 10.8 -> l' = 10,
    # below mu_l = 10.5: no integer l' in [10.5, 10.8], so m0 is out; m1 (utility 20) cannot
    # reach 34.6 either: worst.
    v = view(u_prime=34.6, mean_length=(10.5, 20.0))
    assert SecondBest().decide(v) == ServiceAction(1, LengthReport("max"))
    # u' = 34.5 gives exactly 11 >= 10.5: m0 with l' = 11.
    v = view(u_prime=34.5, mean_length=(10.5, 20.0))
    assert SecondBest().decide(v) == ServiceAction(0, LengthReport("at-least", 11))
