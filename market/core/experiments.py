"""Experiments: grids of runs computed in chunks on any executor, kept in a store, resumable.

An :class:`ExperimentKind` (declared by a game, e.g. ``market/delegation/experiments.py``) says
what one run of that kind is, which columns its tidy result rows have and which top-level,
picklable function computes a chunk of runs (always through the game's own runs layer). An
:class:`Experiment` is a list of runs in a fixed order, each with its configuration, its seed
and its key: ``sha256`` of the canonical JSON of the kind, the configuration, the seed and the
package version (:func:`run_key`). Seeds come from the root seed (``SeedSequence`` spawn keys,
:func:`market.core.seeds.replicate_seeds`), never from a worker or from the order of work.

The runs are never listed up front: a :class:`RunList` makes run ``i`` (and its key) on demand,
so an experiment of 10^9 runs costs no memory until the driver reaches it.

:func:`run_experiment` is the driver (:mod:`market.core.driver`): it registers the experiment
(its spec and its number of runs), claims blocks of runs in the store, skips every run already
stored, cuts the rest into chunks of about a second (runs that share a group, such as a seed,
stay together; the pace is measured as chunks come back), keeps a few chunks in flight on the
executor, and stores each finished chunk in one transaction. The experiment's rows are then
read back in experiment order, so a resumed run, a run on any number of workers and an
uninterrupted run give the same table, row for row. Ctrl-C kills the workers and raises
:class:`ExperimentInterrupted`; a worker killed again and again, :class:`WorkersLost`; a full,
locked or read-only store, :class:`StoreFault`: each says what finished and how to resume;
nothing half done is ever stored.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from market.core.driver import (  # noqa: F401 - part of this module's interface
    ChunkDone,
    ChunkWork,
    Driver,
    Pace,
    compute_chunk,
    group_end,
)
from market.core.engine import Engine, engine_with
from market.core.errors import UserInputError
from market.core.executors import start_workers
from market.core.faults import INTERRUPTED, Stopped, StoreFault, WorkersLost, fault_message
from market.core.store import Column, ExperimentStore

TARGET_CHUNK_SECONDS = 1.0
#: Environment variable that sets the compute seconds aimed at per chunk (tests use 0.05).
CHUNK_SECONDS_VARIABLE = "LLM_MARKET_CHUNK_SECONDS"


@functools.cache
def package_version() -> str:
    """The installed llm-market version (part of every run key)."""
    try:
        return version("llm-market")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def canonical_json(payload: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=True)


def digest(payload: Any) -> str:
    """sha256 of the canonical JSON of ``payload`` (hex)."""
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def run_key(kind: str, config: dict, seed: int | None) -> str:
    """The key of one run: its kind, configuration, seed and the package version, hashed."""
    return digest({"kind": kind, "config": config, "seed": seed, "version": package_version()})


@dataclass(frozen=True)
class ExperimentKind:
    """What one kind of run is.

    Attributes:
        name: the kind's name within its game (``"profiles"``).
        game: the game's name (``"delegation"``).
        table: the store's result table (``"delegation_profiles"``).
        columns: the result rows' columns (after ``run_key`` and ``row``).
        compute: a top-level function ``compute(context, runs) -> [rows of each run]`` where
            ``runs`` are ``(config, seed)`` pairs and each run's rows are tuples in
            :attr:`columns` order.
        seconds_per_run: a first guess of one run's compute time (chunks are then sized from
            the measured pace).
        min_chunk_runs: runs per chunk at least (for kinds whose chunk has a fixed cost, such
            as one vectorised batch stepped T times, that would dominate chunks of a second).
        run_seconds: an estimate of one run's seconds on one core from its configuration, at
            the low end (a grid is priced with it before anything starts,
            :func:`market.core.pricing.runs_price`); None: :attr:`seconds_per_run`.
    """

    name: str
    game: str
    table: str
    columns: tuple[Column, ...]
    compute: Callable[[Any, Sequence[tuple[dict, int | None]]], list[list[tuple]]]
    seconds_per_run: float = 0.01
    min_chunk_runs: int = 1
    run_seconds: Callable[[dict], float] | None = None

    def seconds_of(self, config: dict) -> float:
        """One run's estimated seconds on one core (:attr:`run_seconds`, else the first guess)."""
        return self.seconds_per_run if self.run_seconds is None else self.run_seconds(config)

    @property
    def qualified(self) -> str:
        """``game/kind``, as in run keys."""
        return f"{self.game}/{self.name}"


