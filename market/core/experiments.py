"""Experiments: grids of runs computed in chunks on any executor, kept in a store, resumable.

An :class:`ExperimentKind` (declared by a game, e.g. ``market/delegation/experiments.py``) says
what one run of that kind is, which columns its tidy result rows have and which top-level,
picklable function computes a chunk of runs (always through the game's own runs layer). An
:class:`Experiment` is a list of runs in a fixed order, each with its configuration, its seed
and its key: ``sha256`` of the canonical JSON of the kind, the configuration, the seed and the
package version (:func:`run_key`). Seeds come from the root seed (``SeedSequence`` spawn keys,
:func:`market.core.seeds.replicate_seeds`), never from a worker or from the order of work.

:func:`run_experiment` is the driver, the only writer of the store: it registers the
experiment, skips every run already stored, cuts the rest into chunks of about a second (runs
that share a group, such as a seed, stay together; the pace is measured as chunks come back),
keeps a few chunks in flight on the executor, and stores each finished chunk in one
transaction. The experiment's rows are then read back in experiment order, so a resumed run,
a run on any number of workers and an uninterrupted run give the same table, row for row.
Ctrl-C kills the workers and raises :class:`ExperimentInterrupted` (what finished, and how to
resume); nothing half done is ever stored.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from market.core.errors import UserInputError
from market.core.executors import Workers, open_workers
from market.core.parallel import forking_quietly, progress_bar
from market.core.store import Column, ExperimentStore, RunRecord, store_path

TARGET_CHUNK_SECONDS = 1.0
#: Environment variable that sets the compute seconds aimed at per chunk (tests use 0.05).
CHUNK_SECONDS_VARIABLE = "LLM_MARKET_CHUNK_SECONDS"
CHUNKS_IN_FLIGHT_PER_JOB = 2
WAIT_SECONDS = 0.2


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
    """

    name: str
    game: str
    table: str
    columns: tuple[Column, ...]
    compute: Callable[[Any, Sequence[tuple[dict, int | None]]], list[list[tuple]]]
    seconds_per_run: float = 0.01
    min_chunk_runs: int = 1

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


@dataclass(frozen=True)
class Experiment:
    """An ordered list of runs of one kind, with the context every chunk shares.

    Attributes:
        kind: the kind.
        spec: everything that defines the experiment (JSON-ready); its hash is the id.
        runs: the runs in experiment order.
        context: a picklable object handed to every chunk (e.g. resolved scenarios).
    """

    kind: ExperimentKind
    spec: dict
    runs: tuple[Run, ...]
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


def make_runs(kind: ExperimentKind, items: Sequence[tuple[dict, int | None, Any]]) -> tuple:
    """Runs from ``(config, seed, group)`` triples, in order, with their keys."""
    return tuple(
        Run(i, config, seed, run_key(kind.qualified, config, seed), group)
        for i, (config, seed, group) in enumerate(items)
    )


@dataclass(frozen=True)
class ChunkWork:
    """What a worker receives: the kind's compute function, the context and some runs."""

    compute: Callable
    context: Any
    runs: tuple[tuple[dict, int | None], ...]


@dataclass(frozen=True)
class ChunkDone:
    """What a worker returns: each run's rows and the seconds the chunk took."""

    rows: list[list[tuple]]
    seconds: float


def compute_chunk(work: ChunkWork) -> ChunkDone:
    """Compute a chunk of runs (top-level, so it pickles to any executor)."""
    started = time.perf_counter()
    rows = work.compute(work.context, work.runs)
    return ChunkDone(rows, time.perf_counter() - started)


class ExperimentInterrupted(Exception):
    """Ctrl-C during an experiment: says what finished and how to resume (exit code 130)."""


