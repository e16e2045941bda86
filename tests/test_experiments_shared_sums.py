"""Sweeps share each seed's running sums between profiles: results stay bit-identical.

A model with ``share_sums=True`` reads long segments' running sums (and, under Mechanism 1's
per-query check, the first failing position by binary search) from a cache filled by earlier
models of the same seed. Every result must equal, exactly, the same model run without sharing:
on the paper's markets and on random markets with fractional rewards, under every mechanism.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from test_delegation_random_markets import MECHANISMS, build, random_markets

from agents.delegation.strategies import STRATEGIES, base_strategy_names
from agents.delegation.sums import SHARED_LENGTH
from market.core.errors import UserInputError
from market.delegation.model import DelegationMarket


def shared_and_plain(scenario, profiles, seed, T=None):
    """Results of each profile with sharing (in sequence, one cache) and without."""
    shared, plain, used = [], [], 0
    for profile in profiles:
        model = DelegationMarket(
            scenario, strategies=profile, T=T, rng=seed, record_points=1, share_sums=True
        )
        shared.append(model.run())
        used = max(used, len(model.platform.sums.arrays))
        plain.append(
            DelegationMarket(scenario, strategies=profile, T=T, rng=seed, record_points=1).run()
        )
    return shared, plain, used


@pytest.mark.slow
def test_paper_markets_give_the_same_results_with_shared_sums():
    rng = random.Random(7)
    names = base_strategy_names()
    for preset in ("cao2026", "cao2026-paper", "cao2026-explore-then-commit"):
        if preset.endswith("commit"):
            preset, mechanism = "cao2026", "explore-then-commit"
        else:
            mechanism = None
        profiles = [tuple(rng.choice(names) for _ in range(3)) for _ in range(20)]
        profiles += [("ours",) * 3, ("dishonest-length", "ours", "honest")]
        shared = []
        for profile in profiles:
            model = DelegationMarket(  # one step, as in sweeps (record_points=1)
                preset,
                strategies=profile,
                T=300_000,
                mechanism=mechanism,
                rng=3,
                record_points=1,
                share_sums=True,
            )
            shared.append(model.run())
        assert len(model.platform.sums.arrays) > 0  # the long segments were shared
        for profile, result in zip(profiles, shared, strict=True):
            alone = DelegationMarket(
                preset, strategies=profile, T=300_000, mechanism=mechanism, rng=3
            ).run()
            assert result == alone, profile


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    market=random_markets(),
    mechanism=st.sampled_from(MECHANISMS),
    T=st.integers(2 * SHARED_LENGTH, 4 * SHARED_LENGTH),
    eps=st.floats(0.15, 0.4),
    seed=st.integers(0, 2**32 - 1),
    picks=st.lists(st.integers(0, 10**6), min_size=6, max_size=6),
)
def test_random_markets_give_the_same_results_with_shared_sums(
    market, mechanism, T, eps, seed, picks
):
    names = STRATEGIES.names()
    k = len(market[4])
    profiles = [tuple(names[(p + i) % len(names)] for i in range(k)) for p in picks]
    with tempfile.TemporaryDirectory() as folder:
        scenario = build(market, Path(folder), mechanism, T, eps)
        try:
            shared, plain, used = shared_and_plain(scenario, profiles, seed)
        except UserInputError:
            assume(False)  # horizon too short for this market
    event(f"long segments shared: {used > 0}")
    assert shared == plain
