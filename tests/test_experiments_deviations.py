"""The Theorem 5.2 check on the experiment engine (kind ``delegation/deviations``).

Its search points at every seed are runs kept in a store: the check is the same in memory, on
two workers in many small chunks and read back from a store, and a second call with the same
store computes nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import market.delegation.theorem as theorem
from agents.delegation.actions import LengthReport
from agents.delegation.families import ExploitationDeviation
from market.delegation.runs import run_profile

SMALL = str(Path(__file__).parent / "data" / "small_scenario.toml")
SETTINGS = {"T": 100_000, "seeds": 2, "seed": 11, "grid": 6}


@pytest.fixture
def computed(monkeypatch):
    """Runs computed by each of the check's experiments."""
    counts: list[int] = []
    execute = theorem.execute

    def counting(*args, **kwargs):
        outcome = execute(*args, **kwargs)
        counts.append(outcome.computed)
        return outcome

    monkeypatch.setattr(theorem, "execute", counting)
    return counts


def same_check(a, b) -> None:
    assert (a.provider, a.ours_utility, a.slack, a.best_report) == (
        b.provider,
        b.ours_utility,
        b.slack,
        b.best_report,
    )
    pd.testing.assert_frame_equal(a.points, b.points)


@pytest.mark.slow
def test_the_check_is_the_same_from_a_store_on_two_workers_in_small_chunks(
    tmp_path, monkeypatch, computed
):
    plain = theorem.theorem52_check(SMALL, **SETTINGS)
    rounds = len(computed)
    assert rounds >= 3 and all(c > 0 for c in computed)  # "ours", the grid, refinements
    monkeypatch.setenv("LLM_MARKET_CHUNK_SECONDS", "0.00001")  # one run per chunk
    store = tmp_path / "d.db"
    same_check(theorem.theorem52_check(SMALL, **SETTINGS, jobs=2, store=store), plain)
    same_check(theorem.theorem52_check(SMALL, **SETTINGS, store=store), plain)
    assert computed[rounds : 2 * rounds] == computed[:rounds]
    assert computed[2 * rounds :] == [0] * rounds  # read back from the store
    with sqlite3.connect(store) as con:
        runs, rows = con.execute(
            "SELECT (SELECT COUNT(*) FROM runs), (SELECT COUNT(*) FROM delegation_deviations)"
        ).fetchone()
    assert runs == rows == sum(computed[:rounds]) == (len(plain.points) + 1) * 2


def test_a_stored_deviation_is_the_run_it_names(tmp_path):
    store = tmp_path / "d.db"
    check = theorem.theorem52_check(SMALL, **SETTINGS, store=store)
    with sqlite3.connect(store) as con:
        row = con.execute(
            "SELECT d.seed, d.model, d.report, d.amount, d.provider_utility FROM "
            "delegation_deviations d WHERE d.report != 'ours' ORDER BY d.provider_utility DESC"
        ).fetchone()
    seed, model, mode, amount, utility = row
    profile = ["ours", "ours"]
    profile[check.provider - 1] = ExploitationDeviation(model, LengthReport(mode, amount))
    result = run_profile(SMALL, profile, seed, T=SETTINGS["T"])
    assert result.providers[check.provider - 1].provider_utility == utility
