"""``llm-market delegation`` run / sweep / horizon (market.delegation.cli)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from market.delegation.tables import PROFILE_COLUMNS, SUMMARY_COLUMNS
from market.games import main

SMALL_T = "5000"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_json(capsys, *extra: str) -> dict:
    code = main(["delegation", "run", "--scenario", "cao2026", "--T", SMALL_T, "--json", *extra])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("\n") == 1  # exactly one JSON object on one line
    return json.loads(out)


def console_script() -> str:
    beside = Path(sys.executable).parent / "llm-market"
    found = beside if beside.exists() else shutil.which("llm-market")
    if found is None:
        pytest.skip("the llm-market console script is not installed")
    return str(found)


# ---- run ----------------------------------------------------------------------------------


def test_run_json_keys_types_and_provider_order(capsys):
    data = run_json(capsys, "--strategies", "ours,honest,dishonest-all", "--seed", "3")
    for key, kind in [
        ("T", int),
        ("queries_used", int),
        ("user_utility", float),
        ("u_sb", float),
        ("u_fb", float),
        ("phases", list),
        ("providers", list),
    ]:
        assert isinstance(data[key], kind), key
    assert data["validated"] in (True, False, None)
    assert data["T"] == int(SMALL_T)
    assert data["seed"] == 3
    assert 0 < data["queries_used"] <= data["T"]
    assert data["queries_used"] + data["queries_unused"] == data["T"]
    assert sum(p["length"] for p in data["phases"]) == data["queries_used"]
    assert all(set(p) == {"name", "length"} for p in data["phases"])
    providers = data["providers"]
    assert [p["name"] for p in providers] == ["provider 1", "provider 2", "provider 3"]
    assert [p["strategy"] for p in providers] == ["ours", "honest", "dishonest-all"]
    for p in providers:
        assert set(p) >= {"name", "strategy", "provider_utility", "user_utility", "delegations"}
        assert isinstance(p["delegations"], int)
    assert providers[1]["provider_utility"] == 0.0  # honest earns exactly zero
    assert sum(p["delegations"] for p in providers) == data["queries_used"]
    assert data["u_sb"] <= data["u_fb"]


def test_run_json_does_not_depend_on_batch(capsys):
    one = run_json(capsys, "--strategies", "ours,dishonest-length,honest", "--batch", "1")
    many = run_json(capsys, "--strategies", "ours,dishonest-length,honest", "--batch", "777")
    assert one == many


def test_run_summary_names_the_reconstruction_and_data_notes(capsys):
    code = main(
        ["delegation", "run", "--scenario", "cao2026", "--T", SMALL_T, "--strategies", "ours"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "reconstructed from the authors' simulator (docs/delegation-variant.md)" in out
    for word in (
        "exploration",
        "exploitation",
        "u_SB",
        "u_FB",
        "T_R",
        "threshold",
        "u' =",
        "provider 3",
        "unused",
        "clipped",
    ):
        assert word in out, word


def test_run_summary_of_the_printed_mechanism_is_not_called_reconstructed(capsys):
    code = main(
        [
            "delegation",
            "run",
            "--scenario",
            "cao2026-paper",
            "--T",
            "20000",
            "--strategies",
            "honest",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "reconstructed" not in out
    assert "second-best" in out


def test_console_script_run_json():
    completed = subprocess.run(
        [
            console_script(),
            "delegation",
            "run",
            "--scenario",
            "cao2026",
            "--strategies",
            "ours,ours,honest",
            "--T",
            SMALL_T,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    data = json.loads(completed.stdout)
    assert [p["strategy"] for p in data["providers"]] == ["ours", "ours", "honest"]


# ---- errors -------------------------------------------------------------------------------


def error_cases(tmp: Path):
    a_file = tmp / "a-file.txt"
    a_file.write_text("x")
    out = str(tmp / "out")
    return [
        (["run", "--scenario", "nope", "--strategies", "ours"], "cao2026"),
        (["run", "--scenario", "cao2026", "--strategies", "ours,nope,honest"], "dishonest-all"),
        (["run", "--scenario", "cao2026", "--strategies", "ours", "--eps", "0.5"], "eps"),
        (["run", "--scenario", "cao2026", "--strategies", "ours", "--T", "60"], "T: expected"),
        (
            ["run", "--scenario", "cao2026", "--strategies", "ours", "--mechanism", "x"],
            "explore-then-commit",
        ),
        (["run", "--scenario", "cao2026", "--strategies", "ours", "--batch", "0"], "batch"),
        (["sweep", "--scenario", "cao2026", "--T", SMALL_T, "--seeds", "0", "--out", out], "seeds"),
        (["sweep", "--scenario", "cao2026", "--T", SMALL_T, "--jobs", "0", "--out", out], "jobs"),
        (["sweep", "--scenario", "cao2026", "--T", SMALL_T, "--eps", "0", "--out", out], "eps"),
        (["sweep", "--scenario", "cao2026", "--T", "60", "--out", out], "T: expected"),
        (["sweep", "--scenario", "cao2026", "--T", SMALL_T, "--out", str(a_file)], "out"),
        (["sweep", "--scenario", "cao2026", "--T", SMALL_T, "--out", str(a_file / "sub")], "out"),
        (
            [
                "horizon",
                "--scenario",
                "cao2026",
                "--T-from",
                "9000",
                "--T-to",
                "5000",
                "--points",
                "3",
                "--out",
                out,
            ],
            "T-to",
        ),
        (
            [
                "horizon",
                "--scenario",
                "cao2026",
                "--T-from",
                "5000",
                "--T-to",
                "9000",
                "--points",
                "1",
                "--out",
                out,
            ],
            "points",
        ),
        (
            [
                "horizon",
                "--scenario",
                "cao2026",
                "--T-from",
                "60",
                "--T-to",
                "9000",
                "--points",
                "3",
                "--out",
                out,
            ],
            "T: expected",
        ),
        (
            [
                "horizon",
                "--scenario",
                "cao2026",
                "--T-from",
                "5000",
                "--T-to",
                "9000",
                "--points",
                "3",
                "--seeds",
                "0",
                "--out",
                out,
            ],
            "seeds",
        ),
    ]


@pytest.mark.parametrize("case", range(16))
def test_user_errors_exit_2_with_one_line_and_no_files(case, tmp_path, capsys):
    argv, mentioned = error_cases(tmp_path)[case]
    before = sorted(tmp_path.rglob("*"))
    code = main(["delegation", *argv])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("llm-market: error:")
    assert mentioned in lines[0]
    assert captured.out == ""
    assert sorted(tmp_path.rglob("*")) == before


def test_argparse_type_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["delegation", "run", "--scenario", "cao2026"])  # --strategies missing
    assert exit_info.value.code == 2


# ---- sweep --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The same sweep on one and on two processes."""
    outs = {}
    for jobs in ("1", "2"):
        out = tmp_path_factory.mktemp(f"sweep{jobs}")
        code = main(
            [
                "delegation",
                "sweep",
                "--scenario",
                "cao2026",
                "--T",
                SMALL_T,
                "--seeds",
                "2",
                "--seed",
                "9",
                "--jobs",
                jobs,
                "--out",
                str(out),
            ]
        )
        assert code == 0
        outs[jobs] = out
    return outs


