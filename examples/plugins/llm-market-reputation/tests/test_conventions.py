"""The game has the shape and the face of the shipped games, checked by the same code.

- the per-game shape: :func:`market.core.game.shape_problems` (the architecture test runs it on
  every shipped game);
- the model's and run's conventions and the result protocol: llm-market's own checks of
  ``tests/test_model_conventions.py`` and ``tests/test_result_protocol.py``, every check there
  that takes a game, run on this one (skipped, saying why, when llm-market is installed
  without its tests);
- the DataCollector: ``step`` and ``<quantity>[Provider k]``, providers numbered from 1.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

import market
import pytest
from market.core.game import shape_problems
from market.core.providers import provider_column

from llm_market_reputation import GAME
from llm_market_reputation.model import TOTALS, ReputationMarket
from llm_market_reputation.runs import run

#: llm-market's own tests (there in a source checkout: ``pip install -e .``).
LLM_MARKET_TESTS = Path(market.__file__).resolve().parents[1] / "tests"


def llm_market_checks(module: str):
    """llm-market's test module ``module`` (skips, saying why, without llm-market's tests)."""
    path = LLM_MARKET_TESTS / f"{module}.py"
    if not path.exists():
        pytest.skip(f"llm-market's {module}.py is not here ({path}): install it from source")
    name = f"llm_market_tests.{module}"
    if name not in sys.modules:  # its dataclasses look their module up there
        spec = importlib.util.spec_from_file_location(name, path)
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def checks_of(module, parameters: list[str]) -> list:
    """The module's tests that take exactly ``parameters`` (those parametrized over games)."""
    return [
        check
        for name, check in vars(module).items()
        if name.startswith("test_")
        and inspect.isfunction(check)
        and list(inspect.signature(check).parameters) == parameters
    ]


def reputation_examples() -> list:
    """A finished run and a run stopped after one round (the record so far)."""
    model = ReputationMarket("milking", rounds=5, rng=3)
    model.step()
    return [run("milking", rounds=20, seed=3), model.result()]


def test_the_game_has_the_per_game_shape():
    assert shape_problems(GAME) == []
    assert market.game("reputation").description is GAME


def test_the_model_and_run_follow_the_shipped_games_conventions():
    conventions = llm_market_checks("test_model_conventions")
    checks = checks_of(conventions, ["game"])
    assert len(checks) >= 6, [check.__name__ for check in checks]
    for check in checks:
        check(GAME)


def test_the_result_records_follow_the_result_protocol(monkeypatch):
    protocol = llm_market_checks("test_result_protocol")
    monkeypatch.setitem(protocol.EXAMPLES, GAME.name, reputation_examples)
    per_game, per_record = checks_of(protocol, ["game"]), checks_of(protocol, ["game", "cls"])
    assert len(per_game) >= 2 and len(per_record) >= 3
    for check in per_game:
        check(GAME)
    for cls in GAME.results:
        for check in per_record:
            check(GAME, cls)


def test_the_datacollector_has_step_and_a_column_per_quantity_and_provider():
    model = ReputationMarket("milking", rounds=12, rng=5)
    record = model.run()
    history = model.history()
    providers = range(1, model.settings.providers + 1)
    quantities = (*TOTALS, "rating")
    expected = ["step", *(provider_column(q, k) for q in quantities for k in providers)]
    assert list(history.columns) == expected
    assert history["step"].tolist() == list(range(13))  # a row at the start, one per round
    last = history.iloc[-1]
    for outcome in record.providers:
        k = outcome.provider
        assert last[provider_column("queries", k)] == outcome.queries
        assert last[provider_column("profit", k)] == pytest.approx(outcome.profit)
        assert last[provider_column("rating", k)] == outcome.rating
        assert last[provider_column("honest_rounds", k)] == outcome.honest_rounds * 12
    assert [p.provider for p in record.providers] == [1, 2, 3]
    assert sum(last[provider_column("queries", k)] for k in providers) == 12 * 300
