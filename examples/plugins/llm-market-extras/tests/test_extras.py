"""The example plugin, installed: its entries are found, run and behave as documented."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from agents.delegation.strategies import STRATEGIES, first_served_at_fraction
from market.delegation.model import DelegationMarket
from mechanisms.delegation import EXPLOITATION, EXPLORATION, MECHANISMS

from llm_market_extras.mechanisms import ExploreThenCommitT23, textbook_exploration_size
from llm_market_extras.strategies import HONEST_SHARE, HonestThenSecondBest

T = 20_000


def finished(strategies: str, mechanism: str = "second-best", rng: int = 3) -> DelegationMarket:
    model = DelegationMarket(
        "cao2026-paper", strategies=strategies, T=T, mechanism=mechanism, rng=rng
    )
    model.run()
    return model


def test_the_entry_points_put_the_classes_in_the_registries():
    assert STRATEGIES.get(HonestThenSecondBest.name) is HonestThenSecondBest
    assert MECHANISMS.get(ExploreThenCommitT23.name) is ExploreThenCommitT23


def test_honest_for_the_first_half_of_exploitation_then_second_best():
    model = finished(HonestThenSecondBest.name)
    exploit = [s for s in model.platform.served_so_far() if s.phase == EXPLOITATION]
    honest, second_best = exploit
    assert not (honest.cheaper_model or honest.inflated_length)
    assert second_best.inflated_length and honest.end == second_best.start
    length = second_best.end - honest.start
    assert honest.end - honest.start == first_served_at_fraction(HONEST_SHARE, length)


def test_it_earns_less_than_theorem_5_2_s_strategy_and_more_than_honest():
    utility = {
        name: finished(name).result().providers[0].provider_utility
        for name in ("honest", HonestThenSecondBest.name, "ours")
    }
    assert finished("ours").result().chosen == 1  # provider 1 is i*, exploring alike in all
    assert utility["honest"] < utility[HonestThenSecondBest.name] < utility["ours"]


@pytest.mark.parametrize("horizon", [10, 1_000, 20_000, 10**6])
@pytest.mark.parametrize("providers", [2, 3, 7])
def test_textbook_exploration_fits_the_horizon_and_grows_as_t_to_the_two_thirds(horizon, providers):
    size = textbook_exploration_size(horizon, providers)
    assert 1 <= size and providers * size <= horizon
    bigger = textbook_exploration_size(8 * horizon, providers)
    if size < horizon // providers:  # not capped: (8T)^(2/3) = 4 T^(2/3), up to the ceilings
        assert 4 * size - 4 <= bigger <= 4 * size


def test_the_mechanism_explores_its_own_b_and_commits_the_rest():
    model = finished("honest", mechanism=ExploreThenCommitT23.name)
    B = textbook_exploration_size(T, len(model.providers))
    assert model.result().B == B
    served = model.platform.served_so_far()
    assert [s.end - s.start for s in served if s.phase == EXPLORATION] == [B] * 3
    (commit,) = [s for s in served if s.phase == EXPLOITATION]
    assert commit.end == T and commit.start == 3 * B


def test_the_cli_runs_both():
    argv = ["delegation", "run", "--scenario", "cao2026-paper", "--T", str(T), "--json"]
    argv += ["--strategies", f"{HonestThenSecondBest.name},ours,honest"]
    argv += ["--mechanism", ExploreThenCommitT23.name]
    done = subprocess.run(
        [sys.executable, "-m", "market", *argv], capture_output=True, text=True, check=True
    )
    out = json.loads(done.stdout)
    assert out["mechanism"] == ExploreThenCommitT23.name
    assert out["providers"][0]["strategy"] == HonestThenSecondBest.name
