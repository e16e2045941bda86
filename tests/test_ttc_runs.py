"""The runs layer of the TTC game (market/ttc/runs.py): explicit parameters in, typed results
out, the same numbers the CLI prints."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from market.core.errors import UserInputError
from market.games import main
from market.ttc import runs
from market.ttc.results import Analysis, Comparison, Dynamics

ROOT = Path(__file__).resolve().parents[1]


def test_analyze_json_record_is_the_cli_json(capsys):
    spec = runs.build_game(preset="intro-example", beta=math.inf)
    analysis = runs.analyze(spec)  # the CLI's default seed is the run functions' (42)
    assert isinstance(analysis, Analysis)
    assert main(["ttc", "analyze", "--scenario", "intro-example", "--beta", "inf", "--json"]) == 0
    printed = capsys.readouterr().out
    assert json.dumps(analysis.json_record(), allow_nan=False) + "\n" == printed
    # Appendix A: provider 1 at high TTC, PoA 1.15 / 0.8
    assert analysis.equilibrium.levels[0] == 1
    assert analysis.equilibrium.poa == pytest.approx(1.4375)
    assert analysis.max_welfare.welfare == pytest.approx(1.15)
    assert analysis.pure_equilibria == 2


def test_dynamics_compare_and_sweep_records():
    game = runs.build_game(preset="intro-example", beta=200.0).game
    run = runs.dynamics(game, seed=3, users=0)
    assert isinstance(run, Dynamics) and run.seed == 3 and run.n_users == 0
    assert len(run.history) == run.steps + 1 and run.equilibrium_reached
    assert run.final.inefficiency == pytest.approx(1.4375, rel=1e-6)
    table = runs.compare(game).table.set_index("quantity")
    # market at (high, .): V = 0.55, p = 1.25; auction: 0.5, 0.9 (Appendix A, Eq. 10)
    assert table.loc["price", "game"] == pytest.approx(1.25, rel=1e-6)
    assert table.loc["price", "auction"] == pytest.approx(0.9)
    assert isinstance(runs.compare(game), Comparison)
    sweep = runs.sweep_beta(game, [1.0, 1e4], seed=1)
    assert sweep.seed == 1 and sweep.table["beta"].tolist() == [1.0, 1e4]
    assert sweep.table["poa"].iloc[-1] == pytest.approx(1.4375, rel=1e-6)


def test_heterogeneous_users_come_from_the_root_seed():
    game = runs.build_game(preset="intro-example", beta=20.0).game
    a = runs.user_population(game, users=30, spread=0.4, seed=5)
    b = runs.user_population(game, users=30, spread=0.4, seed=5)
    assert (a.quality_weight == b.quality_weight).all() and a.n_users == 30
    assert runs.user_population(game, users=0) is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "scenario"),
        ({"preset": "intro-example", "curves": "x.csv"}, "scenario"),
        ({"preset": "intro-example", "beta": 0.0}, "beta"),
        ({"preset": "intro-example", "margin": -1.0}, "margin"),
        ({"curves": "market/ttc/data/ttc_curves.csv"}, "curves"),
    ],
)
def test_build_game_errors_name_the_field(kwargs, field):
    with pytest.raises(UserInputError) as error:
        runs.build_game(**kwargs)
    assert error.value.field == field


def test_run_errors_name_the_field():
    game = runs.build_game(preset="intro-example").game
    with pytest.raises(UserInputError, match="dynamics"):
        runs.run_dynamics(game, rule="fixed-level")  # not a better-response rule
    with pytest.raises(UserInputError, match="users"):
        runs.user_population(game, users=-1)
    with pytest.raises(UserInputError, match="user-spread"):
        runs.user_population(game, users=3, spread=-0.1)
    with pytest.raises(UserInputError, match="max-profiles"):
        runs.analyze(game, max_profiles=-1)
    with pytest.raises(UserInputError, match="schedule"):
        runs.analyze(game, schedule="chaos")


# ---- Figure 2's count: one default seed everywhere, and its spread over seeds ----------------

FIGURE_2_SEEDS = range(40)


def readme_figure_2() -> re.Match:
    text = " ".join((ROOT / "README.md").read_text().split())
    found = re.search(
        r"gives Figure 2 on the digitised curves: (\d+) rounds to an equilibrium with seed (\d+), "
        r".*? over seeds 0-(\d+) the count is ([\d.]+) on average, (\d+) to (\d+), .*? PoA of "
        r"([\d.]+) are the same at every seed",
        text,
    )
    assert found, "the README's Figure 2 sentence changed: update this test with it"
    return found


def test_the_cli_python_and_the_dashboard_share_one_default_seed(capsys):
    from app.games.ttc import TTCSettings

    assert int(TTCSettings().seed) == runs.DEFAULT_SEED
    argv = ["ttc", "analyze", "--scenario", "gsm8k-best-of-n", "--beta", "1000", "--json"]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["seed"] == runs.DEFAULT_SEED
    assert printed["equilibrium"]["steps"] == runs.dynamics("gsm8k-best-of-n").steps


def test_the_readme_states_figure_2s_count_and_its_spread_as_the_code_gives_them():
    found = readme_figure_2()
    steps, seed, last_seed, mean, low, high, poa = found.groups()
    assert int(seed) == runs.DEFAULT_SEED and int(last_seed) == FIGURE_2_SEEDS[-1]
    assert runs.steps_to_rest("gsm8k-best-of-n", [int(seed)]).tolist() == [int(steps)]
    spread = runs.steps_to_rest("gsm8k-best-of-n", FIGURE_2_SEEDS)
    assert f"{spread.mean():.1f}" == mean
    assert (spread.min(), spread.max()) == (int(low), int(high))
    inefficiencies = {
        round(runs.run_dynamics("gsm8k-best-of-n", seed=s, collect=False).state.inefficiency, 2)
        for s in FIGURE_2_SEEDS
    }
    assert inefficiencies == {float(poa)}


def test_steps_to_rest_is_each_seeds_dynamics():
    seeds = [0, 5, 42]
    expected = [runs.dynamics("intro-example", seed=s).steps for s in seeds]
    assert runs.steps_to_rest("intro-example", seeds).tolist() == expected
