"""The front door for Python: games by name, grids into a store and the store back as frames.

::

    import market

    model = market.load_game("delegation", preset="cao2026", T=20_000, rng=1)
    model.step()
    market.game("ttc").presets.names()          # what the game offers
    done = market.run_grid({"game": "ttc", "kind": "equilibria",
                            "grid": {"preset": "intro-example", "beta": [1, "inf"]}},
                           store="runs.db")
    market.open_store("runs.db").table("ttc_equilibria")   # a DataFrame, presets by name
    market.Tournament(T=1_000_000).play().ranked_names     # the delegation tournament

Everything here is what the CLI runs: :func:`run_grid` is ``llm-market experiment run`` (the
same checks, messages, pricing and engine) and :meth:`StoreView.table` is ``llm-market results
--table`` (the same rows in the same order). Mistakes raise
:class:`market.core.errors.UserInputError` naming the field, what was expected and what was
given.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from market.core.errors import UserInputError
from market.core.game import GameDescription


def game_names() -> list[str]:
    """The games' names, in menu order (``delegation``, ``ttc``, ``rosa``)."""
    from market.games import GAMES

    return [g.name for g in GAMES]


def describe(name: str) -> GameDescription:
    """The :class:`~market.core.game.GameDescription` of the game called ``name``."""
    from market.games import GAMES

    for description in GAMES:
        if description.name == name:
            return description
    raise UserInputError("game", f"one of {', '.join(game_names())}", name)


@dataclass(frozen=True)
class Game:
    """One game's parts, by attribute: its model, presets, strategies, mechanisms and runs.

    Attributes:
        description: the game's :class:`~market.core.game.GameDescription`.
    """

    description: GameDescription

    @property
    def name(self) -> str:
        """The game's name (``"delegation"``)."""
        return self.description.name

    @property
    def title(self) -> str:
        """A human title."""
        return self.description.title

    @property
    def reference(self) -> str:
        """The paper the game comes from."""
        return self.description.reference

    @property
    def model(self) -> type:
        """The Mesa model class."""
        return self.description.model

    @property
    def presets(self):
        """The registry of named presets (scenarios): ``.names()``, ``.get(name)``."""
        return self.description.scenarios

    @property
    def strategies(self):
        """The registry of provider strategies."""
        return self.description.strategies

    @property
    def mechanisms(self):
        """The registry of mechanisms."""
        return self.description.mechanisms

    @property
    def runs(self):
        """The runs module: the game's run functions (plain functions, typed records)."""
        return self.description.runs

    def load(self, preset: Any = None, **params: Any):
        """The game's Mesa model built with ``params`` (see :func:`load_game`)."""
        return load_game(self.name, preset, **params)

    def __repr__(self) -> str:
        return (
            f"<game {self.name}: {self.title}; presets {', '.join(self.presets.names())}; "
            f"strategies {', '.join(self.strategies.names())}; "
            f"mechanisms {', '.join(self.mechanisms.names())}>"
        )


def game(name: str) -> Game:
    """The game called ``name`` (one of :func:`game_names`) with its parts as attributes.

    Raises:
        UserInputError: an unknown name (the message lists the games).
    """
    return Game(describe(name))


