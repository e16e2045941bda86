"""Mesa's own ``batch_run`` drives every game's model with ``rng=`` and plain parameters.

Each model takes its preset and settings as plain keyword values and its root seed as
``rng=`` (Mesa 3.5 passes ``rng=`` to every run), so ``mesa.batch_run`` sweeps them like any
Mesa model; its numbers equal those of the games' runs layer for the same seeds.
"""

from __future__ import annotations

import math

import mesa
import pytest

from market.delegation.model import DelegationMarket
from market.delegation.runs import run_profile
from market.rosa.model import RosaMarket
from market.ttc.model import TTCMarket
from market.ttc.runs import build_game, sweep_beta


@pytest.fixture(autouse=True)
def restore_start_method():
    """batch_run forces the 'spawn' start method process-wide; put the default back."""
    import multiprocessing

    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def test_batch_run_of_the_delegation_market_matches_the_runs_layer():
    rows = mesa.batch_run(
        DelegationMarket,
        parameters={"preset": "cao2026", "strategies": ["ours", "honest"], "T": 20_000},
        rng=[1, 2],  # Mesa's default max_steps (1000): a run takes about record_points (500)
        number_processes=1,
        display_progress=False,
    )
    assert len(rows) == 4
    for row in rows:
        expected = run_profile("cao2026", row["strategies"], row["rng"], T=20_000)
        assert row["user_utility"] == expected.user_utility
        assert row["queries"] == expected.queries_used


def test_batch_run_of_the_ttc_market_matches_the_beta_sweep():
    betas = [10.0, math.inf]
    rows = mesa.batch_run(
        TTCMarket,
        parameters={"preset": "intro-example", "beta": betas, "collect": True},
        rng=[3],
        max_steps=10_000,
        number_processes=1,
        display_progress=False,
    )
    swept = sweep_beta(build_game(preset="intro-example", beta=10.0).game, betas, seed=3).table
    assert [row["inefficiency"] for row in rows] == list(swept["poa"])


def test_batch_run_of_the_rosa_market_runs_with_rng():
    rows = mesa.batch_run(
        RosaMarket,
        parameters={"providers": 3, "dim": 2, "T": 300, "batch": 300, "learner": "elimination"},
        rng=[5, 6],
        max_steps=10,
        number_processes=1,
        display_progress=False,
    )
    assert [row["rng"] for row in rows] == [5, 6]
    again = RosaMarket(providers=3, dim=2, T=300, batch=300, learner="elimination", rng=5).run()
    assert rows[0]["regret"] == pytest.approx(again.regret, rel=0, abs=0)
