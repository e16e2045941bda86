"""ROSA's truthfulness curve and monotonicity survey on the experiment engine.

Their markets are runs of the kind ``rosa/allocations``. A market's rounds served must not
depend on which markets share its batch (the engine's chunks are batches), so the curve and the
survey are the same with or without a store, on one or two workers, in one chunk or in many; a
second call with the same store computes nothing.
"""

from __future__ import annotations

import dataclasses
import sqlite3

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import market.rosa.experiments as rosa_experiments
from market.rosa import runs
from market.rosa.batches import market_allocations
from market.rosa.scenarios import RosaSetting, get_setting

SMALL = {"providers": 3, "dim": 2}
GRID = np.linspace(0.0, 0.5, 6)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    learner=st.sampled_from(["elimination", "active-set", "linucb", "explore-then-commit"]),
    T=st.integers(1, 300),
    markets=st.lists(
        st.tuples(st.integers(0, 2), st.lists(st.floats(0.0, 0.5), min_size=3, max_size=3)),
        min_size=1,
        max_size=8,
    ),
    cut=st.integers(1, 7),
)
def test_a_markets_counts_do_not_depend_on_its_batch(seed, learner, T, markets, cut):
    setting = RosaSetting(T=T, learner=learner, **SMALL)
    environments = np.array([e for e, _ in markets])
    bids = np.array([b for _, b in markets])
    together = market_allocations(setting, seed, environments, bids)
    alone = [
        market_allocations(setting, seed, environments[m : m + 1], bids[m : m + 1])
        for m in range(len(markets))
    ]
    np.testing.assert_array_equal(together, np.concatenate(alone))
    reverse = market_allocations(setting, seed, environments[::-1], bids[::-1])[::-1]
    np.testing.assert_array_equal(together, reverse)
    head = market_allocations(setting, seed, environments[:cut], bids[:cut])
    np.testing.assert_array_equal(together[:cut], head)
    assert np.all(together.sum(axis=1) == T)  # every round serves exactly one provider


def truthfulness(**engine):
    setting = get_setting(T=300, **SMALL)
    return runs.truthfulness_curve(setting, 5, 2, GRID, 12, **engine)


def survey(**engine):
    setting = get_setting(T=200, **SMALL)
    return runs.monotonicity_survey(setting, 4, 3, 5, ("linucb", "elimination"), **engine)


@pytest.fixture
def many_chunks(monkeypatch):
    """Chunks of one market (no floor, a tiny time target): the most batch boundaries."""
    kind = dataclasses.replace(rosa_experiments.ALLOCATIONS, min_chunk_runs=1)
    monkeypatch.setattr(rosa_experiments, "ALLOCATIONS", kind)
    monkeypatch.setenv("LLM_MARKET_CHUNK_SECONDS", "0.00001")


@pytest.fixture
def computed(monkeypatch):
    """Counts the runs each experiment computed (the engine's outcome)."""
    counts: list[int] = []
    execute = rosa_experiments.execute

    def counting(*args, **kwargs):
        outcome = execute(*args, **kwargs)
        counts.append(outcome.computed)
        return outcome

    monkeypatch.setattr(rosa_experiments, "execute", counting)
    return counts


@pytest.mark.slow
def test_the_curve_is_the_same_in_many_chunks_on_two_workers_and_from_a_store(
    tmp_path, many_chunks, computed
):
    plain = truthfulness()
    assert computed == [plain.simulated_rows]
    store = tmp_path / "t.db"
    assert truthfulness(store=store, jobs=2) == plain
    assert truthfulness(store=store) == plain
    assert computed[1:] == [plain.simulated_rows, 0]  # the second call redraws from the store


@pytest.mark.slow
def test_the_survey_is_the_same_in_many_chunks_on_two_workers_and_from_a_store(
    tmp_path, many_chunks, computed
):
    plain = survey()
    store = tmp_path / "m.db"
    assert survey(store=store, jobs=2) == plain
    assert survey(store=store) == plain
    assert computed[0] == computed[1] > 0 and computed[2] == 0
    with sqlite3.connect(store) as con:
        runs_, rows = con.execute(
            "SELECT (SELECT COUNT(*) FROM runs), (SELECT COUNT(*) FROM rosa_allocations)"
        ).fetchone()
    assert runs_ == computed[1] and rows == 3 * runs_  # one row per provider, no run twice


@pytest.mark.slow
def test_one_and_two_workers_store_identical_tables(tmp_path, many_chunks):
    tables = []
    for jobs in (1, 2):
        store = tmp_path / f"{jobs}.db"
        survey(store=store, jobs=jobs)
        with sqlite3.connect(store) as con:
            tables.append(
                con.execute(
                    "SELECT e.position, t.* FROM experiment_runs e JOIN rosa_allocations t "
                    'ON t.run_key = e.run_key ORDER BY e.position, t."row"'
                ).fetchall()
            )
    assert tables[0] == tables[1]


def test_markets_are_keyed_by_their_configuration_so_other_curves_reuse_them(tmp_path, computed):
    store = tmp_path / "t.db"
    setting = get_setting(T=300, **SMALL)
    short = runs.truthfulness_curve(setting, 5, 2, GRID, 12, store=store)
    # 7 bids x 12 runs x 2 flag outcomes, of which the flagged ones do not depend on the bid
    assert short.simulated_rows < 7 * 12 * 2
    longer = runs.truthfulness_curve(setting, 5, 2, GRID, 20, store=store)
    assert computed[0] == short.simulated_rows
    # runs 0..11 draw the same coins in both, so their markets come from the store
    assert 0 < computed[1] <= longer.simulated_rows - short.simulated_rows
    assert longer == runs.truthfulness_curve(setting, 5, 2, GRID, 20)
