"""Every size a user types is priced before anything is allocated, in every game's CLI.

Each absurd request is refused in the driver, in one line naming the flag as typed, the largest
value that fits and the estimate, with exit code 2 and nothing written. The in-process tests
run under an address-space limit of about 1.5 GB above the process's own and an alarm, so a
request that slipped past its price fails with a MemoryError or a TimeoutError instead of
taking the machine down; a few run
in a subprocess under a hard limit, with their peak memory measured.
"""

import contextlib
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from deadlines import deadline

from market.core import pricing
from market.games import main

ROOT = Path(__file__).resolve().parents[1]
HEADROOM = 1536 * 1024**2
#: Every command here ends within this many seconds (a refusal takes well under one).
SECONDS = 30


def address_space() -> int:
    """This process's virtual memory size in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize")


@contextlib.contextmanager
def bounded_memory():
    """At most :data:`HEADROOM` more address space and :data:`SECONDS` s, while inside."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (address_space() + HEADROOM, hard))
    try:
        with deadline(SECONDS):
            yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run_cli(argv, capsys):
    with bounded_memory():
        try:
            code = main(argv)
        except SystemExit as exit_info:
            code = exit_info.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def limits(monkeypatch, tmp_path):
    """The same limits on every machine (1 GB of memory, a week of work), in a fresh folder."""
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "1GB")
    monkeypatch.delenv(pricing.WORK_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)


OUT = ["--out", "out"]
HORIZON = ["delegation", "horizon", "--scenario", "cao2026", "--T-from", "1e6", "--T-to", "2e6"]
STORE = ["--store", "runs.db"]
REFUSED = [
    (
        ["rosa", "truthfulness", "--T", "1000", "--runs", "2", "--bids", "0:0.5:1000000000"],
        "--bids",
    ),
    (["rosa", "truthfulness", "--runs", "1e9", *STORE], "--runs"),
    (["rosa", "truthfulness", "--jobs", "1e9"], "--jobs"),
    (["rosa", "regret", "--T-from", "100", "--T-to", "1e6", "--points", "1e7", *OUT], "--points"),
    (
        [
            "rosa",
            "regret",
            "--T-from",
            "10",
            "--T-to",
            "100",
            "--points",
            "3",
            "--runs",
            "1e12",
            *OUT,
        ],
        "--runs",
    ),
    (["rosa", "run", "--check-points", "1e9"], "--check-points"),
    (["rosa", "run", "--jobs", "1e9", "--T", "100"], "--jobs"),
    (["rosa", "monotonicity", "--instances", "1e9", *STORE], "--instances"),
    (["rosa", "monotonicity", "--points", "1e12"], "--points"),
    (
        ["ttc", "sweep-beta", "--scenario", "intro-example", "--betas", "1:10:1000000000", *OUT],
        "--betas",
    ),
    (["ttc", "sweep-beta", "--scenario", "intro-example", "--jobs", "1e9", *OUT, *STORE], "--jobs"),
    (["ttc", "dynamics", "--scenario", "intro-example", "--users", "1e12", *OUT], "--users"),
    (["delegation", "run", "--scenario", "cao2026", "--strategies", "ours", "--T", "1e8"], "--T"),
    (["delegation", "sweep", "--scenario", "cao2026", "--seeds", "1000000000", *OUT], "--seeds"),
    (["delegation", "sweep", "--scenario", "cao2026", "--jobs", "1e9", *OUT, *STORE], "--jobs"),
    (
        ["delegation", "metagame", "--scenario", "cao2026", "--seeds", "1e6", *OUT, *STORE],
        "--seeds",
    ),
    ([*HORIZON, "--points", "10000000", *OUT], "--points"),
    ([*HORIZON, "--points", "3", "--jobs", "1e9", *OUT], "--jobs"),
]


@pytest.mark.parametrize(("argv", "flag"), REFUSED, ids=[f"{a[0]} {a[1]} {f}" for a, f in REFUSED])
def test_absurd_sizes_are_refused_in_one_line_before_anything(argv, flag, capsys, tmp_path):
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"llm-market: error: {flag}: expected "), err
    assert "on this machine" in err or "expected fewer" in err, err
    assert "the limit is" in err and "(about " in err, err
    assert len(err) < 300
    assert list(tmp_path.iterdir()) == []  # no output folder, no store


