"""The empirical game: payoff tables, better-response moves, the graph's sinks, the dynamics.

Synthetic payoff tables (random means and standard errors) test the better-response logic
against brute force; small real tables test the store, the Mesa model and the CLI.
"""

import itertools
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.delegation.better_response import Alternative, RevisionView, improving_moves, revise
from agents.delegation.strategies import BetterResponse, strategy
from market.core.errors import UserInputError
from market.core.providers import provider_column
from market.delegation.metagame import (
    MetagameMarket,
    basins,
    better_response_graph,
    graph_sinks,
    revision_view,
)
from market.delegation.payoffs import PayoffTable, payoff_table, table_from_sweep
from market.games import main

SMALL = str(Path(__file__).parent / "data" / "small_scenario.toml")
NAMES = ("ours", "honest", "dishonest-all")  # real names: the model builds BetterResponse


def synthetic_table(seed: int, K: int = 3, names=NAMES, ties: bool = False) -> PayoffTable:
    rng = np.random.default_rng(seed)
    profiles = tuple(itertools.product(names, repeat=K))
    if ties:  # few distinct values: many exact ties
        mean = rng.integers(0, 3, size=(len(profiles), K)).astype(float)
    else:
        mean = rng.normal(size=(len(profiles), K))
    return PayoffTable(
        settings={"scenario": "synthetic"},
        strategies=names,
        providers=tuple(f"p{k + 1}" for k in range(K)),
        profiles=profiles,
        provider_mean=mean,
        provider_se=rng.uniform(0, 0.3, size=(len(profiles), K)),
        user_mean=rng.normal(size=len(profiles)),
        user_se=np.zeros(len(profiles)),
        u_sb=1.0,
        u_fb=2.0,
    )


def has_improving_move(table, profile, tolerance, z) -> bool:
    """Brute force: any provider, any other strategy, gain above the required margin."""
    for k in range(table.K):
        current = table.index(profile)
        for name in table.strategies:
            if name == profile[k]:
                continue
            other = list(profile)
            other[k] = name
            row = table.index(other)
            gain = table.provider_mean[row, k] - table.provider_mean[current, k]
            spread = np.hypot(table.provider_se[row, k], table.provider_se[current, k])
            if gain > tolerance + z * spread:
                return True
    return False


# ---- better-response moves ----------------------------------------------------------------


def test_revision_by_hand():
    view = RevisionView(
        1, "b", (Alternative("a", 1.0, 0.1), Alternative("b", 0.5, 0.1), Alternative("c", 2.0, 1.0))
    )
    rng = np.random.default_rng(0)
    assert revise(view, "best", rng) == "c"  # gain 1.5 beats a's 0.5
    # z = 1: c needs 1.5 > hypot(0.1, 1.0) = 1.005 (yes); a needs 0.5 > 0.141 (yes)
    assert {m.strategy for m in improving_moves(view, z=1.0)} == {"a", "c"}
    # z = 2: c needs 1.5 > 2.01 (no): only a
    assert revise(view, "best", rng, z=2.0) == "a"
    assert revise(view, "best", rng, tolerance=2.0) == "b"  # nothing gains more than 2
    assert {revise(view, "random", np.random.default_rng(s)) for s in range(40)} == {"a", "c"}


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    tolerance=st.sampled_from([0.0, 0.1, 0.5]),
    z=st.sampled_from([0.0, 1.0, 2.0]),
    rule=st.sampled_from(["best", "random"]),
    ties=st.booleans(),
)
def test_a_revision_never_lowers_the_movers_estimated_payoff(seed, tolerance, z, rule, ties):
    table = synthetic_table(seed % 1000, ties=ties)
    rng = np.random.default_rng(seed)
    profile = table.profiles[int(rng.integers(len(table.profiles)))]
    for k in range(1, table.K + 1):
        view = revision_view(table, profile, k)
        assert view.provider == k and view.current == profile[k - 1]
        after = revise(view, rule, rng, tolerance, z)
        before = view.payoff(view.current)
        if after != view.current:
            chosen = view.payoff(after)
            spread = np.hypot(before.standard_error, chosen.standard_error)
            assert chosen.utility - before.utility > tolerance + z * spread >= 0
        if rule == "best" and after != view.current:  # and it is the largest gain
            assert chosen.utility == max(a.utility for a in view.alternatives)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 999),
    tolerance=st.sampled_from([0.0, 0.3]),
    z=st.sampled_from([0.0, 1.5]),
    ties=st.booleans(),
)
def test_the_graphs_sinks_are_exactly_the_profiles_without_an_improving_move(
    seed, tolerance, z, ties
):
    table = synthetic_table(seed, ties=ties)
    graph = better_response_graph(table, tolerance, z)
    brute = {"|".join(p) for p in table.profiles if not has_improving_move(table, p, tolerance, z)}
    assert set(graph_sinks(graph)) == brute
    for a, b, data in graph.edges(data=True):  # every edge is one provider's improving move
        pa, pb = a.split("|"), b.split("|")
        k = data["provider"] - 1
        assert [i for i in range(table.K) if pa[i] != pb[i]] == [k]
        gain = table.utility(pb, k + 1) - table.utility(pa, k + 1)  # providers from 1
        assert gain == pytest.approx(data["gain"])
        assert data["gain"] > tolerance


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 999), rule=st.sampled_from(["best", "random"]))
def test_dynamics_end_at_a_sink_and_replay_from_one_seed(seed, rule):
    table = synthetic_table(seed, ties=True)
    start = table.profiles[seed % len(table.profiles)]
    runs = [MetagameMarket(table=table, start=start, rule=rule, rng=seed).run() for _ in range(2)]
    first, second = runs
    assert first.trace().equals(second.trace()) and first.moves == second.moves
    for move in first.moves:  # no move lowers the mover's estimated payoff
        assert move.gain > 0
    sinks = set(graph_sinks(better_response_graph(table)))
    if first.equilibrium_reached:
        assert "|".join(first.profile) in sinks
        assert not has_improving_move(table, first.profile, 0.0, 0.0)
    else:
        assert first.plays == first.max_plays
    shares = basins(table, rule, seed=seed)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert set(shares) - {None} <= sinks


