"""The layout shows the architecture: layers import only downwards, no cycles, small files.

Layers, bottom to top: ``market.core`` (imports no game), ``mechanisms.<game>`` (core only),
``agents.<game>`` (core and mechanisms), ``market.<game>`` (anything below), then the top
(``market/*.py`` such as ``market.games``, and ``app``). Imports are read from the source with
``ast``, so a lazy import inside a function counts too.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest

from market.core.game import is_builtin, shape_problems
from market.games import BUILTIN_GAMES, GAMES

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("market", "mechanisms", "agents", "app")
MAX_LINES = 420  # "no file over about 400 lines"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def imported(path: Path) -> set[str]:
    """Project modules named by the file's import statements (absolute imports only)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in PACKAGES}


def import_graph() -> nx.DiGraph:
    modules = project_modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for target in imported(path):
            if target in modules and target != name:
                graph.add_edge(name, target)
    return graph


def layer(module: str) -> tuple[int, str | None]:
    """(layer number, game) of a module: 0 core, 1 mechanisms, 2 agents, 3 games, 4 top."""
    parts = module.split(".")
    if parts[:2] == ["market", "core"]:
        return 0, None
    if parts[0] == "mechanisms":
        return 1, parts[1] if len(parts) > 1 else None
    if parts[0] == "agents":
        return 2, parts[1] if len(parts) > 1 else None
    if parts[0] == "market" and len(parts) > 1 and (ROOT / "market" / parts[1]).is_dir():
        return 3, parts[1]
    return 4, None  # market.games, market.__main__, other top-level commands, app


def test_no_import_cycles():
    graph = import_graph()
    package_inits = {m for m, p in project_modules().items() if p.name == "__init__.py"}
    # a package's __init__ re-exporting its own modules is not a cycle between modules
    edges = [(a, b) for a, b in graph.edges if not (a in package_inits and b.startswith(a + "."))]
    cycles = list(nx.simple_cycles(nx.DiGraph(edges)))
    assert cycles == []


def test_layers_import_only_downwards_and_games_only_themselves():
    wrong = []
    for source, target in import_graph().edges:
        (source_layer, source_game), (target_layer, target_game) = layer(source), layer(target)
        if target_layer > source_layer:
            wrong.append(f"{source} -> {target} (upwards)")
        elif source_game is not None and target_game is not None and source_game != target_game:
            wrong.append(f"{source} -> {target} (another game)")
    assert wrong == []


def test_no_file_is_much_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in project_modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


# ---- the per-game shape: the same module names for the same roles in every game -------------


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_every_game_has_the_per_game_shape(game):
    """Modules and roles, paths, KINDS and grid_experiment, results, no records.py, registries
    (:func:`market.core.game.shape_problems`; a plugin game's own tests run it too)."""
    assert shape_problems(game) == []


TOY_GAME = """
from market.core.game import GameDescription

GAME = GameDescription(
    name="shapetoy", title="A toy", reference="none", summary="",
    model_path="shape_toy.model:Toy", scenarios_path="shape_toy.scenarios:SCENARIOS",
    strategies_path="shape_toy.agents:STRATEGIES",
    mechanisms_path="shape_toy.mechanisms:MECHANISMS",
    runs_path="shape_toy.runs", cli_path="shape_toy.cli", experiments_path="shape_toy.experiments",
    results_paths=("shape_toy.results:Result",),
)
"""