def test_the_refusal_says_what_fits_and_the_limit(capsys):
    argv = ["rosa", "truthfulness", "--T", "1000", "--runs", "2", "--bids", "0:0.5:1000000000"]
    _, _, err = run_cli(argv, capsys)
    assert "--bids: expected at most 26,755 bid points on this machine" in err  # 9.4 KB a market
    assert ", got '0:0.5:1000000000' (about 34.1 TB of memory; " in err
    assert "the limit is 1.0 GB, set LLM_MARKET_MEMORY_LIMIT to change it)" in err


@pytest.mark.slow
def test_a_larger_limit_lets_the_same_request_through_the_pricing(monkeypatch, capsys):
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "100TB")
    argv = ["rosa", "monotonicity", "--points", "1e4", "--instances", "1", "--T", "10"]
    argv += ["--learners", "elimination", "--providers", "2", "--dim", "1"]
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err


def test_every_horizon_is_checked_in_the_driver(capsys, tmp_path):
    argv = ["delegation", "horizon", "--scenario", "cao2026", "--T-from", "1e6"]
    argv += ["--T-to", "1e13", "--points", "3", "--jobs", "2", *OUT]
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("llm-market: error: --T-to: expected an integer T from 1 to 100,000,000")
    assert list(tmp_path.iterdir()) == []


def test_long_work_below_the_limit_is_announced(monkeypatch, capsys, tmp_path):
    from market.rosa import footprint

    monkeypatch.setattr(footprint, "ROUND_SECONDS", 1.0)  # 2 runs x 2 x 200 rounds x 5
    argv = ["rosa", "regret", "--T-from", "100", "--T-to", "200", "--points", "2", "--runs", "2"]
    code, _, err = run_cli([*argv, "--seed", "1", *OUT], capsys)
    assert code == 0
    assert "llm-market: rosa regret: about 67 min of work (an estimate)" in err


NUMBERS = [
    ("delegation", "run", "--scenario", "cao2026", "--strategies", "ours"),
    ("delegation", "metagame", "--scenario", "cao2026", "--out", "out"),
    (*HORIZON, "--points", "3", "--out", "out"),
    ("ttc", "analyze", "--scenario", "intro-example"),
    ("ttc", "dynamics", "--scenario", "intro-example", "--out", "out"),
    ("ttc", "sweep-beta", "--scenario", "intro-example", "--out", "out"),
    ("rosa", "run"),
    ("rosa", "truthfulness"),
    ("rosa", "regret", "--T-from", "100", "--T-to", "200", "--points", "2", "--out", "out"),
    ("rosa", "monotonicity"),
]
FLAGS = {
    ("delegation", "run"): ("--T", "--eps", "--seed", "--batch"),
    ("delegation", "metagame"): ("--T", "--seeds", "--tolerance", "--z", "--max-plays", "--jobs"),
    ("delegation", "horizon"): ("--T-from", "--T-to", "--points", "--seeds", "--jobs"),
    ("ttc", "analyze"): ("--alpha", "--margin", "--v0", "--seed", "--max-profiles"),
    ("ttc", "dynamics"): ("--users", "--user-spread"),
    ("ttc", "sweep-beta"): ("--jobs",),
    ("rosa", "run"): ("--T", "--providers", "--dim", "--sigma", "--mu", "--run", "--check-points"),
    ("rosa", "truthfulness"): ("--provider", "--runs", "--jobs", "--seed"),
    ("rosa", "regret"): ("--T-from", "--T-to", "--points", "--runs"),
    ("rosa", "monotonicity"): ("--instances", "--points"),
}
CASES = [
    ([*base, f"{flag}={value}"], flag)
    for base in NUMBERS
    for flag in FLAGS[base[:2]]
    for value in ("nan", "inf", "-inf", "1e999")
]
RANGES = [
    (
        ["ttc", "sweep-beta", "--scenario", "intro-example", "--out", "out", f"--betas={r}"],
        "--betas",
    )
    for r in ("1:10:nan", "1:nan:3", "1:inf:3", "1:10:1e999", "1e-999:1:3")
] + [
    (["rosa", "truthfulness", f"--bids={r}"], "--bids")
    for r in ("0:0.5:nan", "nan:0.5:3", "0:inf:3", "0:0.5:1e999")
]


