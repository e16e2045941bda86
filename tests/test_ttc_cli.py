"""``llm-market ttc``: JSON keys, outputs, one-line errors with exit code 2."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

try:
    import market.delegation.cli  # noqa: F401
except ImportError:  # pragma: no cover
    pytest.skip(
        "market.cli imports market.delegation.cli, which has not landed yet",
        allow_module_level=True,
    )

from market.games import main

ROOT = Path(__file__).resolve().parents[1]
CURVES = ROOT / "market" / "ttc" / "data" / "ttc_curves.csv"


def run(capsys, *argv):
    code = main(["ttc", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def analyze_json(capsys, *argv):
    code, out, err = run(capsys, "analyze", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


# ---- analyze ---------------------------------------------------------------------------------


def test_analyze_intro_example_json_keys_and_known_answers(capsys):
    record = analyze_json(capsys, "--scenario", "intro-example", "--beta", "inf")
    eq = record["equilibrium"]
    assert {
        "providers",
        "thetas",
        "shares",
        "user_value",
        "price",
        "provider_utility",
        "welfare",
        "poa",
        "steps",
    } <= set(eq)
    assert {"max_welfare", "pure_equilibria", "auction"} <= set(record)
    assert {"winner", "runner_up", "payment", "user_value", "winner_utility", "welfare"} <= set(
        record["auction"]
    )
    # Appendix A: provider 1 at high TTC, W = 0.8, max W = 1.15, PoA = 1.4375
    assert eq["providers"] == ["Provider 1", "Provider 2"]
    assert eq["thetas"][0] == 1.0
    assert eq["shares"] == [1.0, 0.0]
    assert eq["welfare"] == pytest.approx(0.8)
    assert eq["user_value"] == pytest.approx(0.55)
    assert eq["price"] == pytest.approx(1.25)
    assert eq["provider_utility"][0] == pytest.approx(0.25)
    assert eq["poa"] == pytest.approx(1.4375)
    assert record["max_welfare"]["welfare"] == pytest.approx(1.15)
    assert record["game"]["beta"] == "inf"
    assert record["pure_equilibria"] >= 1
    # auction, truthful bids: values 1.15 and 0.5 -> payment 1.4 - 0.5 = 0.9
    auction = record["auction"]
    assert auction["winner"] == "Provider 1" and auction["runner_up"] == "Provider 2"
    assert auction["payment"] == pytest.approx(0.9)
    assert auction["user_value"] == pytest.approx(0.5)
    assert auction["winner_utility"] == pytest.approx(0.65)
    assert auction["welfare"] == pytest.approx(1.15)
    assert "note" not in record


def test_analyze_shipped_curves_say_approximate_and_null_when_not_enumerated(capsys):
    record = analyze_json(
        capsys, "--scenario", "gsm8k-best-of-n", "--beta", "1000", "--max-profiles", "1000"
    )
    assert record["pure_equilibria"] is None
    assert record["game"]["approximate"] is True
    assert record["note"] == "approximate (digitised curves)"
    assert record["equilibrium"]["poa"] >= 1.0
    assert len(record["equilibrium"]["thetas"]) == 9


def test_analyze_text_output_says_approximate(capsys):
    code, out, _ = run(capsys, "analyze", "--scenario", "gsm8k-reasoning")
    assert code == 0
    assert "approximate (digitised curves)" in out
    assert "price of anarchy" in out


def test_analyze_from_curves_file_equals_the_preset(capsys):
    a = analyze_json(capsys, "--scenario", "gsm8k-reasoning")
    b = analyze_json(
        capsys, "--curves", str(CURVES), "--benchmark", "GSM8K", "--method", "reasoning_bin"
    )
    assert a["equilibrium"]["thetas"] == b["equilibrium"]["thetas"]
    assert a["equilibrium"]["welfare"] == pytest.approx(b["equilibrium"]["welfare"])
    assert b["game"]["approximate"] is False  # a user file is not marked approximate


def test_analyze_is_reproducible_under_a_seed(capsys):
    argv = (
        "--scenario",
        "gsm8k-best-of-n",
        "--dynamics",
        "random-improving",
        "--seed",
        "5",
        "--max-profiles",
        "0",
    )
    assert analyze_json(capsys, *argv) == analyze_json(capsys, *argv)


@pytest.mark.parametrize("rule", ["best-response", "random-improving", "nearest-improving"])
def test_every_dynamics_rule_reaches_a_verified_equilibrium(capsys, rule):
    record = analyze_json(capsys, "--scenario", "gsm8k-reasoning", "--dynamics", rule)
    assert record["equilibrium"]["is_equilibrium"] is True


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--scenario", "nope"], "scenario: expected one of intro-example"),
        (["--scenario", "intro-example", "--beta", "0"], "beta"),
        (["--scenario", "intro-example", "--beta=-3"], "beta"),
        (["--scenario", "intro-example", "--beta", "nan"], "beta"),
        (["--scenario", "intro-example", "--beta", "lots"], "beta"),
        (["--scenario", "intro-example", "--dynamics", "psychic"], "dynamics"),
        (["--scenario", "intro-example", "--schedule", "chaos"], "schedule"),
        (["--scenario", "intro-example", "--seed", "-1"], "seed"),
        (["--scenario", "intro-example", "--v0", "x"], "v0"),
        (["--scenario", "intro-example", "--margin", "0"], "margin"),
        (
            ["--curves", str(CURVES), "--benchmark", "GSM9K", "--method", "best_of_n"],
            "expected one of AIME, GPQA, GSM8K",
        ),
        (["--curves", str(CURVES), "--benchmark", "GSM8K", "--method", "bon"], "best_of_n"),
        (
            [
                "--curves",
                str(CURVES),
                "--benchmark",
                "GSM8K",
                "--method",
                "best_of_n",
                "--models",
                "Qwen2-7B",
            ],
            "at least two providers",
        ),
        (["--curves", str(CURVES)], "--benchmark and --method"),
        (["--curves", "/no/such/file.csv", "--benchmark", "GSM8K", "--method", "x"], "curves"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, "analyze", *argv, "--json")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("llm-market: error: ")
    assert needle in err


def test_bad_curves_file_is_rejected(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    text = CURVES.read_text().splitlines()
    header, first = text[0], text[1].split(",")
    first[5] = "nan"
    bad.write_text("\n".join([header, ",".join(first), *text[2:]]) + "\n")
    code, _, err = run(
        capsys, "analyze", "--curves", str(bad), "--benchmark", "GSM8K", "--method", "majority"
    )
    assert code == 2 and err.count("\n") == 1


@pytest.mark.parametrize("betas", ["1:10", "0:10:5", "10:1:5", "1:10:0", "1:10:x", "1:inf:3"])
def test_bad_beta_range_writes_nothing(capsys, tmp_path, betas):
    out = tmp_path / "sweep"
    code, _, err = run(
        capsys, "sweep-beta", "--scenario", "intro-example", "--betas", betas, "--out", str(out)
    )
    assert code == 2 and "betas" in err
    assert not out.exists()


def test_out_must_not_be_a_file(capsys, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    code, _, err = run(capsys, "dynamics", "--scenario", "intro-example", "--out", str(target))
    assert code == 2 and "out" in err
    assert target.read_text() == "keep me"


def test_bad_scenario_writes_nothing(capsys, tmp_path):
    out = tmp_path / "cmp"
    code, _, _ = run(capsys, "compare", "--scenario", "nope", "--out", str(out))
    assert code == 2 and not out.exists()


# ---- dynamics, sweep-beta, compare -----------------------------------------------------------


def test_dynamics_writes_figure_2(capsys, tmp_path):
    code, out, _ = run(capsys, "dynamics", "--scenario", "gsm8k-reasoning", "--out", str(tmp_path))
    assert code == 0
    assert "approximate (digitised curves)" in out
    frame = pd.read_csv(tmp_path / "dynamics.csv")
    assert {"step", "inefficiency", "potential"} <= set(frame.columns)
    assert sum(c.startswith("theta[") for c in frame.columns) == 3
    assert sum(c.startswith("share[") for c in frame.columns) == 3
    assert (tmp_path / "dynamics.png").stat().st_size > 10_000
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["is_equilibrium"] is True and meta["note"] == "approximate (digitised curves)"


def test_sweep_beta_writes_poa_against_log_spaced_beta(capsys, tmp_path):
    code, _, _ = run(
        capsys,
        "sweep-beta",
        "--scenario",
        "intro-example",
        "--betas",
        "1:1e4:5",
        "--out",
        str(tmp_path),
    )
    assert code == 0
    frame = pd.read_csv(tmp_path / "sweep_beta.csv")
    assert frame["beta"].tolist() == pytest.approx([1, 10, 100, 1000, 1e4])
    assert (frame["poa"] >= 1 - 1e-12).all()
    assert frame["is_equilibrium"].all()
    # at beta = 1e4 users are practically perfectly rational: PoA -> 1.15 / 0.8 (App. A)
    assert frame["poa"].iloc[-1] == pytest.approx(1.4375, rel=1e-6)
    assert (tmp_path / "poa_vs_beta.png").exists()


def test_compare_writes_table_2(capsys, tmp_path):
    code, out, _ = run(
        capsys, "compare", "--scenario", "intro-example", "--beta", "inf", "--out", str(tmp_path)
    )
    assert code == 0
    table = pd.read_csv(tmp_path / "table2.csv").set_index("quantity")
    assert list(table.index) == ["user_value", "price", "provider_utility", "welfare"]
    # market: V_1(high) = 0.55, p = 1.25, U_1 = 0.25, W = 0.8; auction: 0.5, 0.9, 0.65, 1.15
    assert table["game"].tolist() == pytest.approx([0.55, 1.25, 0.25, 0.8])
    assert table["auction"].tolist() == pytest.approx([0.5, 0.9, 0.65, 1.15])
    assert table.loc["welfare", "change_pct"] == pytest.approx(100 * (1.15 - 0.8) / 0.8)
    assert "user_value" in out and "welfare" in out


def test_compare_welfare_is_user_value_plus_utility(capsys, tmp_path):
    run(capsys, "compare", "--scenario", "gsm8k-best-of-n", "--out", str(tmp_path))
    table = pd.read_csv(tmp_path / "table2.csv").set_index("quantity")
    for column in ("game", "auction"):
        assert table.loc["welfare", column] == pytest.approx(
            table.loc["user_value", column] + table.loc["provider_utility", column]
        )
    assert table.loc["welfare", "auction"] >= table.loc["welfare", "game"]


# ---- the real console script -----------------------------------------------------------------


@pytest.mark.slow
def test_console_script_subprocess_json():
    script = Path(sys.executable).with_name("llm-market")
    assert script.exists(), script
    result = subprocess.run(
        [str(script), "ttc", "analyze", "--scenario", "intro-example", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["equilibrium"]["poa"] == pytest.approx(1.4375)
    assert math.isclose(record["auction"]["payment"], 0.9)


@pytest.mark.slow
def test_console_script_subprocess_error_exit_2():
    script = Path(sys.executable).with_name("llm-market")
    result = subprocess.run(
        [str(script), "ttc", "analyze", "--scenario", "intro-example", "--beta", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "beta" in result.stderr


def test_dynamics_with_simulated_heterogeneous_users(capsys, tmp_path):
    code, _, err = run(
        capsys,
        "dynamics",
        "--scenario",
        "intro-example",
        "--beta",
        "20",
        "--users",
        "3000",
        "--user-spread",
        "0.3",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    frame = pd.read_csv(tmp_path / "dynamics.csv")
    shares = frame[["share[Provider 1]", "share[Provider 2]"]].to_numpy()
    assert ((shares * 3000).round(6) % 1 == 0).all()  # fractions of 3000 user choices
    assert json.loads((tmp_path / "meta.json").read_text())["users"] == 3000


@pytest.mark.parametrize(
    ("flag", "value"), [("--users", "-1"), ("--users", "many"), ("--user-spread", "-0.5")]
)
def test_bad_user_flags_write_nothing(capsys, tmp_path, flag, value):
    out = tmp_path / "dyn"
    code, _, err = run(
        capsys, "dynamics", "--scenario", "intro-example", flag, value, "--out", str(out)
    )
    assert code == 2 and flag.lstrip("-") in err
    assert not out.exists()


# ---- review fixes: output directory, --beta, --v0, JSON contract, users' stream -------------


def test_out_under_a_file_is_one_line_and_exit_2(capsys, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep me")
    for command in ("dynamics", "compare"):
        code, out, err = run(
            capsys, command, "--scenario", "intro-example", "--out", str(blocker / "sub")
        )
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "out: expected a writable directory" in err
    assert blocker.read_text() == "keep me"


def test_a_failure_while_writing_leaves_nothing_half_written(capsys, tmp_path, monkeypatch):
    import market.ttc.plots

    def broken_plot(*args, **kwargs):
        raise RuntimeError("plot failed")

    monkeypatch.setattr(market.ttc.plots, "plot_dynamics", broken_plot)
    out = tmp_path / "new"
    with pytest.raises(RuntimeError, match="plot failed"):
        run(capsys, "dynamics", "--scenario", "intro-example", "--out", str(out))
    assert not out.exists()  # no CSV written ahead of the failed PNG
    assert list(tmp_path.iterdir()) == []  # and no staging directory left behind
    existing = tmp_path / "old"
    existing.mkdir()
    (existing / "dynamics.csv").write_text("previous run\n")
    with pytest.raises(RuntimeError, match="plot failed"):
        run(capsys, "dynamics", "--scenario", "intro-example", "--out", str(existing))
    assert (existing / "dynamics.csv").read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


def test_successful_writes_leave_no_staging_directory(capsys, tmp_path):
    out = tmp_path / "a" / "b"
    code, _, err = run(capsys, "compare", "--scenario", "intro-example", "--out", str(out))
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["meta.json", "table2.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["a"]
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b"]


@pytest.mark.parametrize("beta", ["1e400", "-1e400", "1e309"])
def test_beta_overflowing_to_infinity_is_refused(capsys, beta):
    code, out, err = run(capsys, "analyze", "--scenario", "intro-example", f"--beta={beta}")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "beta" in err and "inf" in err


@pytest.mark.parametrize("word", ["inf", "Infinity", "perfect", "+inf"])
def test_beta_written_as_inf_is_perfect_rationality(capsys, word):
    record = analyze_json(capsys, "--scenario", "intro-example", "--beta", word)
    assert record["game"]["beta"] == "inf"


def test_sweep_beta_refuses_beta(capsys, tmp_path):
    out = tmp_path / "sweep"
    code, _, err = run(
        capsys,
        "sweep-beta",
        "--scenario",
        "intro-example",
        "--beta",
        "garbage",
        "--betas",
        "1:10:3",
        "--out",
        str(out),
    )
    assert code == 2 and err.count("\n") == 1
    assert "beta: expected no --beta with sweep-beta" in err
    assert not out.exists()


def test_v0_help_documents_the_equals_spelling(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["ttc", "analyze", "--help"])
    assert stop.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--v0=-1e-3" in help_text
    assert "max_welfare {welfare, levels, thetas}" in help_text  # the JSON contract
    record = analyze_json(capsys, "--scenario", "intro-example", "--v0=-1e-3")
    assert record["game"]["v0"] == -1e-3


def test_analyze_json_records_seed_prices_and_finite_poa(capsys):
    record = analyze_json(capsys, "--scenario", "intro-example", "--beta", "inf", "--seed", "12")
    assert record["seed"] == 12
    eq = record["equilibrium"]
    assert eq["poa_infinite"] is False and eq["poa"] == pytest.approx(1.4375)
    # p = 1.25 c (Appendix A): P1 at high TTC 1.25; P2 at low 0.625 or at high 12.5
    assert eq["prices"] == pytest.approx([1.25, {0: 0.625, 1: 12.5}[eq["levels"][1]]])
    assert set(record["max_welfare"]) == {"welfare", "levels", "thetas"}


def test_equilibrium_record_flags_an_infinite_poa():
    from market.ttc.model import TTCMarket
    from market.ttc.runs import equilibrium_summary
    from mechanisms.ttc import TTCGame

    # every level costs more than it is worth (q - c = -0.1) but beats abstaining (V_0 = -10):
    # users buy, welfare is -0.1 <= 0, so the PoA is infinite
    game = TTCGame(
        ("A", "B"),
        (1.0,),
        quality=[[0.1], [0.1]],
        cost=[[0.2], [0.2]],
        price=[[0.3], [0.3]],
        v0=-10.0,
    )
    record = equilibrium_summary(game, TTCMarket(game, rng=0).run_to_equilibrium()).json_record()
    assert record["welfare"] == pytest.approx(-0.1)
    assert record["poa"] is None and record["poa_infinite"] is True
    json.dumps(record, allow_nan=False)


def test_heterogeneous_users_are_drawn_from_their_own_stream():
    import numpy as np

    from agents.ttc import UserPopulation
    from market.ttc.model import child_seeds
    from market.ttc.runs import user_population
    from market.ttc.scenarios import intro_example

    game = intro_example().with_beta(20.0)
    users = user_population(game, users=50, spread=0.3, seed=4)
    schedule, _, _, population = child_seeds(4)

    def drawn(stream):
        return UserPopulation.heterogeneous(
            50, np.random.default_rng(stream), beta=20.0, weight_spread=0.3, beta_spread=0.3
        ).quality_weight

    assert np.array_equal(users.quality_weight, drawn(population))
    assert not np.array_equal(users.quality_weight, drawn(schedule))  # the old, shared stream
