"""Every size a user controls is priced before anything is allocated, and refused in one line.

The memory limit is set small (``LLM_MARKET_MEMORY_LIMIT``) so the answers do not depend on
the machine; the largest value a refusal names is checked to fit, and one more not to.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from market.core.errors import UserInputError

from llm_market_reputation import runs
from llm_market_reputation.model import ReputationMarket
from llm_market_reputation.pricing import CLI_FLAGS, PYTHON_ARGUMENTS, run_price
from llm_market_reputation.scenarios import scenario_named

BASE = scenario_named("honest-vs-cheap")


@pytest.fixture
def small_memory(monkeypatch):
    monkeypatch.setenv("LLM_MARKET_MEMORY_LIMIT", "100MB")


def largest_named(error: UserInputError) -> int:
    """The largest value that fits, as the refusal names it."""
    return int(re.search(r"at most ([\d,]+)", error.expected).group(1).replace(",", ""))


@pytest.mark.parametrize(("size", "value"), [("rounds", 10**9), ("queries", 10**30)])
def test_a_size_past_a_limit_is_refused_naming_the_largest_that_fits(small_memory, size, value):
    with pytest.raises(UserInputError) as error:
        run_price(BASE.with_settings(**{size: value}), {size: value}, CLI_FLAGS)
    assert error.value.field == f"--{size}" and "\n" not in str(error.value)
    assert "about" in error.value.note  # the estimate
    largest = largest_named(error.value)
    run_price(BASE.with_settings(**{size: largest}), names=CLI_FLAGS)
    with pytest.raises(UserInputError):
        run_price(BASE.with_settings(**{size: largest + 1}), names=CLI_FLAGS)


def test_many_providers_are_refused_under_strategies(small_memory):
    scenario = BASE.with_settings(strategies=("cheap",) * 20_000, rounds=1000)
    with pytest.raises(UserInputError) as error:
        run_price(scenario, names=PYTHON_ARGUMENTS)
    assert error.value.field == "strategies" and "20,000 strategies" in str(error.value)


def test_the_model_and_run_are_priced_under_their_argument_names(small_memory):
    for build in (ReputationMarket, runs.run):
        with pytest.raises(UserInputError) as error:
            build("milking", rounds=10**9)
        assert error.value.field == "rounds" and "at most" in error.value.expected


def test_the_command_refuses_in_one_line_before_it_allocates():
    done = subprocess.run(
        [sys.executable, "-m", "market", "reputation", "run", "--rounds", "1000000000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("llm-market: error: --rounds: expected at most ") and "memory" in line


def test_a_long_run_shows_a_progress_bar_and_a_short_one_none(monkeypatch, capsys):
    monkeypatch.setattr(runs, "PROGRESS_SECONDS", 0.0)
    runs.run("milking", rounds=30, progress=True)
    assert "reputation run" in capsys.readouterr().err
    runs.run("milking", rounds=30, progress=False)
    monkeypatch.setattr(runs, "PROGRESS_SECONDS", 1e9)
    runs.run("milking", rounds=30, progress=True)
    assert capsys.readouterr().err == ""
