"""One shape for every game (issue 16): each model's constructor, ``help()`` and ``result()``, and
each runs module's ``run(preset, seed=42, **params)``, checked over ``market.games.GAMES``."""

from __future__ import annotations

import inspect
import re

import pytest

from market.core.errors import UserInputError
from market.games import GAMES
from market.rosa import runs as rosa_runs
from market.ttc import runs as ttc_runs
from market.ttc.model import TTCMarket

BY_NAME = pytest.mark.parametrize("game", GAMES, ids=[game.name for game in GAMES])


def init_parameters(game) -> list[inspect.Parameter]:
    """The parameters of the game's model constructor, without ``self``."""
    return list(inspect.signature(game.model.__init__).parameters.values())[1:]


def default_preset(game) -> str:
    """The preset the model builds when given none."""
    return init_parameters(game)[0].default


@BY_NAME
def test_preset_comes_first_and_everything_else_is_by_name(game):
    first, *others = init_parameters(game)
    assert first.name == "preset"
    assert first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert isinstance(first.default, str) and first.default in game.scenarios
    assert others and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in others)


@BY_NAME
def test_rng_defaults_to_42_everywhere(game):
    (rng,) = (p for p in init_parameters(game) if p.name == "rng")
    assert rng.default == 42


@BY_NAME
def test_help_shows_the_models_own_arguments(game):
    doc = inspect.getdoc(game.model.__init__)
    assert doc != inspect.getdoc(game.model.__mro__[1].__init__)  # not Mesa's generic text
    args = re.split(r"^\S", doc.split("\nArgs:\n", 1)[1], maxsplit=1, flags=re.MULTILINE)[0]
    documented = set(re.findall(r"^    (\w+):", args, flags=re.MULTILINE))
    assert documented == {p.name for p in init_parameters(game)}


@BY_NAME
def test_each_runs_module_has_run_with_seed_42(game):
    parameters = inspect.signature(game.runs.run).parameters
    assert next(iter(parameters)) == "preset"
    assert parameters["seed"].default == 42
    assert parameters["seed"].kind is inspect.Parameter.KEYWORD_ONLY
    doc = inspect.getdoc(game.runs.run)
    assert "Args:" in doc and "Returns:" in doc


@pytest.mark.slow
@BY_NAME
def test_run_is_the_model_stepped_to_the_end(game):
    result = game.runs.run()
    assert callable(result.to_dict)
    model = game.model(default_preset(game), rng=42)
    while model.running:
        model.step()
    assert model.result().to_dict() == result.to_dict()
    assert game.runs.run(seed=7).to_dict() != result.to_dict()


@BY_NAME
def test_result_is_a_frozen_record_so_far(game):
    model = game.model(rng=3)
    model.step()
    record = model.result()
    with pytest.raises(AttributeError):
        record.seed = 4  # frozen dataclass
    assert record.to_dict()["seed"] == 3


def test_ttc_functions_take_names_specs_or_games():
    spec = ttc_runs.build_game(preset="intro-example")
    by_name, by_spec, by_game = (
        ttc_runs.analyze(value, seed=5).json_record()
        for value in ("intro-example", spec, spec.game)
    )
    assert by_name == by_spec
    assert by_game == {**by_spec, "game": {**by_spec["game"], "source": ""}}
    assert by_spec["game"]["source"] == "scenario intro-example"
    assert ttc_runs.truthful_auction("intro-example").to_dict() == (
        ttc_runs.truthful_auction(spec).to_dict()
    )
    table = ttc_runs.compare("intro-example", seed=1).table
    assert table.equals(ttc_runs.compare(spec.game, seed=1).table)
    model = TTCMarket(spec, rng=2)
    assert model.game.beta == spec.game.beta == ttc_runs.DEFAULT_BETA
    assert TTCMarket(spec, beta=5.0, v0=0.1).game.beta == 5.0
    with pytest.raises(UserInputError, match="preset"):
        ttc_runs.analyze(3.5)


def test_rosa_functions_take_preset_names():
    by_name, model = rosa_runs.run_market("patra2026", seed=1, check_points=0)
    assert by_name.to_dict() == rosa_runs.run(seed=1).to_dict()
    assert model.root_seed == 1
    with pytest.raises(UserInputError, match="setting"):
        rosa_runs.run_market(7)