@pytest.mark.parametrize(
    ("argv", "flag"),
    CASES + RANGES,
    ids=[" ".join(argv[:2] + argv[-1:]) for argv, _ in CASES + RANGES],
)
def test_non_finite_numbers_are_one_line_naming_the_flag(argv, flag, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "8GB")  # the defaults of every command fit
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == "", err
    assert err.count("\n") == 1 and len(err) < 300, err
    assert f"error: {flag}: expected" in err or f"argument {flag}:" in err, err
    assert "4611686018427387904" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["rosa", "run", "--T", "nan"], "--T: expected an integer T from 1 to 10,000,000"),
        (["rosa", "run", "--dim", "x"], "--dim: expected an integer dimension from 1 to 64"),
        (["delegation", "plan", "--scenario", "cao2026", "--T", "nan"], "--T: expected an integer"),
        (
            [
                "ttc",
                "dynamics",
                "--scenario",
                "intro-example",
                "--users=10",
                "--user-spread=1e300",
                "--out=o",
            ],
            "--user-spread: expected a standard deviation from 0 to 50",
        ),
    ],
)
def test_messages_say_what_the_flag_takes(argv, expected, capsys):
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and err.startswith(f"llm-market: error: {expected}"), err


@pytest.mark.slow
def test_a_grid_with_a_huge_duplicated_list_gets_a_short_message(tmp_path, capsys):
    values = ", ".join(["10"] * 2_000_000)
    grid = tmp_path / "grid.toml"
    grid.write_text(
        'game = "ttc"\nkind = "equilibria"\nseed = 0\n[grid]\npreset = "intro-example"\n'
        f"beta = [{values}]\n"
    )
    code, _, err = run_cli(["experiment", "run", str(grid), "--store", "runs.db"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert len(err) < 300 and "grid.beta: expected distinct values" in err, err[:400]


#: ``llm-market ARGS...`` that writes its own peak resident memory (``VmHWM``, in KB: reset
#: at exec, unlike ``ru_maxrss``, which keeps a forked parent's size) to the file named first.
PEAK_REPORTING = """
import atexit, pathlib, sys
out = pathlib.Path(sys.argv.pop(1))
def peak():
    lines = pathlib.Path("/proc/self/status").read_text().splitlines()
    out.write_text(next(l for l in lines if l.startswith("VmHWM:")).split()[1])
atexit.register(peak)
sys.argv[0] = "llm-market"
from market.games import console
console()
"""
SUBPROCESS = [
    ["rosa", "truthfulness", "--T", "1000", "--runs", "2", "--bids", "0:0.5:1000000000"],
    ["ttc", "sweep-beta", "--scenario", "intro-example", "--betas", "1:10:1000000000", *OUT],
    [*HORIZON, "--points", "10000000", *OUT],
    ["delegation", "sweep", "--scenario", "cao2026", "--seeds", "1000000000", *OUT],
]


@pytest.mark.slow
@pytest.mark.parametrize("argv", SUBPROCESS, ids=lambda argv: " ".join(argv[:2]))
def test_refused_under_a_hard_memory_limit_with_a_small_peak(argv, tmp_path):
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(pricing.MEMORY_VARIABLE, None)  # the machine's own limit
    errors = tmp_path.parent / f"{tmp_path.name}.stderr"
    peak = tmp_path.parent / f"{tmp_path.name}.peak"
    done = subprocess.run(
        [sys.executable, "-c", PEAK_REPORTING, str(peak), *argv],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors.open("w"),
        timeout=120,
        preexec_fn=limit,
    )
    err = errors.read_text()
    assert done.returncode == 2, err[-2000:]
    assert err.count("\n") == 1 and "on this machine" in err
    assert int(peak.read_text()) < 1024**2  # KB: the process's own peak under 1 GB
    assert list(tmp_path.iterdir()) == []


def test_dashboard_workers_are_bounded_by_the_cores():
    import argparse

    from market.core.errors import UserInputError
    from market.dashboard import serving_environment

    args = argparse.Namespace(data_dir=None, memory_budget=None, workers="1e9")
    with pytest.raises(UserInputError, match=r"^--workers: expected at most \d+ shared worker"):
        serving_environment(args)
    args.workers = "2"
    assert serving_environment(args)["LLM_MARKET_WORKERS"] == "2"


def test_work_past_the_limit_is_refused_naming_the_flag(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(pricing.WORK_VARIABLE, "1s")
    code, _, err = run_cli(["ttc", "analyze", "--scenario", "gsm8k-best-of-n"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("llm-market: error: --max-profiles: expected at most 10,077,695 ")
    assert "of work on one core; the limit is 1 s, set LLM_MARKET_WORK_LIMIT" in err
    monkeypatch.setenv(pricing.WORK_VARIABLE, "1m")
    argv = ["delegation", "sweep", "--scenario", "cao2026", "--seeds", "100", "--jobs", "1"]
    code, _, err = run_cli([*argv, *OUT], capsys)
    assert code == 2 and err.startswith("llm-market: error: --seeds: expected at most 13 ")
    assert "(about 7 min of work on one core; the limit is 60 s" in err
    assert list(tmp_path.iterdir()) == []