@pytest.mark.slow
def test_sweep_writes_every_file_and_no_temporaries(swept):
    names = {p.name for p in swept["1"].iterdir()}
    assert names == {
        "profiles.csv",
        "summary.csv",
        "figure3.csv",
        "figure2.png",
        "figure3.png",
        "sweep.json",
    }
    for png in ("figure2.png", "figure3.png"):
        assert (swept["1"] / png).read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.slow
def test_sweep_profiles_csv(swept):
    table = pd.read_csv(swept["1"] / "profiles.csv")
    assert list(table.columns) == list(PROFILE_COLUMNS)
    assert len(table) == 216 * 3 * 2
    assert sorted(table["provider"].unique()) == [1, 2, 3]
    assert table["seed"].nunique() == 2
    assert (table.groupby(["profile", "seed"])["delegations"].sum() <= int(SMALL_T)).all()


@pytest.mark.slow
def test_sweep_summary_csv_recomputed_from_profiles(swept):
    table = pd.read_csv(swept["1"] / "profiles.csv")
    summary = pd.read_csv(swept["1"] / "summary.csv")
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert len(summary) == 18
    expected = table.groupby(["provider", "strategy"])[
        ["provider_utility", "user_utility", "delegations"]
    ].mean()
    got = summary.set_index(["provider", "strategy"]).sort_index()
    pd.testing.assert_frame_equal(got, expected.sort_index(), check_exact=False, rtol=1e-12)