def test_a_sink_start_stops_at_once():
    table = synthetic_table(3, ties=True)
    sink = graph_sinks(better_response_graph(table))[0]
    model = MetagameMarket(table=table, start=sink.split("|"), rng=1).run()
    assert model.plays == 1 and model.equilibrium_reached and not model.moves


def test_the_data_collector_numbers_providers_from_1_and_replays_the_moves():
    table = synthetic_table(5)
    start = ("honest", "honest", "dishonest-all")
    model = MetagameMarket(table=table, start=start, max_plays=12, rng=2).run()
    assert model.moves  # every provider revises at least once in these plays
    frame = model.datacollector.get_model_vars_dataframe()
    per_provider = [provider_column(q, k) for k in (1, 2, 3) for q in ("strategy", "utility")]
    assert list(frame.columns) == ["step", "profile", "user_utility", *per_provider]
    assert frame["step"].tolist() == list(range(1, model.plays + 1))
    profile = list(start)
    for play, row in zip(frame["step"], frame.to_dict("records"), strict=True):
        assert [row[provider_column("strategy", k)] for k in (1, 2, 3)] == profile
        assert row["profile"] == "|".join(profile)
        for k in (1, 2, 3):
            assert row[provider_column("utility", k)] == table.utility(profile, k)
        for move in (m for m in model.moves if m.play == play):
            profile[move.provider - 1] = move.after
    assert tuple(profile) == model.profile
    with pytest.raises(UserInputError, match="numbered from 1"):
        revision_view(table, start, 0)


def test_bad_starts_and_rules_are_user_errors():
    table = synthetic_table(0)
    with pytest.raises(UserInputError, match="start"):
        MetagameMarket(table=table, start="ours,honest")
    with pytest.raises(UserInputError, match="start"):
        MetagameMarket(table=table, start="ours,honest,zzz")
    with pytest.raises(UserInputError, match="rule"):
        MetagameMarket(table=table, rule="worst")
    with pytest.raises(UserInputError, match="tolerance"):
        BetterResponse(tolerance=-1)
    with pytest.raises(UserInputError, match="start"):
        BetterResponse(start="better-response")


def test_better_response_plays_its_start_strategy_within_a_play():
    from agents.delegation.strategies import ProviderView

    view = ProviderView(
        phase="exploitation",
        rules="paper",
        price=0.5,
        costs=(0.5, 0.125),
        mean_reward=(40.0, 30.0),
        mean_length=(10.0, 20.0),
        truthful_model=0,
        max_length=100,
        u_prime=15.0,
    )
    assert BetterResponse().decide(view) == strategy("honest").decide(view)
    assert BetterResponse(start="ours").decide(view) == strategy("ours").decide(view)


