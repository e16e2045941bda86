"""ROSA's regret curve on the experiment engine: the same curve with or without a store,
on any number of workers and however the runs are chunked; a ROSA grid file runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from market.games import main
from market.rosa.runs import regret_curve
from market.rosa.scenarios import get_setting

SETTING = {"providers": 3, "dim": 2, "T": 800}


def curve(**engine):
    return regret_curve(get_setting("patra2026", **SETTING), 7, [200, 800], 3, **engine)


def same(a, b) -> None:
    for name in ("regret", "user_utility", "clairvoyant_utility"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in ("trajectory_rounds", "trajectory_regret", "trajectory_surplus"):
        assert getattr(a, name) == getattr(b, name)


@pytest.mark.slow
def test_regret_curve_is_the_same_from_a_store_and_in_small_chunks(tmp_path, monkeypatch):
    plain = curve()
    monkeypatch.setenv("LLM_MARKET_CHUNK_SECONDS", "0.0001")  # one run per chunk
    stored = curve(store=tmp_path / "r.db", jobs=2)
    again = curve(store=tmp_path / "r.db")
    same(stored, plain)
    same(again, plain)


def test_a_rosa_grid_runs_every_setting(tmp_path, capsys):
    grid = tmp_path / "r.toml"
    grid.write_text(
        'game = "rosa"\nkind = "regret"\nseeds = 2\n[grid]\nlearner = ["elimination", "linucb"]\n'
        "T = [200, 400]\nproviders = 3\ndim = 2\n"
    )
    assert main(["experiment", "run", str(grid), "--store", str(tmp_path / "s.db"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == 2 * 2 * 2
