"""How long a horizon a market needs: the plan, its advice and the README's own-data example.

Known answers are worked out by hand from Mechanism 1 (lines 2 and 11) and the shipped menus.
"""

import json
import math
import shutil
from pathlib import Path

import pytest

from market.core.errors import UserInputError
from market.delegation.runs import plan, run_profile
from market.games import main

MY_MARKET = Path(__file__).parent / "data" / "my-market"


def test_plan_of_mechanism_1_by_hand():
    # T = 1000, eps = 0.3: B = floor(1000^0.6) = floor(63.096) = 63.
    # Cheapest price 4.40 per 1M (o3-mini / o1-mini), L = 38,058 (the records' longest):
    # 2R/(p_min L) = 2 / (4.4e-6 x 38058) = 2 / 0.1674552 = 11.9435.
    p = plan("cao2026-paper", T=1000)
    assert (p.B, p.K, p.max_length) == (63, 3, 38058)
    assert p.M == pytest.approx(1000**-0.3 * math.log(3000))
    terms = {name.split(" ")[0]: c for name, c, _ in p.reserve}
    assert terms["5K"] == 15
    assert terms["2R/(p_min"] == pytest.approx(11.9435, abs=1e-4)
    assert p.reserve[0][2] == 15 * 63
    assert not p.works and p.T_R == 0
    assert p.dominant_term.startswith("5K")


def test_smallest_T_largest_eps_and_smallest_L_are_tight():
    p = plan("cao2026-paper", T=1000)
    assert plan("cao2026-paper", T=p.smallest_T).works
    assert not plan("cao2026-paper", T=p.smallest_T - 1).works
    assert plan("cao2026-paper", T=1000, eps=p.largest_eps).works
    assert not plan("cao2026-paper", T=1000, eps=p.largest_eps + 0.002).works
    assert p.smallest_max_length > p.max_length


def test_a_plan_that_works_matches_the_run():
    p = plan("cao2026", T=100_000)
    assert p.works and p.smallest_T == 100_000 and p.largest_eps is None
    phases = dict(p.phases)
    assert phases["exploration"] == 3 * p.B == p.exploration
    assert phases["exploitation"] == p.T_R > 0


def copy_my_market(tmp_path, drop_max_length=False):
    folder = tmp_path / "my-market"
    shutil.copytree(MY_MARKET, folder)
    toml = folder / "my-market.toml"
    if drop_max_length:
        lines = toml.read_text().splitlines()
        toml.write_text("\n".join(x for x in lines if not x.startswith("max_length")) + "\n")
    return toml


def test_the_readme_own_data_example_runs_as_written(tmp_path, capsys, monkeypatch):
    toml = copy_my_market(tmp_path)
    monkeypatch.chdir(toml.parent)
    code = main(
        [
            "delegation",
            "run",
            "--scenario",
            "my-market.toml",
            "--strategies",
            "ours,honest",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert result["L"] == 32768 and result["T_R"] > 0
    exploitation = {p["name"]: p["length"] for p in result["phases"]}["exploitation"]
    assert exploitation > 0


def test_the_records_are_realistic():
    import pandas as pd

    records = pd.read_csv(MY_MARKET / "records.csv")
    assert len(records) == 200
    assert records["output_tokens"].between(50, 2000).all()
    assert records["reward"].between(0, 1).all()


def test_without_max_length_the_error_says_why_and_what_helps(tmp_path, capsys):
    toml = copy_my_market(tmp_path, drop_max_length=True)
    code = main(["delegation", "run", "--scenario", str(toml), "--strategies", "ours,honest"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    line = err[0]
    assert "2R/(p_min L)" in line  # the dominant term, named
    assert "T >= " in line and "eps <= " in line and "max_length" in line
    assert "second-best-artifact" in line


def test_the_advised_max_length_works(tmp_path):
    toml = copy_my_market(tmp_path, drop_max_length=True)
    with pytest.raises(UserInputError):
        run_profile(str(toml), "ours,honest")
    advised = plan(str(toml)).smallest_max_length
    text = toml.read_text()
    text = text.replace("reward_bound = 1.0", f"reward_bound = 1.0\nmax_length = {advised}")
    toml.write_text(text)
    assert plan(str(toml)).works
    toml.write_text(text.replace(f"max_length = {advised}", f"max_length = {advised - 1}"))
    assert not plan(str(toml)).works


def test_the_small_fixture_runs_from_the_cli(capsys):
    small = Path(__file__).parent / "data" / "small_scenario.toml"
    assert main(["delegation", "run", "--scenario", str(small), "--strategies", "ours"]) == 0
    assert "exploitation" in capsys.readouterr().out


def test_plan_command_prints_and_json(capsys):
    assert main(["delegation", "plan", "--scenario", "cao2026", "--T", "100000"]) == 0
    out = capsys.readouterr().out
    assert "B = 999" in out and "T_R" in out and "This T works" in out
    assert main(["delegation", "plan", "--scenario", "cao2026-paper", "--T", "1000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["works"] is False and data["B"] == 63 and data["smallest_T"] > 1000


def test_plan_command_bad_input_is_one_line(capsys):
    assert main(["delegation", "plan", "--scenario", "cao2026", "--eps", "0.7"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_readme_example_is_the_file_the_tests_run():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split('```toml\nname = "my-market"', 1)[1].split("```", 1)[0]
    assert 'name = "my-market"' + block == (MY_MARKET / "my-market.toml").read_text()
