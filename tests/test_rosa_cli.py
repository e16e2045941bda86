"""``llm-market rosa``: outputs, files, and one-line errors with exit code 2."""

import json

import pytest

from market.games import GAMES, main


def run_cli(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse's own usage errors
        code = exit_info.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_rosa_is_a_registered_game():
    game = next(g for g in GAMES if g.name == "rosa")
    assert game.model.__name__ == "RosaMarket"
    assert "rosa" in game.mechanisms and "truthful" in game.strategies
    assert "patra2026" in game.scenarios and hasattr(game.runs, "truthfulness_curve")


def test_run_json(capsys):
    code, out, _ = run_cli(
        ["rosa", "run", "--T", "400", "--seed", "3", "--check-points", "4", "--json"], capsys
    )
    assert code == 0
    payload = json.loads(out)
    assert "reconstructed" in payload["note"]
    assert payload["rounds"] == 400 and payload["seed"] == 3
    assert len(payload["providers"]) == 5
    assert sum(p["rounds_served"] for p in payload["providers"]) == 400
    assert payload["monotonicity"]["monotone"] is True
    assert {"regret", "regret_per_round", "user_utility", "payments"} <= set(payload)


def test_run_text_and_files(tmp_path, capsys):
    out_dir = tmp_path / "run"
    code, out, _ = run_cli(
        [
            "rosa",
            "run",
            "--T",
            "300",
            "--seed",
            "1",
            "--noise",
            "exponential",
            "--strategies",
            "truthful,inflate:1.5,truthful,shade,fixed:0.2",
            "--out",
            str(out_dir),
        ],
        capsys,
    )
    assert code == 0
    assert "reconstructed" in out and "regret against the clairvoyant benchmark" in out
    assert "learner monotonicity on this instance" in out
    for name in ("run.json", "history.csv", "service_map.csv", "run.png"):
        assert (out_dir / name).stat().st_size > 0


def test_truthfulness_json_and_png(tmp_path, capsys):
    code, out, _ = run_cli(
        [
            "rosa",
            "truthfulness",
            "--T",
            "300",
            "--runs",
            "20",
            "--bids",
            "0:0.5:6",
            "--provider",
            "2",
            "--seed",
            "5",
            "--json",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0
    payload = json.loads(out)
    for key in (
        "true_cost",
        "bids",
        "expected_utility",
        "standard_error",
        "grid_step",
        "min_truthful_run_utility",
        "note",
    ):
        assert key in payload
    assert payload["bids"] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert payload["grid_step"] == pytest.approx(0.1)
    assert payload["min_truthful_run_utility"] >= 0 and payload["provider"] == 2
    assert (tmp_path / "truthfulness.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "truthfulness.csv").exists()


def test_regret_writes_its_figures(tmp_path, capsys):
    code, out, _ = run_cli(
        [
            "rosa",
            "regret",
            "--T-from",
            "200",
            "--T-to",
            "800",
            "--points",
            "3",
            "--runs",
            "3",
            "--seed",
            "2",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0 and "sqrt(T)" in out
    payload = json.loads((tmp_path / "regret.json").read_text())
    assert payload["T"] == [200, 400, 800] and "reconstructed" in payload["note"]
    assert (tmp_path / "regret.png").exists() and (tmp_path / "regret.csv").exists()


def test_monotonicity_json(capsys):
    code, out, _ = run_cli(
        [
            "rosa",
            "monotonicity",
            "--instances",
            "2",
            "--points",
            "5",
            "--T",
            "150",
            "--learners",
            "elimination,linucb",
            "--seed",
            "1",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    payload = json.loads(out)
    assert [row["learner"] for row in payload["learners"]] == ["elimination", "linucb"]
    assert payload["learners"][0]["instances_violating"] == 0


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["rosa", "run", "--mu", "1.5"], "mu"),
        (["rosa", "run", "--mu", "0"], "mu"),
        (["rosa", "run", "--dim", "0"], "dim"),
        (["rosa", "run", "--dim", "-3"], "dim"),
        (["rosa", "run", "--providers", "1"], "providers"),
        (["rosa", "run", "--learner", "thompson"], "learner"),
        (["rosa", "run", "--noise", "cauchy"], "noise"),
        (["rosa", "run", "--T", "many"], "T"),
        (["rosa", "run", "--T", "1e9"], "T"),
        (["rosa", "run", "--strategies", "sneaky"], "strategies"),
        (["rosa", "run", "--seed", "-1"], "seed"),
        (["rosa", "truthfulness", "--bids", "0:0.9:5"], "bids"),
        (["rosa", "truthfulness", "--bids", "0.3:0.1:5"], "bids"),
        (["rosa", "truthfulness", "--bids", "0:0.5"], "bids"),
        (["rosa", "truthfulness", "--provider", "9"], "provider"),
        (["rosa", "truthfulness", "--runs", "0"], "runs"),
        (
            ["rosa", "regret", "--T-from", "500", "--T-to", "100", "--points", "3", "--out", "x"],
            "T-to",
        ),
        (["rosa", "monotonicity", "--learners", "elimination,nope"], "learners"),
        (["rosa", "truthfulness", "--T", "50", "--store", "no/such/folder/s.db"], "store"),
        (["rosa", "monotonicity", "--T", "50", "--store", "."], "store"),
        (["rosa", "truthfulness", "--T", "50", "--executor", "cloud"], "executor"),
        (["rosa", "monotonicity", "--T", "50", "--scheduler", "tcp://x:1"], "scheduler"),
        (["rosa", "truthfulness", "--T", "50", "--jobs", "0"], "jobs"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, field, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(argv, capsys)
    assert code == 2
    assert err.startswith(f"llm-market: error: --{field}: ") and err.count("\n") == 1
    assert out == ""
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli(
        [
            "rosa",
            "regret",
            "--T-from",
            "100",
            "--T-to",
            "200",
            "--points",
            "2",
            "--out",
            str(blocker),
        ],
        capsys,
    )
    assert code == 2 and err.startswith("llm-market: error: --out: ")