def model_parameters(model: type) -> list[str] | None:
    """The keyword names ``model``'s constructor accepts (None: it takes any keyword)."""
    parameters = list(inspect.signature(model.__init__).parameters.values())[1:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return [p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL]


def load_game(name: str, preset: Any = None, **params: Any):
    """The Mesa model of the game ``name``, built with ``preset`` and ``params``.

    Like ``pyspiel.load_game``: ``market.load_game("rosa", preset="patra2026", T=500, rng=1)``
    is ``RosaMarket(preset="patra2026", T=500, rng=1)``. Every argument goes to the model's
    constructor by name (``preset`` too, omitted when None so the model's default applies).

    Args:
        name: the game (one of :func:`game_names`).
        preset: a preset name (or whatever the model's ``preset`` accepts); None: its default.
        **params: the model's other parameters (``help(market.game(name).model)``).

    Returns:
        The model, built and ready to ``step()``.

    Raises:
        UserInputError: an unknown game or parameter (the message lists what exists), or a
            value the model refuses.
    """
    model = describe(name).model
    given = params if preset is None else {"preset": preset, **params}
    known = model_parameters(model)
    for key in given:
        if known is not None and key not in known:
            raise UserInputError(f"{name}: {key}", f"a parameter: {', '.join(known)}", key)
    return model(**given)


# ---- grids and stores ---------------------------------------------------------------------


@dataclass(frozen=True)
class GridRun:
    """A grid run into a store: what ``llm-market experiment run --json`` prints.

    Attributes:
        experiment: the experiment's id in the store.
        game: the game's name.
        kind: the experiment kind's name.
        table: the store's result table.
        runs: runs in the grid.
        computed: runs computed by this call.
        from_store: runs found in the store.
        seconds: wall-clock seconds.
        workers: the executor and its workers (``"local x 2"``; ``"none"``).
        store: the store file.
    """

    experiment: str
    game: str
    kind: str
    table: str
    runs: int
    computed: int
    from_store: int
    seconds: float
    workers: str
    store: str

    def to_dict(self) -> dict:
        """The fields by name (the CLI's ``--json`` object)."""
        return asdict(self)

    def summary(self) -> str:
        """One line: the experiment, its runs, how many were computed, and the time."""
        return (
            f"experiment {self.experiment} ({self.game}/{self.kind}): {self.runs} runs, "
            f"{self.computed} computed, {self.from_store} from the store, in "
            f"{self.seconds:.2f} s ({self.workers})"
        )

    def to_frame(self):
        """The experiment's rows, in run order, labels decoded (:meth:`StoreView.experiment`)."""
        return open_store(self.store).experiment(self.experiment)


def grid_experiment(grid):
    """The experiment of a parsed grid (:class:`~market.core.grids.GridFile`): game, kind, runs.

    Raises:
        UserInputError: an unknown game or kind, or a ``[grid]`` entry the kind refuses.
    """
    from market.games import GAMES

    name = Path(grid.path).name
    games = {g.name: g for g in GAMES if g.experiments_path}
    if grid.game not in games:
        raise UserInputError(f"{name}: game", f"one of {', '.join(games)}", grid.game)
    module = games[grid.game].experiments
    if grid.kind not in module.KINDS:
        raise UserInputError(f"{name}: kind", f"one of {', '.join(module.KINDS)}", grid.kind)
    return module.grid_experiment(grid)


def execute_grid(grid, engine) -> GridRun:
    """Price a parsed grid, then compute every run its store lacks (``experiment run``).

    ``engine``: how and where runs are computed (:class:`market.core.engine.Engine`, with a
    store), already checked (:func:`market.core.cli.engine_from_args`).
    """
    from market.core.experiments import execute
    from market.core.pricing import runs_price

    experiment = grid_experiment(grid)
    runs_price(experiment, f"{Path(grid.path).name}: [grid]", engine.jobs)
    outcome = execute(experiment, engine=engine, collect_rows=False)
    return GridRun(
        experiment=outcome.experiment_id,
        game=experiment.game,
        kind=experiment.kind.name,
        table=experiment.table,
        runs=len(experiment.runs),
        computed=outcome.computed,
        from_store=outcome.reused,
        seconds=outcome.seconds,
        workers=outcome.workers,
        store=str(engine.store),
    )


def run_grid(grid, store=None, *, jobs: int | None = None, engine=None) -> GridRun:
    """Run a grid into a store: ``llm-market experiment run GRID --store STORE`` from Python.

    Args:
        grid: a TOML grid file's path, or a mapping with its structure (``{"game": "ttc",
            "kind": "equilibria", "seed": 0, "seeds": 1, "grid": {"preset": [...], ...}}``),
            checked exactly like the file (errors name ``mapping: grid.T`` where a file's name
            ``g.toml: grid.T``).
        store: shorthand for ``Engine(store=...)``: the store file (created if missing); runs
            already in it are not computed again. A grid's runs are always kept: a store is
            required, here or in ``engine``.
        jobs: shorthand for ``Engine(jobs=...)`` (workers; results never depend on it).
        engine: how and where runs are computed: see :class:`market.core.engine.Engine`.

    Returns:
        The :class:`GridRun`; ``.to_frame()`` reads its rows back.

    Raises:
        UserInputError: a mistake in the grid or the settings, or a grid too long to run.
    """
    from market.core.engine import engine_with
    from market.core.executors import check_jobs
    from market.core.grids import grid_from_mapping, read_grid

    expected = "a store file (the grid's runs are kept there)"
    if engine is None and (store is None or not str(store).strip()):
        raise UserInputError("store", expected, store)
    engine = engine_with(engine, jobs=jobs, store=store)
    if engine.store is None:
        raise UserInputError("store", expected, None)
    check_jobs(engine.jobs, engine.executor)
    parsed = read_grid(grid) if isinstance(grid, str | Path) else grid_from_mapping(grid)
    return execute_grid(parsed, engine)


@dataclass(frozen=True)
class StoreView:
    """A store opened for reading only (each call opens it afresh: a running grid shows).

    Attributes:
        path: the store file.
    """

    path: Path

    def connect(self):
        """The store, opened read-only (a context manager)."""
        from market.core.store import ExperimentStore

        return ExperimentStore(self.path, readonly=True)

    def experiments(self):
        """One row per experiment: id, game, kind, table, runs done and total, ETA."""
        import pandas as pd

        with self.connect() as store:
            entries = [p.to_dict() for p in store.progress()]
        columns = ["experiment", "game", "kind", "table", "done", "total", "created"]
        columns += ["last_finished", "eta_seconds"]
        return pd.DataFrame(entries, columns=columns)

    def tables(self) -> list[str]:
        """The result tables the store holds."""
        with self.connect() as store:
            return store.tables()

    def table(self, name: str):
        """A result table in run order, labels decoded: ``llm-market results --table NAME``.

        Args:
            name: the table (``"ttc_equilibria"``), or its kind as ``game/kind``
                (``"ttc/equilibria"``) or ``kind`` when only one game has it.
        """
        import pandas as pd

        from market.core.store_tables import table_in_run_order

        with self.connect() as store:
            table = self.table_named(store, name)
            query, params = table_in_run_order(store.connection, table)
            return pd.read_sql(query, store.connection, params=params)

    def experiment(self, experiment_id: str):
        """One experiment's rows (its id, or a prefix), in its run order, labels decoded."""
        import pandas as pd

        from market.core.store_tables import experiment_in_run_order, find_experiment

        with self.connect() as store:
            found = find_experiment(store.connection, experiment_id, "experiment")
            query, params = experiment_in_run_order(store.connection, *found)
            return pd.read_sql(query, store.connection, params=params)

    @staticmethod
    def table_named(store, name: str) -> str:
        """The result table called ``name``, or of the kind ``game/kind`` or ``kind``."""
        rows = store.connection.execute(
            "SELECT DISTINCT game, kind, result_table FROM experiments"
        ).fetchall()
        for game_name, kind, table in rows:
            if name in (table, f"{game_name}/{kind}"):
                return table
        by_kind = {table for _, kind, table in rows if kind == name}
        if len(by_kind) == 1:
            return by_kind.pop()
        tables = sorted({table for _, _, table in rows})
        raise UserInputError("table", f"one of {', '.join(tables) or '(none yet)'}", name)


def open_store(path) -> StoreView:
    """An experiment store, read-only: ``.experiments()``, ``.tables()``, ``.table(name)``.

    Raises:
        UserInputError: no such file, or not an llm-market store.
    """
    with StoreView(Path(path)).connect():  # refuse a missing or foreign file now
        pass
    return StoreView(Path(path))
