"""Delegation strategies that see their progress in a phase and decide again inside it.

The example of issue 16, written from outside the package: serve honestly, and switch to the
cheapest model billed at L in the last 10 % of exploitation. Checked from the run's own service
log, under every mechanism and whatever the stepping batch.
"""

import itertools
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.delegation.actions import MAX_LENGTH, TRUE_LENGTH, PhaseProgress, ServiceAction
from agents.delegation.strategies import (
    STRATEGIES,
    DelegationStrategy,
    Honest,
    HonestStrategy,
    Ours,
    Worst,
    first_served_at_fraction,
)
from market.core.errors import UserInputError
from market.delegation.model import DelegationMarket
from mechanisms.delegation import EXPLOITATION, MECHANISMS

T = 20_000


class LateCheat(DelegationStrategy):
    """Honest, but the cheapest model billed at L in the last 10 % of exploitation.

    References:
        Cao et al. (2026), Section 3.1 (strategy space); the example of issue 16.
    """

    name = "late-cheat"
    classifier: ClassVar[dict] = {"truthful": False, "honest_exploration": True}
    decides_at = (0.9,)

    def decide(self, view, rng=None):
        late = view.phase == EXPLOITATION and view.progress.fraction >= 0.9
        return Worst().decide(view) if late else Honest().decide(view)


@pytest.fixture
def late_cheat():
    """LateCheat registered for one test (the registry is restored after it)."""
    with STRATEGIES.scoped():
        STRATEGIES.register(LateCheat)
        yield LateCheat.name


def finished(strategies, mechanism="second-best", batch=None, rng=3) -> DelegationMarket:
    model = DelegationMarket(
        "cao2026-paper", strategies=strategies, T=T, mechanism=mechanism, batch=batch, rng=rng
    )
    model.run()
    return model


def service_log(model):
    return model.platform.served_so_far()


# ---- the example of issue 16 ----------------------------------------------------------------


@pytest.mark.parametrize("mechanism", MECHANISMS.names())
def test_late_cheat_is_honest_until_90_percent_of_exploitation_then_cheats(late_cheat, mechanism):
    model = finished(late_cheat, mechanism)
    log = service_log(model)
    exploit = [s for s in log if s.phase == EXPLOITATION]
    assert all(not (s.cheaper_model or s.inflated_length) for s in log if s not in exploit)
    honest, cheat = exploit  # one record per action: honest, then cheating
    assert not honest.cheaper_model and not honest.inflated_length
    assert cheat.cheaper_model and cheat.inflated_length and honest.end == cheat.start
    phase_length = model.platform.mechanism.state.exploitation_length
    switch = honest.end - honest.start
    assert switch / phase_length >= 0.9 > (switch - 1) / phase_length
    if not cheat.stopped_early:
        assert cheat.end - honest.start == phase_length


def test_late_cheat_results_do_not_depend_on_the_batch(late_cheat):
    runs = [finished(late_cheat, batch=b) for b in (None, 1, 613, 5_000)]
    assert all(service_log(m) == service_log(runs[0]) for m in runs)
    assert all(repr(m.result()) == repr(runs[0].result()) for m in runs)


# ---- what the view shows ----------------------------------------------------------------------


class HonestWatcher(HonestStrategy):
    """Honest; decides every 1000 queries and keeps the progress it was shown (test only)."""

    decides_every = 1_000

    def __init__(self):
        self.seen: list[tuple[str, PhaseProgress]] = []

    def decide(self, view, rng=None):
        self.seen.append((view.phase, view.progress))
        return super().decide(view, rng)


def test_the_view_shows_the_phase_served_so_far():
    watchers = [HonestWatcher() for _ in range(3)]
    model = finished(watchers, "explore-then-commit")
    state, platform = model.platform.mechanism.state, model.platform
    start = next(s.start for s in service_log(model) if s.phase == EXPLOITATION)
    menu = model.providers[state.chosen].menu
    seen = [p for phase, p in watchers[state.chosen].seen if phase == EXPLOITATION]
    assert [p.served for p in seen] == list(range(0, state.exploitation_length, 1_000))
    for p in seen:
        ids = platform.query_ids[start : start + p.served]
        tokens = int(platform.length[menu.rows[menu.truthful_model]].take(ids).sum())
        assert p.phase_length == state.exploitation_length
        assert p.remaining == p.phase_length - p.served
        assert p.true_tokens == p.reported_tokens == tokens  # honest: bills the truth
        assert p.cost == pytest.approx(menu.costs[menu.truthful_model] * tokens)


