"""Every result record of every game follows one protocol (:mod:`market.core.results`).

The record types come from each game's description (``GAME.results``), never from a list
here; each is checked on a real instance built by the game's own run functions on a tiny
market. A dataclass that a game's run functions return, or that a declared record holds from
its own module, must be declared too, so a new record cannot be forgotten.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import math
import typing
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pytest

from market.core.game import game_package
from market.core.results import ResultMixin, ResultRecord, json_ready
from market.games import GAMES

SMALL = str(Path(__file__).parent / "data" / "small_scenario.toml")


def delegation_examples() -> list:
    """A run, a plan, a sweep, a horizon sweep and the metagame on the two-provider market."""
    from market.delegation import runs
    from market.delegation.empirical import metagame

    two = ["ours", "honest"]
    return [
        runs.run_profile(SMALL, "ours,honest", seed=3),
        runs.plan(SMALL),
        runs.sweep(SMALL, seeds=1, strategies=two),
        runs.horizon(SMALL, 4000, 6000, 2),
        metagame(SMALL, seeds=1, strategies=two, use_store=False),
    ]


def ttc_examples() -> list:
    """The intro example (Appendix A): game, one run, dynamics, analysis, beta sweep, Table 2."""
    from market.ttc import runs

    spec = runs.build_game(preset="intro-example", beta=200.0)
    return [
        spec,
        runs.run(spec, seed=3),
        runs.dynamics(spec.game, seed=3),
        runs.analyze(spec.game, spec.source),
        runs.sweep_beta(spec.game, [1.0, 10.0, math.inf]),
        runs.compare(spec.game),
    ]


def rosa_examples() -> list:
    """A short run, and each curve and survey on a few runs of a short horizon."""
    from market.rosa import runs
    from market.rosa.scenarios import get_setting

    setting = get_setting(T=300)
    bids = [0.1, 0.2, 0.3]
    return [
        runs.run_market(setting, 3, check_points=3)[0],
        runs.bid_outcomes(setting, 2, 1, bids, runs=3),
        runs.truthfulness_curve(setting, 2, 1, bids, runs=3),
        runs.regret_curve(setting, 4, [100, 200], runs=2),
        runs.monotonicity_survey(setting, 1, instances=2, points=3),
    ]


EXAMPLES = {"delegation": delegation_examples, "ttc": ttc_examples, "rosa": rosa_examples}


def records_in(value) -> list:
    """``value`` and every result record nested in its fields, tuples and lists."""
    if isinstance(value, list | tuple):
        return [record for item in value for record in records_in(item)]
    if not isinstance(value, ResultMixin):
        return []
    nested = [records_in(getattr(value, f.name)) for f in dataclasses.fields(value)]
    return [value, *(record for records in nested for record in records)]


@functools.cache
def examples_of(game_name: str) -> dict[type, object]:
    """One instance of each record type the game's examples hold (run once per game)."""
    found: dict[type, object] = {}
    for record in records_in(EXAMPLES[game_name]()):
        found.setdefault(type(record), record)
    return found


def example(game, cls):
    """The game's example of ``cls`` (fails when the examples build none)."""
    found = examples_of(game.name)
    assert cls in found, f"{game.name}'s examples build no {cls.__name__}: add one above"
    return found[cls]


DECLARED = [(game, cls) for game in GAMES for cls in game.results]
IDS = [f"{game.name}-{cls.__name__}" for game, cls in DECLARED]


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_every_game_declares_records_and_has_examples(game):
    assert game.results, f"{game.name} declares no result records"
    assert game.name in EXAMPLES


@pytest.mark.parametrize(("game", "cls"), DECLARED, ids=IDS)
def test_to_dict_is_the_records_own_fields_and_json_ready(game, cls):
    record = example(game, cls)
    assert isinstance(record, ResultRecord)
    data = record.to_dict()
    assert list(data) == [f.name for f in dataclasses.fields(cls)]
    json.dumps(data)  # NaN and infinities allowed, as floats


