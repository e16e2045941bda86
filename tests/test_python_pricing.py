"""Every Python run function prices its request before it allocates, as the CLI does.

A request past this machine's memory or work limit (or ROSA's cap on provider-rounds) is
refused on the function's first lines, in one line naming the Python argument (``seeds``,
``betas``, ``horizons``...), the largest value that fits and the estimate: within a couple of
seconds and without a memory spike. A normal request is priced once and runs. The CLI prices
with its own flags and hands its price down, so its messages still name the flags and long
work is announced once (issue 15).
"""

from __future__ import annotations

import time

import pytest
from deadlines import deadline
from traced_peaks import traced_peak

from market.api import run_grid
from market.core import pricing
from market.core.errors import UserInputError
from market.delegation import footprint as delegation_footprint
from market.delegation import runs as delegation
from market.delegation.empirical import metagame
from market.delegation.payoffs import payoff_table
from market.games import main
from market.rosa import footprint as rosa_footprint
from market.rosa import runs as rosa
from market.rosa.scenarios import get_setting
from market.ttc import footprint as ttc_footprint
from market.ttc import runs as ttc

#: A refusal takes well under this (the slowest reads the longest of ten million horizons).
REFUSAL_SECONDS = 3.0
#: A refusal allocates next to nothing (the request would take gigabytes to terabytes).
REFUSAL_BYTES = 32 * 1024**2
#: A request that slipped past its price fails after this many seconds instead of hanging.
ALARM_SECONDS = 60

SMALL = {"T": 20_000, "strategies": ["ours", "honest"], "seeds": 1}
ROSA_SMALL = get_setting(T=200)
ROSA_GRID = {"game": "rosa", "kind": "regret", "seed": 1, "grid": {"T": [100]}}

REFUSED = {
    "delegation sweep seeds": (lambda: delegation.sweep("cao2026", seeds=10**9), "seeds"),
    "delegation sweep T": (lambda: delegation.sweep("cao2026", T=10**8), "T"),
    "delegation sweep jobs": (lambda: delegation.sweep(**SMALL, jobs=10**9), "jobs"),
    "delegation horizon points": (lambda: delegation.horizon(points=10**7), "points"),
    "delegation horizon seeds": (lambda: delegation.horizon(seeds=10**9), "seeds"),
    "delegation metagame seeds": (lambda: metagame(seeds=10**9, use_store=False), "seeds"),
    "delegation payoff_table seeds": (
        lambda: payoff_table(seeds=10**9, use_store=False),
        "seeds",
    ),
    "ttc sweep_beta betas": (lambda: ttc.sweep_beta("intro-example", range(1, 10**9)), "betas"),
    "ttc sweep_beta jobs": (
        lambda: ttc.sweep_beta("intro-example", range(1, 101), jobs=10**9),
        "jobs",
    ),
    "rosa truthfulness_curve bids": (
        lambda: rosa.truthfulness_curve("patra2026", 1, 1, range(10**9), 2),
        "bids",
    ),
    "rosa truthfulness_curve runs": (
        lambda: rosa.truthfulness_curve("patra2026", 1, 1, [0.1, 0.2], 10**9),
        "runs",
    ),
    "rosa bid_outcomes runs": (
        lambda: rosa.bid_outcomes("patra2026", 1, 1, [0.1, 0.2], 10**9),
        "runs",
    ),
    "rosa regret_curve horizons": (
        lambda: rosa.regret_curve("patra2026", 1, range(1000, 10**7), 2),
        "horizons",
    ),
    "rosa regret_curve runs": (
        lambda: rosa.regret_curve("patra2026", 1, [100, 1000], 10**12),
        "runs",
    ),
    "rosa monotonicity_survey instances": (
        lambda: rosa.monotonicity_survey("patra2026", 1, 10**9),
        "instances",
    ),
    "rosa monotonicity_survey points": (
        lambda: rosa.monotonicity_survey("patra2026", 1, 2, 10**12),
        "points",
    ),
    "rosa monotonicity_counts instances": (
        lambda: rosa.monotonicity_counts("patra2026", 1, 10**9, 11),
        "instances",
    ),
    "run_grid seeds": (
        lambda: run_grid({**ROSA_GRID, "seeds": 10**12}, store="never-made.db"),
        "mapping: [grid]",
    ),
}


@pytest.fixture(autouse=True)
def limits(monkeypatch, tmp_path):
    """The same limits on every machine (1 GB of memory, a week of work), in a fresh folder."""
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "1GB")
    monkeypatch.delenv(pricing.WORK_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)


def alarm():
    """Fail with a TimeoutError after :data:`ALARM_SECONDS` instead of running on."""
    return deadline(ALARM_SECONDS)


def refusal(call) -> str:
    """The one-line message ``call()`` is refused with."""
    with pytest.raises(UserInputError) as refused:
        call()
    return str(refused.value)


@pytest.mark.parametrize(("call", "name"), REFUSED.values(), ids=REFUSED.keys())
def test_an_oversized_request_is_refused_in_one_line_naming_the_argument(call, name, tmp_path):
    with alarm():
        message = refusal(call)  # the first call also imports what the function needs
    assert message.startswith(f"{name}: expected "), message
    assert "\n" not in message and len(message) < 300, message
    assert "on this machine" in message or "expected fewer" in message, message
    assert "(about " in message and "the limit is" in message, message
    started = time.perf_counter()
    assert refusal(call) == message
    assert time.perf_counter() - started < REFUSAL_SECONDS
    assert traced_peak(lambda: refusal(call)) < REFUSAL_BYTES
    assert list(tmp_path.iterdir()) == []  # no store, no output