@dataclass(frozen=True)
class Run:
    """One run of an experiment: its position, configuration, seed, key and chunk group."""

    position: int
    config: dict
    seed: int | None
    key: str
    group: Any = None


class RunList(Sequence):
    """An experiment's runs, each made on demand from its position (never all at once).

    ``item(i)`` gives run ``i``'s ``(config, seed, group)``; its key is hashed when the run is
    made, so a grid of 10^9 runs costs no memory until the driver asks for a stretch of it
    (:meth:`span`).
    """

    def __init__(self, kind: ExperimentKind, length: int, item: Callable[[int], tuple]):
        self.kind = kind
        self.length = length
        self.item = item

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.run(i) for i in range(*index.indices(self.length))]
        if not -self.length <= index < self.length:
            raise IndexError(index)
        return self.run(index % self.length)

    def run(self, position: int) -> Run:
        """Run ``position``, with its key."""
        config, seed, group = self.item(position)
        return Run(position, config, seed, run_key(self.kind.qualified, config, seed), group)

    def span(self, start: int, stop: int) -> list[Run]:
        """Runs ``start`` to ``stop - 1``."""
        return [self.run(i) for i in range(start, min(stop, self.length))]


@dataclass(frozen=True)
class Experiment:
    """An ordered list of runs of one kind, with the context every chunk shares.

    Attributes:
        kind: the kind.
        spec: everything that defines the experiment (JSON-ready); its hash is the id.
        runs: the runs in experiment order (a :class:`RunList`: made on demand).
        context: a picklable object handed to every chunk (e.g. resolved scenarios).
    """

    kind: ExperimentKind
    spec: dict
    runs: RunList
    context: Any = None

    @property
    def id(self) -> str:
        """A hash of the spec, the kind and the package version (16 hex digits)."""
        return digest({"kind": self.kind.qualified, "spec": self.spec, "v": package_version()})[:16]

    @property
    def game(self) -> str:
        """The game's name."""
        return self.kind.game

    @property
    def table(self) -> str:
        """The store's result table."""
        return self.kind.table


def make_runs(kind: ExperimentKind, items: Sequence[tuple[dict, int | None, Any]]) -> RunList:
    """Runs from ``(config, seed, group)`` triples, in order (keys hashed on demand)."""
    items = items if isinstance(items, Sequence) else list(items)
    return RunList(kind, len(items), items.__getitem__)