# ---- payoff tables and the cache ----------------------------------------------------------


class FakeSweep:
    """The two fields of a SweepResult that a payoff table reads."""

    def __init__(self, settings, profiles):
        self.settings, self.profiles = settings, profiles


def test_payoff_table_means_and_standard_errors_by_hand():
    import pandas as pd

    rows = []
    # profile x|y, two seeds: provider 1 earns 1 and 3 (mean 2, SD sqrt(2), SE 1),
    # provider 2 earns 0 and 0; user utilities 10+1 and 20+3 (totals 11, 23: mean 17, SE 6)
    for seed, (u1, user1, user2) in zip((5, 6), ((1.0, 10.0, 1.0), (3.0, 20.0, 3.0)), strict=True):
        rows.append(("x|y", seed, 1, "x", u1, user1, 7))
        rows.append(("x|y", seed, 2, "y", 0.0, user2, 7))
    frame = pd.DataFrame(
        rows,
        columns=[
            "profile",
            "seed",
            "provider",
            "strategy",
            "provider_utility",
            "user_utility",
            "delegations",
        ],
    )
    settings = {
        "strategies": ["x", "y"],
        "providers": ["p1", "p2"],
        "replicate_seeds": [5, 6],
        "u_sb": 1.0,
        "u_fb": 2.0,
    }
    table = table_from_sweep(FakeSweep(settings, frame))
    assert table.profiles == (("x", "y"),)
    assert table.provider_mean[0].tolist() == [2.0, 0.0]
    assert table.provider_se[0].tolist() == [1.0, 0.0]
    assert table.user_mean[0] == 17.0 and table.user_se[0] == pytest.approx(6.0)


def test_payoff_table_runs_are_kept_in_the_store_and_read_back(tmp_path):
    store = tmp_path / "payoffs.db"
    kwargs = dict(T=5000, seeds=2, seed=7, strategies=["ours", "honest", "dishonest-all"])
    first, cached = payoff_table(SMALL, store=store, **kwargs)
    assert not cached and store.is_file()
    second, cached = payoff_table(SMALL, store=store, **kwargs)
    assert cached
    np.testing.assert_array_equal(first.provider_mean, second.provider_mean)
    np.testing.assert_array_equal(first.user_se, second.user_se)
    # another configuration adds its own runs to the same store; one seed is the root seed
    _, cached = payoff_table(SMALL, store=store, **(kwargs | {"seeds": 1}))
    assert not cached
    with sqlite3.connect(store) as con:
        assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 9 * 2 + 9
    # the same runs in memory give the same table
    fresh, cached = payoff_table(SMALL, use_store=False, **kwargs)
    assert not cached
    np.testing.assert_array_equal(first.provider_mean, fresh.provider_mean)
    # honest earns exactly zero in every profile
    honest = [i for i, p in enumerate(first.profiles) if p[0] == "honest"]
    assert (first.provider_mean[honest, 0] == 0).all()


def test_the_default_store_is_in_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    _, cached = payoff_table(SMALL, T=5000, seed=3, strategies=["ours", "honest"])
    assert not cached
    assert (tmp_path / "xdg" / "llm-market" / "delegation" / "payoffs.db").is_file()
    assert payoff_table(SMALL, T=5000, seed=3, strategies=["ours", "honest"])[1]


def test_a_damaged_store_is_a_one_line_error(tmp_path):
    damaged = tmp_path / "payoffs.db"
    damaged.write_text("not a store")
    with pytest.raises(UserInputError) as error:
        payoff_table(SMALL, T=5000, store=damaged, strategies=["ours", "honest"])
    assert error.value.field == "store" and "\n" not in str(error.value)


# ---- the CLI ------------------------------------------------------------------------------