def test_a_sequence_without_a_length_is_refused_naming_the_argument():
    betas = (beta for beta in (1.0, 10.0))
    message = refusal(lambda: ttc.sweep_beta("intro-example", betas))
    assert message == "betas: expected a sequence of betas (a list or an array), got 'generator'"
    assert refusal(lambda: rosa.regret_curve(ROSA_SMALL, 1, [], 2)).startswith("horizons: ")


NORMAL = {
    "delegation sweep": (
        lambda: delegation.sweep(**SMALL),
        lambda result: result.settings["profiles"] == 8,
    ),
    "delegation horizon": (
        lambda: delegation.horizon("cao2026", 4000, 8000, 3, jobs=1),
        lambda result: len(result.table) == 3,
    ),
    "delegation metagame": (
        lambda: metagame(**SMALL, use_store=False, check_theorem=False),
        lambda result: result.table.K == 3,
    ),
    "delegation payoff_table": (
        lambda: payoff_table(**SMALL, use_store=False),
        lambda result: result[0].K == 3,
    ),
    "ttc sweep_beta": (
        lambda: ttc.sweep_beta("intro-example", [1.0, 10.0]),
        lambda result: len(result.table) == 2,
    ),
    "rosa truthfulness_curve": (
        lambda: rosa.truthfulness_curve(ROSA_SMALL, 1, 1, [0.1, 0.3], 2),
        lambda result: len(result.bids) == 2,
    ),
    "rosa bid_outcomes": (
        lambda: rosa.bid_outcomes(ROSA_SMALL, 1, 1, [0.1, 0.3], 2),
        lambda result: result.served.shape[:2] == (2, 3),
    ),
    "rosa regret_curve": (
        lambda: rosa.regret_curve(ROSA_SMALL, 1, [100, 200], 2),
        lambda result: result.horizons == (100, 200),
    ),
    "rosa monotonicity_survey": (
        lambda: rosa.monotonicity_survey(ROSA_SMALL, 1, 2, 3),
        lambda result: result.instances == 2,
    ),
    "rosa monotonicity_counts": (
        lambda: rosa.monotonicity_counts(ROSA_SMALL, 1, 2, 3),
        lambda result: result.shape == (2, ROSA_SMALL.providers, 3),
    ),
    "run_grid": (
        lambda: run_grid(ROSA_GRID, store="runs.db"),
        lambda result: result.runs == 1,
    ),
}


@pytest.fixture
def checks(monkeypatch) -> list[list[str]]:
    """The flags of every ``pricing.check`` the test makes, one list per check."""
    made = []
    check = pricing.check

    def counted(sizes, limits):
        made.append([size.flag for size in sizes])
        return check(sizes, limits)

    monkeypatch.setattr(pricing, "check", counted)
    return made


@pytest.mark.parametrize(("call", "expected"), NORMAL.values(), ids=NORMAL.keys())
def test_a_normal_request_is_priced_once_and_runs(call, expected, checks):
    with alarm():
        result = call()
    assert expected(result)
    assert len(checks) == 1, checks  # priced once, under the Python names
    assert not any(flag.startswith("--") for flag in checks[0]), checks


# ---- the CLI prices with its flags, once, and hands its price down --------------------------

CLI_REFUSED = {
    "delegation": (["delegation", "sweep", "--scenario", "cao2026", "--seeds", "1e9"], "--seeds"),
    "ttc": (["ttc", "sweep-beta", "--scenario", "intro-example", "--betas", "1:10:1e9"], "--betas"),
    "rosa": (["rosa", "truthfulness", "--runs", "1e9"], "--runs"),
}


@pytest.mark.parametrize(("argv", "flag"), CLI_REFUSED.values(), ids=CLI_REFUSED.keys())
def test_the_cli_refusal_still_names_the_flag(argv, flag, capsys):
    with alarm():
        assert main([*argv, "--out", "out"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"llm-market: error: {flag}: expected "), captured.err
    assert "(about " in captured.err and "the limit is" in captured.err
    assert captured.err.count("\n") == 1


HORIZON = ["delegation", "horizon", "--scenario", "cao2026", "--T-from", "4000", "--T-to", "8000"]
CLI_LONG = {
    "delegation": (
        [*HORIZON, "--points", "2", "--jobs", "1"],
        (delegation_footprint, "QUERY_SECONDS", 0.01),
        "delegation horizon",
    ),
    "ttc": (
        ["ttc", "sweep-beta", "--scenario", "intro-example", "--betas", "1:10:2", "--jobs", "1"],
        (ttc_footprint, "beta_sweep_seconds", lambda points, n, levels: 3600.0),
        "ttc sweep-beta",
    ),
    "rosa": (
        ["rosa", "regret", "--T-from", "100", "--T-to", "200", "--points", "2", "--runs", "2"],
        (rosa_footprint, "ROUND_SECONDS", 1.0),
        "rosa regret",
    ),
}


@pytest.mark.parametrize(("argv", "slower", "what"), CLI_LONG.values(), ids=CLI_LONG.keys())
def test_the_cli_prices_once_and_announces_long_work_once(
    argv, slower, what, monkeypatch, capsys, checks
):
    monkeypatch.setattr(*slower)  # the estimate, not the work, is long
    with alarm():
        assert main([*argv, "--seed", "1", "--out", "out"]) == 0
    err = capsys.readouterr().err
    assert err.count(f"llm-market: {what}: about ") == 1, err
    assert len(checks) == 1 and all(flag.startswith("--") for flag in checks[0]), checks