def product_runs(
    kind: ExperimentKind,
    configs: Sequence[dict],
    seeds: Sequence[int | None],
    group: Callable[[dict, int | None], Any] | None = None,
) -> RunList:
    """Every configuration at every seed (configuration-major), made on demand.

    Run ``i`` is ``configs[i // len(seeds)]`` at ``seeds[i % len(seeds)]``; ``group(config,
    seed)`` is its chunk group (default: none). ``seeds`` may itself be lazy
    (:class:`market.core.seeds.ReplicateSeeds`), so memory does not grow with the seeds.
    """
    per_config = len(seeds)

    def item(i: int) -> tuple:
        config, seed = configs[i // per_config], seeds[i % per_config]
        return config, seed, None if group is None else group(config, seed)

    return RunList(kind, len(configs) * per_config, item)


class ExperimentInterrupted(Stopped):
    """Ctrl-C during an experiment: says what finished and how to resume (exit code 130)."""

    exit_code = INTERRUPTED


@dataclass
class Outcome:
    """A finished experiment: its rows in order and what the driver did.

    Attributes:
        experiment_id: the experiment's id in the store.
        rows: ``(position, row)`` pairs in experiment order (empty unless collected).
        computed: runs computed now.
        reused: runs found in the store.
        seconds: wall-clock seconds of the driver.
        workers: the executor's name and worker count.
    """

    experiment_id: str
    rows: list[tuple[int, tuple]]
    computed: int
    reused: int
    seconds: float
    workers: str = ""

    def rows_by_position(self) -> list[list[tuple]]:
        """The rows grouped per run, in experiment order."""
        grouped: dict[int, list[tuple]] = {}
        for position, row in self.rows:
            grouped.setdefault(position, []).append(row)
        return [grouped[p] for p in sorted(grouped)]


def run_experiment(
    experiment: Experiment,
    store: ExperimentStore,
    engine: Engine | None = None,
    *,
    target_seconds: float | None = None,
    collect_rows: bool = True,
) -> Outcome:
    """Compute every run of ``experiment`` not yet in ``store``; return all its rows in order.

    Args:
        experiment: the runs.
        store: where finished runs are kept (in memory when the user gave no ``--store``).
        engine: how and where runs are computed: see :class:`market.core.engine.Engine` (its
            ``store`` is not read here: ``store`` is already open).
        target_seconds: the compute time to aim at per chunk (default: the environment
            variable ``LLM_MARKET_CHUNK_SECONDS``, else :data:`TARGET_CHUNK_SECONDS`).
        collect_rows: read the experiment's rows back (False: only count; the rows of a huge
            experiment stay in the store).

    Raises:
        ExperimentInterrupted: on Ctrl-C, after killing the workers (finished chunks stay).
        WorkersLost: worker processes died again and again on the same chunks.
        StoreFault: the store cannot be written (full disk, locked, read-only).
    """
    engine = Engine() if engine is None else engine
    executor, resume_hint = engine.executor, engine.resume_hint
    started = time.perf_counter()
    if target_seconds is None:
        target_seconds = float(os.environ.get(CHUNK_SECONDS_VARIABLE, TARGET_CHUNK_SECONDS))
    kind, total = experiment.kind, len(experiment.runs)
    width = min(engine.jobs, max(1, total))
    driver = Driver(
        experiment,
        store,
        functools.partial(start_workers, executor, width, engine.scheduler),
        target_seconds,
        width,
    )
    try:
        store.ensure_table(kind.table, kind.columns)
        store.register(experiment)
        driver.run(engine.progress)
        rows = []
        if collect_rows:
            rows = store.experiment_rows(experiment.id, kind.table, kind.columns)
    except KeyboardInterrupt:
        message = stopped_message("interrupted", store, experiment, resume_hint)
        raise ExperimentInterrupted(message) from None
    except WorkersLost as lost:
        what = (
            f"worker processes died {lost} times running the same runs (killed, or out of memory?)"
        )
        raise WorkersLost(stopped_message(what, store, experiment, resume_hint)) from None
    except sqlite3.Error as error:
        kept = stopped_message("", store, experiment, resume_hint)
        raise StoreFault(fault_message(store.path, error, kept)) from None
    except OverflowError as error:
        raise UserInputError(
            "seed", f"values within SQLite's integers (below 2**63) ({str(error)[:60]})"
        ) from None
    workers_text = f"{executor} x {width}" if driver.computed else "none"
    return Outcome(
        experiment.id,
        rows,
        driver.computed,
        driver.reused,
        time.perf_counter() - started,
        workers_text,
    )


def execute(
    experiment: Experiment,
    store=None,
    *,
    engine: Engine | None = None,
    jobs: int | None = None,
    collect_rows: bool = True,
) -> Outcome:
    """:func:`run_experiment` in the engine's store file (None: in memory, nothing kept).

    A store file created by this call is removed again if a user mistake (such as an
    unreachable ``--scheduler``) stops it before any run: a mistake leaves nothing behind.

    Args:
        experiment: the runs.
        store: shorthand for ``Engine(store=...)``.
        engine: how and where runs are computed: see :class:`market.core.engine.Engine`.
        jobs: shorthand for ``Engine(jobs=...)``.
        collect_rows: read the experiment's rows back (False: only count them).
    """
    engine = engine_with(engine, jobs=jobs, store=store)
    path = engine.store
    fresh = path is not None and not path.exists()
    try:
        with ExperimentStore(path) as opened:
            return run_experiment(experiment, opened, engine, collect_rows=collect_rows)
    except UserInputError:
        if fresh and not stored_runs(path):
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise


def stored_runs(path: Path) -> int:
    """How many runs the store file holds."""
    with ExperimentStore(path, readonly=True) as store:
        return store.connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def stopped_message(what: str, store: ExperimentStore, experiment: Experiment, hint: str) -> str:
    """One line: ``what`` stopped it, what finished, and how to resume.

    Without a store file: that nothing is kept, and how to keep it.
    """
    total = len(experiment.runs)
    try:
        (progress,) = store.progress(experiment.id)
        finished = f"{progress.done} of {total} runs"
    except (sqlite3.Error, ValueError):
        finished = f"the finished runs of {total}"
    head = f"{what}: " if what else ""
    if store.path is None:
        return (
            f"{head}{finished} had finished, none kept (no --store); "
            "add --store PATH to keep finished runs and resume"
        )
    again = f": {hint}" if hint else ""
    return f"{head}{finished} are kept in {store.path}; the same command resumes{again}"