@pytest.mark.parametrize(("game", "cls"), DECLARED, ids=IDS)
def test_to_frame_is_a_tidy_frame_with_named_columns(game, cls):
    frame = example(game, cls).to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    assert all(isinstance(column, str) for column in frame.columns), list(frame.columns)


@pytest.mark.parametrize(("game", "cls"), DECLARED, ids=IDS)
def test_summary_is_one_line(game, cls):
    line = example(game, cls).summary()
    assert isinstance(line, str) and line.strip() and "\n" not in line
    assert not line.startswith(f"{cls.__name__}:"), "write a summary for people (units)"


# ---- nothing forgotten --------------------------------------------------------------------


def dataclasses_named(annotation) -> set[type]:
    """The dataclass types in a type annotation (inside tuples, lists, unions...)."""
    found = set()
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        found.add(annotation)
    for argument in typing.get_args(annotation):
        found |= dataclasses_named(argument)
    return found


def returned_dataclasses(game) -> set[type]:
    """Dataclasses of the game's package returned by its public run, record and model functions."""
    modules = {game.runs, *(inspect.getmodule(cls) for cls in game.results)}
    functions = [
        f
        for module in modules
        for name, f in vars(module).items()
        if inspect.isfunction(f) and f.__module__ == module.__name__ and not name.startswith("_")
    ]
    methods = vars(game.model).items()  # the model's public methods (``result()``)
    functions += [f for name, f in methods if inspect.isfunction(f) and not name.startswith("_")]
    returned = set().union(
        *(dataclasses_named(typing.get_type_hints(f).get("return")) for f in functions)
    )
    return {cls for cls in returned if cls.__module__.startswith(f"{game_package(game)}.")}


def held_dataclasses(cls) -> set[type]:
    """Dataclasses that record ``cls`` holds in its fields and that live in its own module."""
    hints = typing.get_type_hints(cls)
    held = set().union(*(dataclasses_named(hints[f.name]) for f in dataclasses.fields(cls)))
    return {other for other in held if other.__module__ == cls.__module__}


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_every_record_the_runs_return_is_declared(game):
    declared = set(game.results)
    held = set().union(*(held_dataclasses(cls) for cls in declared))
    assert (returned_dataclasses(game) | held) - declared == set()


# ---- the JSON form ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Point(ResultMixin):
    """A tiny record for the known answers below."""

    name: str
    values: tuple[float, ...]


def test_json_ready_known_answers():
    frame = pd.DataFrame({"a": np.array([1, 2]), "b": [0.5, math.inf]})
    value = {
        "scalar": np.float64(1.5),
        "integer": np.int64(3),
        "array": np.array([[1.0, math.nan]]),
        "frame": frame,
        "record": Point("p", (1.0, 2.0)),
        "path": PurePosixPath("a/b"),
        2: ("x", None),
    }
    ready = json_ready(value)
    assert ready["scalar"] == 1.5 and type(ready["scalar"]) is float
    assert ready["integer"] == 3 and type(ready["integer"]) is int
    assert ready["array"][0][0] == 1.0 and math.isnan(ready["array"][0][1])
    assert ready["frame"] == [{"a": 1, "b": 0.5}, {"a": 2, "b": math.inf}]
    assert ready["record"] == {"name": "p", "values": [1.0, 2.0]}
    assert ready["path"] == "a/b" and ready["2"] == ["x", None]
    assert json.dumps(ready["frame"]) == '[{"a": 1, "b": 0.5}, {"a": 2, "b": Infinity}]'


def test_json_ready_refuses_what_has_no_json_form():
    with pytest.raises(TypeError, match="object"):
        json_ready(object())


def test_the_mixin_defaults_are_the_fields():
    point = Point("p", (1.0, 2.0))
    assert point.to_dict() == {"name": "p", "values": [1.0, 2.0]}
    assert point.to_frame().to_dict(orient="records") == [{"name": "p"}]
    assert point.summary() == "Point: name=p"
