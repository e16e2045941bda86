"""The front door for Python: games by name, grids and stores, and tournaments.

``market.load_game`` builds every game's model by name; ``market.run_grid`` is ``llm-market
experiment run`` and ``market.open_store(...).table`` is ``llm-market results --table``, row for
row; ``market.Tournament`` ranks the delegation strategies as the paper's Figure 2 does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import market
from market.core.errors import UserInputError
from market.core.output import csv_bytes
from market.games import GAMES, main

ROOT = Path(__file__).resolve().parents[1]
TTC_GRID = {
    "game": "ttc",
    "kind": "equilibria",
    "seed": 3,
    "grid": {"preset": ["intro-example", "gsm8k-best-of-n"], "beta": [1, "inf"], "users": [0, 20]},
}


def toml_text(mapping: dict) -> str:
    """A grid mapping as a TOML file (JSON's strings, numbers and arrays are TOML's too)."""
    top = [f"{key} = {json.dumps(value)}" for key, value in mapping.items() if key != "grid"]
    grid = [f"{key} = {json.dumps(value)}" for key, value in mapping.get("grid", {}).items()]
    return "\n".join([*top, "[grid]", *grid, ""])


def one_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text
    return text


# ---- the package stays cheap to import --------------------------------------------------


def test_importing_market_loads_neither_pandas_nor_mesa():
    code = (
        "import sys, market; market.__all__; "
        "print(sorted(m for m in ('pandas', 'mesa', 'market.api') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves_and_unknown_ones_raise():
    for name in market.__all__:
        assert getattr(market, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'lod_game'"):
        market.lod_game  # noqa: B018


# ---- load_game and game ---------------------------------------------------------------------


@pytest.mark.parametrize("description", GAMES, ids=lambda g: g.name)
def test_load_game_builds_every_games_model_and_it_steps(description):
    model = market.load_game(description.name, rng=5)
    assert isinstance(model, description.model)
    model.step()
    assert model.steps == 1


@pytest.mark.parametrize("description", GAMES, ids=lambda g: g.name)
def test_load_game_passes_the_preset_by_name(description):
    preset = description.scenarios.names()[1]
    model = market.load_game(description.name, preset=preset, rng=5)
    again = market.game(description.name).load(preset, rng=5)
    assert type(model) is type(again) is description.model


@pytest.mark.parametrize("description", GAMES, ids=lambda g: g.name)
def test_game_gives_the_descriptions_parts(description):
    handle = market.game(description.name)
    assert handle.model is description.model
    assert handle.presets is description.scenarios
    assert handle.strategies is description.strategies
    assert handle.mechanisms is description.mechanisms
    assert handle.runs is description.runs
    assert description.scenarios.names()[0] in repr(handle)


def test_unknown_games_and_parameters_are_one_line_errors_listing_what_exists():
    with pytest.raises(UserInputError) as error:
        market.load_game("chess")
    assert all(g.name in one_line(error.value) for g in GAMES)
    with pytest.raises(UserInputError) as error:
        market.game("chess")
    assert one_line(error.value).startswith("game: expected one of")
    with pytest.raises(UserInputError) as error:
        market.load_game("delegation", horizon=5)
    text = one_line(error.value)
    assert text.startswith("delegation: horizon: expected a parameter:") and "T," in text
    with pytest.raises(UserInputError):
        market.load_game("rosa", preset="no-such-preset")


# ---- grids and stores ------------------------------------------------------------------------


@pytest.mark.slow
def test_run_grid_from_a_mapping_equals_the_cli_run_of_the_same_file(tmp_path, capsys):
    done = market.run_grid(TTC_GRID, store=tmp_path / "python.db")
    assert (done.runs, done.computed, done.from_store) == (8, 8, 0)
    grid = tmp_path / "g.toml"
    grid.write_text(toml_text(TTC_GRID))
    cli_store = tmp_path / "cli.db"
    assert main(["experiment", "run", str(grid), "--store", str(cli_store), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["experiment"] == done.experiment and printed["runs"] == done.runs
    exported = tmp_path / "cli.csv"
    assert (
        main(["results", str(cli_store), "--table", "ttc_equilibria", "--export", str(exported)])
        == 0
    )
    frame = market.open_store(tmp_path / "python.db").table("ttc_equilibria")
    assert csv_bytes(frame, "%.17g") == exported.read_bytes()
    assert frame.equals(done.to_frame())
    assert frame.equals(market.open_store(tmp_path / "python.db").table("ttc/equilibria"))


def test_ttc_rows_name_their_preset_in_python_and_in_the_cli(tmp_path, capsys):
    store = tmp_path / "s.db"
    market.run_grid(TTC_GRID, store=store)
    frame = market.open_store(store).table("equilibria")
    assert list(frame.columns[2:4]) == ["preset", "game"]
    assert list(dict.fromkeys(frame["preset"])) == TTC_GRID["grid"]["preset"]
    assert frame.groupby("preset")["game"].nunique().eq(1).all()  # one game per preset
    argv = ["results", str(store), "--table", "ttc_equilibria", "--filter", "preset=intro-example"]
    assert main([*argv, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {row["preset"] for row in rows} == {"intro-example"}
    assert len(rows) == (frame["preset"] == "intro-example").sum()


def test_a_grid_run_again_comes_from_the_store(tmp_path):
    store = tmp_path / "s.db"
    market.run_grid(TTC_GRID, store=store)
    again = market.run_grid(TTC_GRID, store=store)
    assert (again.computed, again.from_store) == (0, 8)
    assert again.summary().startswith(f"experiment {again.experiment} (ttc/equilibria): 8 runs")
    experiments = market.open_store(store).experiments()
    assert list(experiments[["experiment", "done", "total"]].iloc[0]) == [again.experiment, 8, 8]
    assert market.open_store(store).tables() == ["ttc_equilibria"]


@pytest.mark.parametrize(
    "change",
    [
        {"grid": {"preset": "intro-example", "beta": []}},
        {"grid": {"preset": "intro-example", "horizon": 5}},
        {"seeds": "two"},
        {"game": "chess"},
        {"kind": "tournament"},
        {"colour": 1},
        {"grid": {"preset": "nowhere"}},
    ],
)
def test_a_mapping_is_checked_exactly_like_the_file(tmp_path, change):
    mapping = {**TTC_GRID, **change}
    grid = tmp_path / "g.toml"
    grid.write_text(toml_text(mapping))
    with pytest.raises(UserInputError) as from_file:
        market.run_grid(grid, store=tmp_path / "a.db")
    with pytest.raises(UserInputError) as from_mapping:
        market.run_grid(mapping, store=tmp_path / "b.db")
    assert one_line(from_mapping.value) == str(from_file.value).replace("g.toml", "mapping")
    assert not (tmp_path / "a.db").exists() and not (tmp_path / "b.db").exists()


def test_run_grid_needs_a_store_and_open_store_an_existing_one(tmp_path):
    with pytest.raises(UserInputError, match=r"^store: expected a store file"):
        market.run_grid(TTC_GRID, store=None)
    with pytest.raises(UserInputError, match=r"^store: expected an existing store file"):
        market.open_store(tmp_path / "missing.db")
    market.run_grid(TTC_GRID, store=tmp_path / "s.db")
    with pytest.raises(UserInputError, match=r"^table: expected one of ttc_equilibria"):
        market.open_store(tmp_path / "s.db").table("delegation_profiles")


# ---- tournaments -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paper_tournament():
    """Cao et al.'s Section 6 setting: the six strategies, T = 10^6, seed 42 (about 2 s)."""
    return market.Tournament().play()