@pytest.mark.slow
def test_metagame_cli_json_and_files(tmp_path, capsys):
    out = tmp_path / "meta"
    args = ["delegation", "metagame", "--scenario", SMALL, "--T", "5000", "--seeds", "2"]
    args += ["--cache", str(tmp_path / "cache"), "--out", str(out), "--json"]
    assert main(args) == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    assert {"u_sb", "u_fb", "sinks"} <= set(data)
    assert data["sinks"], "a finite game's better-response graph without cycles has a sink"
    for sink in data["sinks"]:
        assert len(sink["profile"]) == 2 and len(sink["provider_utility"]) == 2
        assert {"user_utility", "basin"} <= set(sink)
    assert sum(s["basin"] for s in data["sinks"]) + data["cycling_share"] == pytest.approx(1)
    for name in ("payoffs.csv", "graph.graphml", "graph.png", "sinks.csv", "dynamics.csv"):
        assert (out / name).is_file()
    assert data["theorem_5_2"]["within_slack"] in (True, False)
    # the second call reads the payoff table from the cache
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["payoffs_from_cache"] is True


@pytest.mark.parametrize(
    ("extra", "word"),
    [
        (["--start", "ours,nope"], "start"),
        (["--start", "ours,ours,ours"], "start"),
        (["--rule", "greedy"], "rule"),
        (["--z", "-1"], "z"),
        (["--seeds", "0"], "seeds"),
    ],
)
def test_metagame_cli_errors_are_one_line(tmp_path, capsys, extra, word):
    out = tmp_path / "out"
    args = ["delegation", "metagame", "--scenario", SMALL, "--T", "5000", "--no-theorem-check"]
    args += ["--cache", str(tmp_path / "cache"), "--out", str(out), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and word in err[0]
    assert not out.exists()


@pytest.mark.slow
def test_the_metagame_reuses_a_sweeps_runs_in_a_store(tmp_path, capsys):
    store = str(tmp_path / "runs.db")
    sweep = ["delegation", "sweep", "--scenario", SMALL, "--T", "5000", "--seeds", "2"]
    assert main([*sweep, "--store", store, "--out", str(tmp_path / "sweep")]) == 0
    meta = ["delegation", "metagame", "--scenario", SMALL, "--T", "5000", "--seeds", "2"]
    meta += ["--store", store, "--out", str(tmp_path / "m")]
    capsys.readouterr()
    assert main([*meta, "--json"]) == 0
    settings = json.loads(capsys.readouterr().out)["settings"]
    assert settings["payoffs_from_cache"] is True and settings["payoff_store"] == store
    # the Theorem 5.2 check's runs are kept too: a second call computes nothing
    with sqlite3.connect(store) as con:
        (deviations,) = con.execute("SELECT COUNT(*) FROM delegation_deviations").fetchone()
    assert deviations > 0
    assert main(meta) == 0
    out = capsys.readouterr().out
    assert "from the cache" in out and f"Runs kept in the store {store}" in out
    with sqlite3.connect(store) as con:
        assert con.execute("SELECT COUNT(*) FROM delegation_deviations").fetchone()[0] == deviations


@pytest.mark.parametrize(
    ("extra", "word"),
    [
        (["--cache", "c", "--store", "s.db"], "cache"),
        (["--no-store", "--store", "s.db"], "no-store"),
    ],
)
def test_store_options_that_contradict_are_one_line_errors(tmp_path, capsys, extra, word):
    args = ["delegation", "metagame", "--scenario", SMALL, "--T", "5000"]
    assert main([*args, "--out", str(tmp_path / "out"), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and word in err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_metagame_reuses_a_sweeps_table(tmp_path, capsys):
    cache = str(tmp_path / "cache")
    sweep = ["delegation", "sweep", "--scenario", SMALL, "--T", "5000", "--seeds", "2"]
    assert main([*sweep, "--cache", cache, "--out", str(tmp_path / "sweep")]) == 0
    meta = ["delegation", "metagame", "--scenario", SMALL, "--T", "5000", "--seeds", "2"]
    meta += ["--no-theorem-check", "--cache", cache, "--out", str(tmp_path / "m"), "--json"]
    capsys.readouterr()
    assert main(meta) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["payoffs_from_cache"] is True


def test_better_response_in_a_plain_run_plays_honest(capsys):
    # One play cannot be revised: a better-response provider plays its start strategy.
    args = ["delegation", "run", "--scenario", "cao2026", "--T", "30000", "--json"]
    assert main([*args, "--strategies", "better-response,ours,ours"]) == 0
    first = json.loads(capsys.readouterr().out)["providers"][0]
    assert first["strategy"] == "better-response" and first["provider_utility"] == 0.0
    assert main([*args, "--strategies", "honest,ours,ours"]) == 0
    honest = json.loads(capsys.readouterr().out)["providers"][0]
    assert first["user_utility"] == honest["user_utility"]