@pytest.fixture
def toy_game(tmp_path, monkeypatch):
    """A game package with a CLI, a records.py and nothing else (every other part missing)."""
    package = tmp_path / "shape_toy"
    package.mkdir()
    (package / "__init__.py").write_text(TOY_GAME)
    (package / "cli.py").write_text("def register(games):\n    pass\n")
    (package / "records.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("shape_toy").GAME
    for name in [m for m in sys.modules if m == "shape_toy" or m.startswith("shape_toy.")]:
        del sys.modules[name]


def test_the_shape_check_names_each_missing_module_and_a_records_module(toy_game):
    problems = shape_problems(toy_game)
    assert all(line and "\n" not in line for line in problems)
    for module in ("model", "runs", "scenarios", "results", "experiments", "plots", "pricing"):
        assert f"shape_toy.{module} is missing: it holds " in "\n".join(problems), module
    assert any(line.endswith("is missing: it holds the figures") for line in problems)
    assert any("records.py: no module is called records.py" in line for line in problems)
    assert not any(line.startswith("shape_toy.cli is missing") for line in problems)


def test_the_shape_check_names_a_wrong_path_and_a_misplaced_registry():
    ttc = {game.name: game for game in GAMES}["ttc"]
    drifted = replace(
        ttc,
        experiments_path="market.ttc.analysis",
        strategies_path="agents.delegation:STRATEGIES",
        results_paths=("market.ttc.state:MarketState",),
    )
    problems = "\n".join(shape_problems(drifted))
    assert "experiments_path 'market.ttc.analysis': the experiment kinds" in problems
    assert "the agents registry is agents.ttc:STRATEGIES" in problems
    assert "results_paths: no record in market.ttc.results" in problems
    assert "market.ttc.GAME is not this game's description" in problems


def test_the_second_registries_are_reached_through_their_package_too():
    from agents.ttc import BIDDING_STRATEGIES
    from mechanisms.rosa import LEARNERS

    assert len(BIDDING_STRATEGIES) >= 1 and len(LEARNERS) >= 1


STUDIES = [(game, study) for game in GAMES for study in game.studies]


@pytest.mark.parametrize(("game", "study"), STUDIES, ids=[s.name for _, s in STUDIES])
def test_every_declared_study_has_its_runs_page_and_command(game, study):
    assert study.runs is importlib.import_module(study.runs_path)
    page = study.page
    assert isinstance(page.PATH, str) and page.TITLE == study.title and callable(page.Page)
    parser = argparse.ArgumentParser()
    game.cli.register(parser.add_subparsers())
    game_parser = parser._subparsers._group_actions[0].choices[game.name]
    assert study.command in game_parser._subparsers._group_actions[0].choices


def test_the_metagame_is_declared_as_a_study_of_delegation():
    delegation = {game.name: game for game in GAMES}["delegation"]
    assert [study.name for study in delegation.studies] == ["metagame"]


@pytest.mark.parametrize("game", [g for g in GAMES if is_builtin(g)], ids=lambda g: g.name)
def test_every_builtin_game_has_a_page_and_an_adapter(game):
    assert importlib.util.find_spec(f"app.games.{game.name}") is not None
    page = importlib.import_module(f"app.pages.{game.name}")
    assert isinstance(page.PATH, str) and isinstance(page.TITLE, str) and callable(page.Page)


@pytest.mark.parametrize("game", BUILTIN_GAMES, ids=lambda g: g.name)
def test_every_game_describes_itself_the_same_way(game):
    assert game.model.__module__ == f"market.{game.name}.model"
    assert len(game.scenarios) >= 1 and len(game.strategies) >= 1 and len(game.mechanisms) >= 1
    assert callable(game.cli.register)
    for name in ("model", "runs", "cli", "plots"):
        assert (ROOT / "market" / game.name / f"{name}.py").exists(), name
    assert (ROOT / "mechanisms" / game.name / "__init__.py").exists()
    assert (ROOT / "agents" / game.name / "__init__.py").exists()


#: numpy's and scipy's analysis: what ``market/`` computes and ``app/`` only shows (issue 17).
#: A projection (SVD), a least-squares fit or a log-spaced grid in ``app/`` is computation that
#: belongs in ``market/<game>/`` (e.g. :mod:`market.rosa.contexts`).
ANALYSIS_NAMES = frozenset({"linalg", "svd", "lstsq", "polyfit", "geomspace", "scipy"})


def analysis_used(path: Path) -> set[str]:
    """The analysis names the file imports or reaches as attributes (``np.linalg.svd``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in ANALYSIS_NAMES:
            found.add(node.attr)
        elif isinstance(node, ast.Import):
            found.update(
                part for a in node.names for part in a.name.split(".") if part in ANALYSIS_NAMES
            )
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [*node.module.split("."), *(a.name for a in node.names)]
            found.update(name for name in names if name in ANALYSIS_NAMES)
    return found


def test_the_app_computes_nothing_market_could_own():
    offenders = {
        str(path.relative_to(ROOT)): sorted(used)
        for path in sorted((ROOT / "app").rglob("*.py"))
        if (used := analysis_used(path))
    }
    assert not offenders, f"numerical analysis in app/ (move it to market/): {offenders}"