@dataclass
class Outcome:
    """A finished experiment: its rows in order and what the driver did.

    Attributes:
        experiment_id: the experiment's id in the store.
        rows: ``(position, row)`` pairs in experiment order.
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


class Pace:
    """The measured compute seconds per run, for sizing chunks of about a second."""

    def __init__(self, first_guess: float):
        self.seconds = 0.0
        self.runs = 0
        self.first_guess = max(first_guess, 1e-6)

    def add(self, runs: int, seconds: float) -> None:
        """Record a finished chunk."""
        self.runs += runs
        self.seconds += seconds

    @property
    def per_run(self) -> float:
        """Seconds per run so far (the first guess until a chunk has come back)."""
        return self.seconds / self.runs if self.runs and self.seconds > 0 else self.first_guess

    def chunk_size(self, remaining: int, jobs: int, target: float, minimum: int = 1) -> int:
        """Runs in the next chunk: about ``target`` seconds (``minimum`` or more), work for all."""
        size = max(1, minimum, int(target / self.per_run))
        return max(1, min(size, math.ceil(remaining / jobs), remaining))


def run_experiment(
    experiment: Experiment,
    store: ExperimentStore,
    *,
    executor: str = "local",
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    target_seconds: float | None = None,
    resume_hint: str = "",
) -> Outcome:
    """Compute every run of ``experiment`` not yet in ``store``; return all its rows in order.

    Args:
        experiment: the runs.
        store: where finished runs are kept (in memory when the user gave no ``--store``).
        executor: ``"local"`` or ``"dask"`` (:mod:`market.core.executors`).
        jobs: workers (results never depend on it).
        scheduler: a Dask scheduler's address (None: a LocalCluster).
        progress: show a progress bar with an ETA on stderr.
        target_seconds: the compute time to aim at per chunk (default: the environment
            variable ``LLM_MARKET_CHUNK_SECONDS``, else :data:`TARGET_CHUNK_SECONDS`).
        resume_hint: how to resume, for the Ctrl-C message.

    Raises:
        ExperimentInterrupted: on Ctrl-C, after killing the workers (finished chunks stay).
    """
    started = time.perf_counter()
    if target_seconds is None:
        target_seconds = float(os.environ.get(CHUNK_SECONDS_VARIABLE, TARGET_CHUNK_SECONDS))
    kind = experiment.kind
    store.ensure_table(kind.table, kind.columns)
    keys = [run.key for run in experiment.runs]
    store.register(experiment, keys)
    done = store.finished(keys)
    pending = sorted(
        (run for run in experiment.runs if run.key not in done),
        key=lambda run: (repr(run.group), run.position),
    )
    reused = len(experiment.runs) - len(pending)
    computed = 0
    if pending:
        try:
            with open_workers(executor, min(jobs, len(pending)), scheduler) as workers:
                computed = drive(experiment, pending, store, workers, progress, target_seconds)
        except KeyboardInterrupt:
            finished = len(store.finished(keys))
            raise ExperimentInterrupted(
                interrupted_message(finished, len(keys), store, resume_hint)
            ) from None
    rows = store.experiment_rows(experiment.id, kind.table, kind.columns)
    workers_text = f"{executor} x {min(jobs, max(1, len(pending)))}" if pending else "none"
    return Outcome(
        experiment.id, rows, computed, reused, time.perf_counter() - started, workers_text
    )


def execute(
    experiment: Experiment,
    store_file=None,
    *,
    executor: str = "local",
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    resume_hint: str = "",
) -> Outcome:
    """:func:`run_experiment` in the store file ``store_file`` (None: in memory, nothing kept).

    A store file created by this call is removed again if a user mistake (such as an
    unreachable ``--scheduler``) stops it before any run: a mistake leaves nothing behind.
    """
    path = None if store_file is None else store_path(store_file)
    fresh = path is not None and not path.exists()
    try:
        with ExperimentStore(path) as store:
            return run_experiment(
                experiment,
                store,
                executor=executor,
                jobs=jobs,
                scheduler=scheduler,
                progress=progress,
                resume_hint=resume_hint,
            )
    except UserInputError:
        if fresh and not stored_runs(path):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise


def stored_runs(path: Path) -> int:
    """How many runs the store file holds."""
    with ExperimentStore(path, readonly=True) as store:
        return store.connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def interrupted_message(finished: int, total: int, store: ExperimentStore, hint: str) -> str:
    """One line: what finished, and how to resume (or that nothing is kept without a store)."""
    if store.path is None:
        return (
            f"interrupted: {finished} of {total} runs had finished, none kept (no --store); "
            "add --store PATH to keep finished runs and resume"
        )
    again = f": {hint}" if hint else ""
    return (
        f"interrupted: {finished} of {total} runs are kept in {store.path}; the same command "
        f"resumes{again}"
    )


def group_end(pending: Sequence[Run], start: int, size: int, most: int | None = None) -> int:
    """Where a chunk of about ``size`` runs from ``start`` ends: at the end of its last group.

    Runs of one group (a seed) share per-process caches, so a chunk takes the rest of its last
    group when that is at most ``size`` more runs and the chunk stays within ``most`` runs (the
    share that keeps every worker busy; default ``2 * size``).
    """
    most = 2 * size if most is None else max(size, min(most, 2 * size))
    end = min(start + size, len(pending))
    limit = min(start + most, len(pending))
    last = pending[end - 1].group
    while end < limit and pending[end].group == last:
        end += 1
    return end if end == len(pending) or pending[end].group != last else start + size


def drive(
    experiment: Experiment,
    pending: list[Run],
    store: ExperimentStore,
    workers: Workers,
    progress: bool,
    target_seconds: float,
) -> int:
    """Submit chunks (a few in flight), store each as it finishes; returns runs computed."""
    kind = experiment.kind
    pace = Pace(kind.seconds_per_run)
    next_run = 0  # pending[next_run:] are not submitted yet
    in_flight: dict = {}
    computed = 0
    limit = CHUNKS_IN_FLIGHT_PER_JOB * workers.jobs
    total = len(experiment.runs)
    with progress_bar(total, kind.qualified, progress) as bar:
        bar.update(total - len(pending))
        while next_run < len(pending) or in_flight:
            while next_run < len(pending) and len(in_flight) < limit:
                size = pace.chunk_size(
                    len(pending) - next_run, workers.jobs, target_seconds, kind.min_chunk_runs
                )
                share = math.ceil((len(pending) - next_run) / workers.jobs)
                end = group_end(pending, next_run, size, share)
                chunk = pending[next_run:end]
                next_run = end
                work = ChunkWork(
                    kind.compute, experiment.context, tuple((r.config, r.seed) for r in chunk)
                )
                with forking_quietly():  # submitting may fork the workers
                    in_flight[workers.executor.submit(compute_chunk, work)] = chunk
            finished, _ = wait(list(in_flight), timeout=WAIT_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk = in_flight.pop(future)
                result: ChunkDone = future.result()
                pace.add(len(chunk), result.seconds)
                per_run = result.seconds / len(chunk)
                records = [
                    RunRecord(run.key, kind.qualified, run.config, run.seed, tuple(rows), per_run)
                    for run, rows in zip(chunk, result.rows, strict=True)
                ]
                store.save(kind.table, kind.columns, records)
                computed += len(chunk)
                bar.update(len(chunk))
    return computed
