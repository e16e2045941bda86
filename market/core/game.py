"""The small description every game gives of itself, for the CLI and the dashboard.

A :class:`GameDescription` names a game's Mesa model, its scenarios (presets), its strategy and
mechanism registries, its runs module, its CLI and its dashboard page, as import paths resolved
on first use: the CLI's ``--help`` and the dashboard's home page read the descriptions without
importing Mesa, pandas or any game's code. An installed package adds a game with one entry
point in the group ``llm_market.games`` naming its description (:mod:`market.games`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
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
