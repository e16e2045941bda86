"""The small description every game gives of itself, for the CLI and the dashboard.

A :class:`GameDescription` names a game's Mesa model, its scenarios (presets), its strategy and
mechanism registries, its runs module, its CLI and its dashboard page, as import paths resolved
on first use: the CLI's ``--help`` and the dashboard's home page read the descriptions without
importing Mesa, pandas or any game's code. An installed package adds a game with one entry
point in the group ``llm_market.games`` naming its description (:mod:`market.games`).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def load(path: str) -> Any:
    """The object at ``"package.module:attribute"`` (or the module for ``"package.module"``)."""
    module_name, _, attribute = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


@dataclass(frozen=True)
class StudyDescription:
    """A named study of a game: a further question asked of the same market.

    It has its own runs, a sub-command under the game's CLI command and a dashboard page (the
    metagame of delegation); the home page shows its card right after the game's.

    Attributes:
        name: The study's name (``"metagame"``).
        title: A human title (the dashboard card's).
        summary: One or two sentences for people.
        reference: What it rests on, as cited in docstrings.
        runs_path: The module of its run functions.
        command: The name of its sub-command under the game's CLI command.
        page_path: The dashboard page module (``PATH``, ``TITLE``, ``Page``).
    """

    name: str
    title: str
    summary: str
    reference: str
    runs_path: str
    command: str
    page_path: str

    @property
    def runs(self):
        """The runs module."""
        return load(self.runs_path)

    @property
    def page(self):
        """The dashboard page module."""
        return load(self.page_path)


@dataclass(frozen=True)
class GameDescription:
    """What a game is and where its parts live.

    Attributes:
        name: The CLI and URL name (``"delegation"``).
        title: A human title.
        reference: The paper, as cited in docstrings.
        summary: One or two sentences for people.
        model_path: ``module:Class`` of the Mesa model.
        scenarios_path: ``module:Registry`` of the named scenarios (presets).
        strategies_path: ``module:Registry`` of the provider strategies.
        mechanisms_path: ``module:Registry`` of the mechanisms.
        runs_path: the runs module (plain functions with explicit parameters).
        cli_path: the thin CLI module (``register(subparsers)``).
        experiments_path: the module of its experiment kinds (``KINDS`` and
            ``grid_experiment``), or "" when it has none.
        results_paths: ``module:Class`` of every public result record its run functions
            return (each follows :class:`market.core.results.ResultRecord`).
        page_path: the module of its dashboard page (``PATH``, ``TITLE`` and a ``Page``
            component), or "" when it has none.
        studies: The named studies of the game (:class:`StudyDescription`), in menu order.
    """

    name: str
    title: str
    reference: str
    summary: str
    model_path: str
    scenarios_path: str
    strategies_path: str
    mechanisms_path: str
    runs_path: str
    cli_path: str
    experiments_path: str = ""
    results_paths: tuple[str, ...] = ()
    page_path: str = ""
    studies: tuple[StudyDescription, ...] = ()

    @property
    def model(self) -> type:
        """The Mesa model class."""
        return load(self.model_path)

    @property
    def scenarios(self):
        """The registry of named scenarios."""
        return load(self.scenarios_path)

    @property
    def strategies(self):
        """The registry of provider strategies."""
        return load(self.strategies_path)

    @property
    def mechanisms(self):
        """The registry of mechanisms."""
        return load(self.mechanisms_path)

    @property
    def runs(self):
        """The runs module."""
        return load(self.runs_path)

    @property
    def cli(self):
        """The CLI module."""
        return load(self.cli_path)

    @property
    def experiments(self):
        """The experiment kinds' module (None when the game has none)."""
        return load(self.experiments_path) if self.experiments_path else None

    @property
    def page(self):
        """The dashboard page's module (None when the game has none)."""
        return load(self.page_path) if self.page_path else None

    @property
    def results(self) -> tuple[type, ...]:
        """The result record classes (:class:`market.core.results.ResultRecord`)."""
        return tuple(load(path) for path in self.results_paths)


# ---- the per-game shape: the same module names for the same roles in every game -------------

#: Module of a game's package -> what it holds (its role), for the problems' lines.
GAME_MODULES = {
    "model": "the Mesa model",
    "runs": "the run functions",
    "scenarios": "the presets registry SCENARIOS",
    "results": "the result records (market.core.results)",
    "experiments": "the experiment kinds KINDS and grid_experiment",
    "cli": "the thin CLI, register(subparsers)",
    "plots": "the figures",
    "pricing": "the pricing of user-controlled sizes",
}
#: Layer package -> the registry every game exposes there (``agents.<g>:STRATEGIES``).
LAYER_REGISTRIES = {"agents": "STRATEGIES", "mechanisms": "MECHANISMS"}
#: The methods of the result protocol (:mod:`market.core.results`).
RESULT_METHODS = ("to_dict", "to_frame", "summary")


def game_package(game: GameDescription) -> str:
    """The package the game's description points into (``market.<g>`` for a shipped game)."""
    return game.cli_path.rpartition(".")[0]


def is_builtin(game: GameDescription) -> bool:
    """Whether the game ships with llm-market (its package is ``market.<name>``)."""
    return game_package(game) == f"market.{game.name}"


def shape_problems(game: GameDescription) -> list[str]:
    """What keeps ``game`` from the per-game shape every game shares; [] when nothing does.

    The shape (``docs/adding-a-game.md``): in the game's package (``market.<g>`` for a shipped
    game, the plugin's own package otherwise) the modules of :data:`GAME_MODULES` with their
    roles, the description's paths pointing at them, ``KINDS`` and ``grid_experiment`` in
    ``experiments``, result records in ``results`` following the result protocol, no module
    called ``records.py`` anywhere in its packages, and the registries ``STRATEGIES`` and
    ``MECHANISMS`` reached through their layers' packages (``agents.<g>``, ``mechanisms.<g>``
    for a shipped game). A part that fails to load is a problem too, never an exception.

    Args:
        game: The game's description (``market.games.GAMES`` holds every installed one).

    Returns:
        One line per problem: which module, path or name is wrong or missing, and its role.
    """
    package = game_package(game)
    problems = [
        f"{package}.{module} is missing: it holds {role}"
        for module, role in GAME_MODULES.items()
        if not module_exists(f"{package}.{module}")
    ]
    checks = (
        description_problems,
        experiments_problems,
        results_problems,
        records_problems,
        registry_problems,
    )
    for check in checks:
        problems += loaded_problems(check, game, package)
    return problems


def module_exists(name: str) -> bool:
    """Whether module ``name`` can be found (its parent packages imported, not the module)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


def loaded_problems(check, game: GameDescription, package: str) -> list[str]:
    """``check(game, package)``; a part that fails to load is one line naming it."""
    try:
        return check(game, package)
    except Exception as error:  # any failure of a plugin's part is reported, not raised
        what = (check.__doc__ or check.__name__).splitlines()[0].rstrip(".")
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        return [f"{package}: {what}: cannot be checked ({reason})"]


def description_problems(game: GameDescription, package: str) -> list[str]:
    """The description's paths: GAME, the model, runs, CLI and presets."""
    problems = []
    if getattr(importlib.import_module(package), "GAME", None) is not game:
        problems.append(f"{package}.GAME is not this game's description (the entry point's)")
    if not game.model_path.startswith(f"{package}.model:"):
        problems.append(
            f"model_path {game.model_path!r}: the Mesa model is {package}.model:<Class>"
        )
    elif game.model.__module__ != f"{package}.model":
        problems.append(f"{game.model_path} is defined in {game.model.__module__}, not .model")
    if game.runs_path != f"{package}.runs":
        problems.append(f"runs_path {game.runs_path!r}: the run functions are {package}.runs")
    if not game.cli_path.endswith(".cli") or not callable(getattr(game.cli, "register", None)):
        problems.append(f"cli_path {game.cli_path!r}: the CLI is <package>.cli with register()")
    if game.scenarios_path != f"{package}.scenarios:SCENARIOS":
        problems.append(
            f"scenarios_path {game.scenarios_path!r}: the presets are {package}.scenarios:SCENARIOS"
        )
    elif len(game.scenarios) < 1:
        problems.append(f"{game.scenarios_path} is empty: a game has at least one preset")
    return problems


def experiments_problems(game: GameDescription, package: str) -> list[str]:
    """The experiment kinds: KINDS and grid_experiment in the experiments module."""
    if game.experiments_path != f"{package}.experiments":
        return [
            f"experiments_path {game.experiments_path!r}: the experiment kinds KINDS and "
            f"grid_experiment are in {package}.experiments"
        ]
    experiments, problems = game.experiments, []
    if len(getattr(experiments, "KINDS", {})) < 1:
        problems.append(f"{package}.experiments.KINDS is missing or empty: the experiment kinds")
    if not callable(getattr(experiments, "grid_experiment", None)):
        problems.append(f"{package}.experiments.grid_experiment is missing: the grid-file entry")
    return problems


def results_problems(game: GameDescription, package: str) -> list[str]:
    """The result records: declared in the results module, following the protocol."""
    problems = []
    if not any(path.startswith(f"{package}.results:") for path in game.results_paths):
        problems.append(f"results_paths: no record in {package}.results (the result records)")
    for path, record in zip(game.results_paths, game.results, strict=True):
        missing = [name for name in RESULT_METHODS if not callable(getattr(record, name, None))]
        if missing:
            problems.append(f"{path} lacks {', '.join(missing)} (market.core.results protocol)")
    return problems


def package_folders(game: GameDescription, package: str) -> list[Path]:
    """The folders of the game's packages (and ``agents/<g>``, ``mechanisms/<g>`` if shipped)."""
    packages = [package]
    if is_builtin(game):
        packages += [f"{layer}.{game.name}" for layer in LAYER_REGISTRIES]
    return [Path(importlib.import_module(name).__file__).parent for name in packages]


def records_problems(game: GameDescription, package: str) -> list[str]:
    """No module is called records.py (data modules are named for what they hold)."""
    return [
        f"{path}: no module is called records.py (name it for what it holds: results, "
        "responses, curves...)"
        for folder in package_folders(game, package)
        for path in sorted(folder.rglob("records.py"))
    ]


def registry_problems(game: GameDescription, package: str) -> list[str]:
    """The registries STRATEGIES and MECHANISMS, reached through their layers' packages."""
    paths = {"agents": game.strategies_path, "mechanisms": game.mechanisms_path}
    problems = []
    for layer, registry in LAYER_REGISTRIES.items():
        module, _, attribute = paths[layer].partition(":")
        expected = f"{layer}.{game.name}" if is_builtin(game) else f"{package}.{layer}"
        if attribute != registry or not hasattr(importlib.import_module(module), "__path__"):
            problems.append(f"{paths[layer]!r}: the {layer} registry is {expected}:{registry}")
        elif is_builtin(game) and module != expected:
            problems.append(f"{paths[layer]!r}: the {layer} registry is {expected}:{registry}")
        elif len(load(paths[layer])) < 1:
            problems.append(f"{paths[layer]} is empty: a game has at least one {layer[:-1]}")
    return problems
