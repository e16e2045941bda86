"""Curves loader, the authors' economics, the intro example and the presets (market/ttc_data.py)."""

from __future__ import annotations

import hashlib
import math
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from market.core.errors import UserInputError
from market.ttc.curves import COLUMNS, CurveRow, load_curves, shipped_curves
from market.ttc.economy import ProfitNotIncreasingWarning, game_from_curves
from market.ttc.scenarios import SCENARIOS, CurvesScenario, get_scenario, intro_example
from mechanisms.ttc import PERFECT

HEADER = ",".join(COLUMNS)
GOOD_ROWS = [
    "GSM8K,A,False,best_of_n,1,0.5,100,0.1",
    "GSM8K,A,False,best_of_n,4,0.6,400,0.1",
    "GSM8K,B,False,best_of_n,1,0.7,200,0.2",
    "GSM8K,B,False,best_of_n,4,0.8,800,0.2",
]


def write(tmp_path: Path, rows, header=HEADER) -> Path:
    path = tmp_path / "curves.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


# --- the shipped data ---------------------------------------------------------------------------


def test_shipped_curves_shape_and_provenance():
    table = shipped_curves()
    assert table.approximate and "approximate" in table.source
    assert len(table) == 369
    assert table.benchmarks() == ["AIME", "GPQA", "GSM8K"]
    assert table.methods() == ["best_of_n", "majority", "reasoning_bin"]
    assert len(table.models("GSM8K", "best_of_n")) == 9
    assert len(table.models("AIME", "reasoning_bin")) == 3
    assert isinstance(table.rows()[0], CurveRow)
    data = resources.files("market.ttc.data")
    provenance = data.joinpath("TTC_CURVES_PROVENANCE.md").read_text()
    assert "approximate" in provenance
    digest = hashlib.sha256(data.joinpath("ttc_curves.csv").read_bytes()).hexdigest()
    assert digest in provenance  # the shipped file is the one the provenance note describes


def test_game_from_curves_by_hand():
    # GSM8K, Llama-3-8B, best-of-n, theta = 1: accuracy 0.65087, 191.8 tokens, $0.1455 / 1M.
    # q = 0.008 (0.1 + 0.9 x 0.65087) = 0.008 x 0.685783 = 0.005486264
    # p = 191.8 x 0.1455 / 1e6 = 27.9069 / 1e6 = 2.79069e-5;  c = p / 1.25 = 2.232552e-5
    # V = q - p = 0.0054583571
    game = game_from_curves(shipped_curves(), "GSM8K", "best_of_n", beta=1000.0)
    assert game.approximate and game.beta == 1000.0
    assert game.levels == (1.0, 4.0, 8.0, 16.0, 32.0, 64.0)
    i = game.providers.index("Llama-3-8B")
    assert math.isclose(game.quality[i, 0], 0.005486264, rel_tol=1e-12)
    assert math.isclose(game.price[i, 0], 2.79069e-5, rel_tol=1e-12)
    assert math.isclose(game.cost[i, 0], 2.232552e-5, rel_tol=1e-12)
    assert math.isclose(game.value[i, 0], 0.0054583571, rel_tol=1e-12)


def test_economics_options():
    # alpha = 1, b = 0: q = accuracy; margin = 1: c = p / 2; a model subset in the given order.
    game = game_from_curves(
        shipped_curves(),
        "GSM8K",
        "best_of_n",
        alpha=1.0,
        b=0.0,
        margin=1.0,
        v0=0.001,
        models=["Qwen2.5-7B", "Llama-3-8B"],
    )
    assert game.providers == ("Qwen2.5-7B", "Llama-3-8B")
    assert math.isclose(game.quality[1, 0], 0.65087)
    assert np.allclose(game.cost, game.price / 2)
    assert game.v0 == 0.001 and game.beta == PERFECT