def test_the_papers_strategy_ranks_first_and_honest_earns_nothing(paper_tournament):
    """Figure 2: "Our proposed strategy gets the highest utility"; honest earns exactly zero
    (Section 6.2: "the provider utility for this strategy is perpetually zero")."""
    scores = {score.name: score for score in paper_tournament.scores}
    assert paper_tournament.ranked_names[0] == "ours"
    assert scores["honest"].mean_utility == 0.0
    assert paper_tournament.settings["T"] == 1_000_000 and len(scores) == 6


def test_ours_honest_and_ours_honest_length_delegate_alike(paper_tournament):
    """Figure 2's caption: "The average delegations of ours, honest, ours-honest-token are the
    same"; each mean is over the other two providers' 6^2 profiles."""
    scores = {score.name: score for score in paper_tournament.scores}
    same = {scores[name].delegations for name in ("ours", "honest", "ours-honest-length")}
    assert len(same) == 1
    assert {score.matches for score in scores.values()} == {36}


def test_a_tiny_tournament_gives_ranked_names_a_frame_and_a_summary():
    result = market.Tournament(strategies="ours, honest", T=20_000, seeds=2, seed=7).play()
    assert sorted(result.ranked_names) == ["honest", "ours"]
    frame = result.to_frame()
    assert list(frame["name"]) == result.ranked_names and list(frame["rank"]) == [1, 2]
    assert frame["mean_utility"].is_monotonic_decreasing
    assert (frame["standard_error"] > 0).any()
    assert list(frame["matches"]) == [8, 8]  # the others' 2^2 profiles x 2 seeds
    line = result.summary()
    assert "\n" not in line and "1. " + result.ranked_names[0] in line
    assert json.loads(json.dumps(result.to_dict()))["ranked_names"] == result.ranked_names
    rest = result.dynamics(start="honest")
    assert rest.equilibrium_reached and "|".join(rest.profile) in result.equilibria()