@pytest.mark.slow
def test_sweep_figure3_csv_has_provider_1_playing_ours(swept):
    table = pd.read_csv(swept["1"] / "profiles.csv")
    figure3 = pd.read_csv(swept["1"] / "figure3.csv")
    assert sorted(figure3["provider"].unique()) == [2, 3]
    led = table[table["profile"].str.startswith("ours|") & (table["provider"] == 3)]
    mean = led[led["strategy"] == "dishonest-all"]["provider_utility"].mean()
    row = figure3[(figure3["provider"] == 3) & (figure3["strategy"] == "dishonest-all")]
    assert row["provider_utility"].item() == pytest.approx(mean, rel=1e-12)


@pytest.mark.slow
def test_sweep_does_not_depend_on_jobs(swept):
    for name in ("profiles.csv", "summary.csv", "figure3.csv"):
        assert (swept["1"] / name).read_bytes() == (swept["2"] / name).read_bytes(), name


@pytest.mark.slow
def test_sweep_json_settings(swept):
    data = json.loads((swept["2"] / "sweep.json").read_text())
    settings = data["settings"]
    assert settings["T"] == int(SMALL_T) and settings["seeds"] == 2 and settings["seed"] == 9
    assert settings["jobs"] == 2 and settings["profiles"] == 216 and settings["runs"] == 432
    assert settings["mechanism"] == "second-best-artifact"
    assert "reconstructed" in data["mechanism_note"]
    assert data["timings"]["simulate_seconds"] > 0


@pytest.mark.slow
def test_sweep_with_one_seed_matches_run(tmp_path, capsys):
    out = tmp_path / "one"
    assert (
        main(
            [
                "delegation",
                "sweep",
                "--scenario",
                "cao2026",
                "--T",
                SMALL_T,
                "--seed",
                "5",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    data = run_json(capsys, "--strategies", "dishonest-model,ours,dishonest-length", "--seed", "5")
    table = pd.read_csv(out / "profiles.csv")
    rows = table[table["profile"] == "dishonest-model|ours|dishonest-length"]
    assert rows["seed"].tolist() == [5, 5, 5]
    assert rows["delegations"].tolist() == [p["delegations"] for p in data["providers"]]
    assert rows["provider_utility"].tolist() == pytest.approx(
        [p["provider_utility"] for p in data["providers"]], rel=1e-15
    )


# ---- horizon ------------------------------------------------------------------------------


@pytest.mark.slow
def test_horizon_writes_csv_and_png(tmp_path, capsys):
    out = tmp_path / "h"
    code = main(
        [
            "delegation",
            "horizon",
            "--scenario",
            "cao2026",
            "--T-from",
            "5000",
            "--T-to",
            "9000",
            "--points",
            "3",
            "--seeds",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "horizon.csv")
    assert list(table.columns) == ["T", "seed", "provider1_user_utility", "user_utility", "u_sb"]
    assert table["T"].tolist() == [5000, 5000, 7000, 7000, 9000, 9000]
    assert (out / "figure4.png").read_bytes().startswith(PNG_SIGNATURE)
    assert "horizon.csv" in capsys.readouterr().out


# ---- own scenarios and failures while writing ---------------------------------------------

SMALL_SCENARIO = Path(__file__).parent / "data" / "small_scenario.toml"


@pytest.mark.slow
def test_sweep_of_a_two_provider_toml_scenario(tmp_path, capsys):
    out = tmp_path / "small"
    code = main(
        [
            "delegation",
            "sweep",
            "--scenario",
            str(SMALL_SCENARIO),
            "--mechanism",
            "explore-then-commit",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out / "profiles.csv")
    assert len(table) == 6**2 * 2
    assert len(pd.read_csv(out / "summary.csv")) == 2 * 6
    note = json.loads((out / "sweep.json").read_text())["mechanism_note"]
    assert "baseline" in note


def test_one_provider_scenario_is_a_user_error(tmp_path, capsys):
    text = SMALL_SCENARIO.read_text()
    text = text.replace(
        'data = "small_records.csv"', f'data = "{SMALL_SCENARIO.parent / "small_records.csv"}"'
    )
    text = text[: text.rindex("[[providers]]")]
    lonely = tmp_path / "lonely.toml"
    lonely.write_text(text)
    code = main(["delegation", "sweep", "--scenario", str(lonely), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "provider" in err[0]
    assert not (tmp_path / "out").exists()


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    from market.core.errors import UserInputError
    from market.core.output import write_outputs

    original = Path.write_bytes
    calls = []

    def failing(self, data):
        calls.append(self)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    out = tmp_path / "out"
    with pytest.raises(UserInputError, match="No space left"):
        write_outputs(out, {"a.csv": b"1", "b.csv": b"2", "c.png": b"3"})
    assert not out.exists()  # nothing written, not even the directory
    assert list(tmp_path.iterdir()) == []  # and no staging directory left behind