@pytest.mark.parametrize(
    ("kwargs", "field", "listed"),
    [
        (dict(benchmark="MMLU", method="best_of_n"), "benchmark", "GSM8K"),
        (dict(benchmark="GSM8K", method="beam"), "method", "best_of_n"),
        (dict(benchmark="GSM8K", method="best_of_n", models=["GPT-9"]), "models", "Llama-3-8B"),
        (dict(benchmark="GSM8K", method="best_of_n", models=["Llama-3-8B"]), "models", "two"),
        (dict(benchmark="GSM8K", method="best_of_n", margin=0.0), "margin", "positive"),
        (dict(benchmark="GSM8K", method="best_of_n", alpha=-1.0), "alpha", "positive"),
        (dict(benchmark="GSM8K", method="best_of_n", beta=-2.0), "beta", "positive"),
    ],
)
def test_game_from_curves_user_errors(kwargs, field, listed):
    with pytest.raises(UserInputError) as error:
        game_from_curves(shipped_curves(), **kwargs)
    assert error.value.field == field
    assert listed in str(error.value)


def test_profit_not_increasing_warns_naming_provider_and_levels():
    # AIME reasoning bins: R1-D-Qwen-1.5B uses 1569.2 tokens in bin 1 but 1546.5 in bin 2, so
    # its profit p - c = 0.2 p falls from bin 1 to bin 2 (the paper's assumption 2 fails).
    with pytest.warns(ProfitNotIncreasingWarning, match=r"reason-R1-D-Qwen-1\.5B theta 1 -> 2"):
        get_scenario("aime-reasoning").build()


def test_gsm8k_best_of_n_satisfies_assumption_2():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        game = get_scenario("gsm8k-best-of-n").build()
    assert game.profit_violations() == []


# --- loader validation --------------------------------------------------------------------------


def test_load_good_file(tmp_path):
    table = load_curves(write(tmp_path, GOOD_ROWS))
    assert len(table) == 4 and not table.approximate
    game = game_from_curves(table, "GSM8K", "best_of_n")
    assert game.providers == ("A", "B") and not game.approximate
    # q_A(1) = 0.008 (0.1 + 0.9 x 0.5) = 0.0044; p_A(1) = 100 x 0.1 / 1e6 = 1e-5
    assert math.isclose(game.quality[0, 0], 0.0044) and math.isclose(game.price[0, 0], 1e-5)


@pytest.mark.parametrize(
    ("rows", "header", "field", "fragment"),
    [
        (GOOD_ROWS, HEADER.replace(",avg_tokens", ""), "curves columns", "avg_tokens"),
        (GOOD_ROWS, HEADER + ",extra", "curves columns", "extra"),
        (
            ["GSM8K,A,False,best_of_n,1,,100,0.1", *GOOD_ROWS[1:]],
            HEADER,
            "curves column accuracy",
            "line 2",
        ),
        (
            ["GSM8K,A,False,best_of_n,1,nan,100,0.1", *GOOD_ROWS[1:]],
            HEADER,
            "curves column accuracy",
            "line 2",
        ),
        (
            ["GSM8K,A,False,best_of_n,1,0.5,-100,0.1", *GOOD_ROWS[1:]],
            HEADER,
            "curves column avg_tokens",
            "positive",
        ),
        (
            ["GSM8K,A,False,best_of_n,1,0.5,100,-0.1", *GOOD_ROWS[1:]],
            HEADER,
            "curves column price_per_1m_tokens",
            "positive",
        ),
        (
            ["GSM8K,A,False,best_of_n,1,1.5,100,0.1", *GOOD_ROWS[1:]],
            HEADER,
            "curves column accuracy",
            "[0, 1]",
        ),
        (
            ["GSM8K,A,False,best_of_n,-1,0.5,100,0.1", *GOOD_ROWS[1:]],
            HEADER,
            "curves column theta",
            "non-negative",
        ),
        (
            ["GSM8K,A,False,best_of_n,1,0.5,abc,0.1", *GOOD_ROWS[1:]],
            HEADER,
            "curves column avg_tokens",
            "finite",
        ),
        (["GSM8K,A,maybe,best_of_n,1,0.5,100,0.1", *GOOD_ROWS[1:]], HEADER, "reasoning", "true"),
        ([*GOOD_ROWS, "GSM8K,A,False,best_of_n,4,0.65,400,0.1"], HEADER, "curves", "duplicate"),
        (GOOD_ROWS[:3], HEADER, "curves", "same compute levels"),
        ([], HEADER, "curves", "at least one row"),
    ],
)
def test_load_curves_rejects_bad_files(tmp_path, rows, header, field, fragment):
    with pytest.raises(UserInputError) as error:
        load_curves(write(tmp_path, rows, header))
    assert error.value.field == field
    assert fragment in str(error.value)


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError) as error:
        load_curves(tmp_path / "nope.csv")
    assert error.value.field == "curves"