def test_asking_again_without_changing_the_action_changes_nothing():
    class OursEvery997(Ours):
        decides_every = 997

    for mechanism in MECHANISMS.names():
        plain, asked = finished("ours", mechanism), finished([OursEvery997()] * 3, mechanism)
        assert repr(asked.result()) == repr(plain.result())
        assert service_log(asked) == service_log(plain)


# ---- decision points, pure ---------------------------------------------------------------------


def test_decision_points_by_hand():
    every, at = type("Every", (DelegationStrategy,), {"decides_every": 100})(), LateCheat()
    assert every.next_decision(PhaseProgress(served=0, phase_length=250)) == 100
    assert every.next_decision(PhaseProgress(served=100, phase_length=250)) == 200
    assert every.next_decision(PhaseProgress(served=200, phase_length=250)) is None
    assert at.next_decision(PhaseProgress(served=0, phase_length=100)) == 90  # 0.9*100 > 90
    assert at.next_decision(PhaseProgress(served=90, phase_length=100)) is None
    assert at.next_decision(PhaseProgress(served=0, phase_length=0)) is None
    assert HonestStrategy().next_decision(PhaseProgress(served=0, phase_length=10**6)) is None


@settings(max_examples=200, deadline=None)
@given(fraction=st.floats(0.001, 0.999), phase_length=st.integers(1, 10**7))
def test_a_fraction_point_is_the_first_query_where_the_fraction_is_reached(fraction, phase_length):
    served = first_served_at_fraction(fraction, phase_length)
    assert PhaseProgress(served, phase_length).fraction >= fraction
    assert PhaseProgress(served - 1, phase_length).fraction < fraction


@pytest.mark.parametrize(
    ("field", "value"),
    [("decides_every", 0), ("decides_every", 2.5), ("decides_at", (1.0,)), ("decides_at", 0.9)],
)
def test_bad_decision_points_name_the_field(field, value):
    bad = type("Bad", (DelegationStrategy,), {field: value})()
    with pytest.raises(UserInputError, match=field):
        bad.next_decision(PhaseProgress(served=0, phase_length=100))


def test_a_point_already_passed_is_refused():
    class Stuck(HonestStrategy):
        def next_decision(self, progress):
            return progress.served

    with pytest.raises(UserInputError, match="next_decision"):
        finished([Stuck()] * 3)


# ---- any decision points, any batch -------------------------------------------------------------

ACTIONS = ("honest", "worst", "worst-model", "worst-length")


class Coin(DelegationStrategy):
    """At each decision point, a random one of four services (test only; reads no view)."""

    name = "coin"

    def __init__(self, every, at):
        self.decides_every, self.decides_at = every, at

    def decide(self, view, rng=None):
        pick = ACTIONS[int(rng.integers(len(ACTIONS)))]
        model = view.cheapest_model if pick in ("worst", "worst-model") else view.truthful_model
        report = MAX_LENGTH if pick in ("worst", "worst-length") else TRUE_LENGTH
        return ServiceAction(model, report)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    every=st.none() | st.integers(1, 4_000),
    at=st.lists(st.floats(0.01, 0.99), max_size=3).map(tuple),
    batch=st.none() | st.integers(1, 6_000),
    mechanism=st.sampled_from(MECHANISMS.names()),
    seed=st.integers(0, 3),
)
def test_any_decisions_serve_every_delegated_query_once(every, at, batch, mechanism, seed):
    coins = [Coin(every, at) for _ in range(3)]
    model = finished(coins, mechanism, batch=batch, rng=seed)
    platform, log = model.platform, service_log(model)
    assert log[0].start == 0 and log[-1].end == platform.used
    assert all(a.end == b.start for a, b in itertools.pairwise(log))
    assert platform.used == min(platform.planned, T)
    assert sum(p.delegations for p in model.providers) == platform.used
    for k, provider in enumerate(model.providers, start=1):
        assert sum(s.end - s.start for s in log if s.provider == k) == provider.delegations
    whole = finished([Coin(every, at) for _ in range(3)], mechanism, rng=seed)
    assert service_log(whole) == log and repr(whole.result()) == repr(model.result())
    assert np.array_equal(whole.providers[0].true_tokens, model.providers[0].true_tokens)