def test_a_tournament_ranks_for_the_provider_asked_and_refuses_others(monkeypatch):
    from market.delegation import tournament

    result = market.Tournament(strategies=["ours", "honest"], T=20_000, provider=3).play()
    assert result.settings["provider"] == 3
    monkeypatch.setattr(tournament, "sweep", lambda *a, **k: pytest.fail("ran before refusing"))
    with pytest.raises(UserInputError, match=r"^provider: expected a provider from 1 to 3"):
        market.Tournament(strategies=["ours"], T=20_000, provider=4).play()
    with pytest.raises(UserInputError, match=r"^seeds: expected at most [\d,]+ replicate seeds"):
        market.Tournament(seeds=10**9).play()  # priced before anything is allocated
    monkeypatch.undo()
    with pytest.raises(UserInputError, match="strategies"):
        market.Tournament(strategies=["ours", "nice"], T=20_000).play()


def test_the_readme_s_python_example_runs_as_written(tmp_path, monkeypatch, capsys):
    """The first Python block under "## From Python" runs, and prints what it says it does."""
    text = (Path(__file__).parent.parent / "README.md").read_text()
    section = text[text.index("## From Python\n") :]
    block = section[
        section.index("```python\n") + 10 : section.index("\n```", section.index("```python"))
    ]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert namespace["result"].ranked_names[0] == "ours"  # Cao et al. (2026), Figure 2
    assert len(namespace["frame"]) > 100  # a step is a batch of queries, not the whole horizon
    assert any("4 runs" in line for line in printed)
    assert (tmp_path / "runs.sqlite").exists()


def test_a_beta_sweep_s_rows_in_the_store_name_their_preset(tmp_path):
    from market.ttc import runs

    store = tmp_path / "sweep.sqlite"
    runs.sweep_beta("intro-example", [1.0, 10.0], store=store)
    runs.sweep_beta(runs.build_game(preset="gsm8k-majority"), [1.0], store=store)
    table = market.open_store(store).table("ttc_equilibria")
    assert set(table["preset"]) == {"intro-example", "gsm8k-majority"}