# --- intro example and presets ------------------------------------------------------------------


def test_intro_example_matches_eq_15():
    # V_1 = 0.02 x 70 - 1.25 x 0.25 = 1.4 - 0.3125 = 1.0875; V_1(high) = 1.8 - 1.25 = 0.55;
    # V_2 = 1.0 - 0.625 = 0.375; V_2(high) = 1.9 - 12.5 = -10.6.
    game = intro_example(beta=5.0, v0=0.1)
    assert np.allclose(game.value, [[1.0875, 0.55], [0.375, -10.6]], rtol=1e-13)
    assert game.beta == 5.0 and game.v0 == 0.1 and not game.approximate
    assert game.level_labels == ("low", "high")


def test_scenarios_cover_every_benchmark_and_method():
    names = SCENARIOS.names()
    assert names[0] == "intro-example"
    for benchmark in ("gsm8k", "gpqa", "aime"):
        for method in ("best-of-n", "majority", "reasoning"):
            assert f"{benchmark}-{method}" in names
    assert len(names) == 10
    approximate = SCENARIOS.filter(lambda c: c["approximate"])
    assert len(approximate) == 9 and all(isinstance(s, CurvesScenario) for s in approximate)


@pytest.mark.parametrize("name", SCENARIOS.names())
def test_every_scenario_builds(name):
    scenario = get_scenario(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProfitNotIncreasingWarning)
        game = scenario.build(beta=200.0, v0=0.0)
    assert game.beta == 200.0 and game.n_providers >= 2
    assert game.approximate == scenario.classifier["approximate"]
    assert game.n_providers == scenario.classifier["n_providers"]


def test_scenario_alpha_default_by_benchmark():
    # GPQA: alpha = 0.02, so q = 0.02 (0.1 + 0.9 a) and q / alpha - 0.1 = 0.9 a.
    game = get_scenario("gpqa-majority").build()
    accuracy = shipped_curves().slice("GPQA", "majority")
    first = accuracy[accuracy["model"] == game.providers[0]].sort_values("theta")
    assert np.allclose(game.quality[0], 0.02 * (0.1 + 0.9 * first["accuracy"].to_numpy()))


def test_unknown_scenario_lists_the_known_ones():
    with pytest.raises(UserInputError) as error:
        get_scenario("gsm8k-beam")
    assert error.value.field == "scenario" and "gsm8k-best-of-n" in str(error.value)


@pytest.mark.parametrize(
    ("benchmark", "method"),
    [("gsm8k", "best-of-n"), ("GSM8K", "BEST_OF_N"), ("Gsm8k", "best_of_n")],
)
def test_names_match_up_to_case_and_separator(benchmark, method):
    game = game_from_curves(shipped_curves(), benchmark, method)
    reference = game_from_curves(shipped_curves(), "GSM8K", "best_of_n")
    assert game.providers == reference.providers
    assert np.array_equal(game.quality, reference.quality)  # same rows, same alpha (GSM8K)


def test_reasoning_alias_and_alpha_default():
    with pytest.warns(ProfitNotIncreasingWarning):  # AIME R1-D-Qwen-1.5B, bins 1 -> 2
        game = game_from_curves(shipped_curves(), "aime", "reasoning")
    # AIME default alpha = 0.05: every quality lies in [0.05 x 0.1, 0.05] = [0.005, 0.05]
    assert np.all((game.quality >= 0.005) & (game.quality <= 0.05))
    assert game.level_labels == ("bin 1", "bin 2", "bin 3", "bin 4", "bin 5")
