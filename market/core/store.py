"""The experiment store: one SQLite file (WAL mode) that keeps every finished run.

Tables (``pd.read_sql("SELECT * FROM delegation_profiles", con)`` just works):

- ``experiments``: one row per experiment: ``id`` (a hash of the experiment's full spec and the
  package version), ``game``, ``kind``, ``spec`` (JSON), ``total`` runs, ``created``.
- ``experiment_runs``: ``(experiment_id, position, run_key)``, written once when the
  experiment is registered, so any reader (a second terminal) can compute its progress.
- ``runs``: ``key`` (sha256 of the canonical JSON of the kind, the run's configuration, its
  seed and the package version), ``kind``, ``config`` (JSON), ``seed``, ``finished_at`` (Unix
  seconds) and ``seconds`` (compute time per run, as measured by its worker).
- one table per experiment kind (``delegation_profiles``, ``ttc_equilibria``, ...): the tidy
  result rows, ``run_key`` and ``row`` first, then the kind's columns.

Only the driver writes, one transaction per finished chunk (its result rows and its runs
together), so a driver killed at any moment leaves whole chunks or nothing of a chunk; a run
key already present is skipped (``INSERT OR IGNORE``), so nothing is ever stored twice, even by
two drivers on one file. An experiment's table is read back in experiment order (position, then
row), so the order in which chunks finished never shows.

Floats are stored exactly: float columns carry no declared type, because SQLite's REAL affinity
stores a whole-valued float as an integer and so turns ``-0.0`` into ``0.0``; NaN, which SQLite
stores as NULL, is read back as NaN.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from market.core.errors import UserInputError

SCHEMA_VERSION = 1
STORE_EXPECTED = "a store file path (an llm-market SQLite store, created if missing)"
SQL_TYPES = {int: "INTEGER", str: "TEXT", bool: "INTEGER", float: ""}

BASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_info (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS experiments (
    id TEXT PRIMARY KEY, game TEXT NOT NULL, kind TEXT NOT NULL, result_table TEXT NOT NULL,
    spec TEXT NOT NULL, total INTEGER NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS experiment_runs (
    experiment_id TEXT NOT NULL, position INTEGER NOT NULL, run_key TEXT NOT NULL,
    PRIMARY KEY (experiment_id, position));
CREATE INDEX IF NOT EXISTS experiment_runs_key ON experiment_runs (run_key);
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, config TEXT NOT NULL, seed INTEGER,
    finished_at REAL NOT NULL, seconds REAL NOT NULL);
"""


@dataclass(frozen=True)
class Column:
    """A column of a kind's result table: its name and Python type (int, float, str, bool)."""

    name: str
    type: type

    def sql(self) -> str:
        """The column's definition in ``CREATE TABLE`` (floats untyped: see the module)."""
        return f'"{self.name}" {SQL_TYPES[self.type]}'.rstrip()

    def to_sql(self, value):
        """A Python value as stored (numpy scalars become plain ints, floats and strings)."""
        if value is None:
            return None
        return int(value) if self.type is bool else self.type(value)

    def from_sql(self, value):
        """A stored value as Python (NULL in a float column is NaN; 0/1 are bools)."""
        if self.type is float:
            return math.nan if value is None else value
        if self.type is bool and value is not None:
            return bool(value)
        return value


@dataclass(frozen=True)
class RunRecord:
    """A finished run as the driver stores it: key, kind, config, seed, rows, seconds."""

    key: str
    kind: str
    config: dict
    seed: int | None
    rows: tuple[tuple, ...]
    seconds: float


@dataclass(frozen=True)
class Progress:
    """How far an experiment is: runs done of total, and an ETA from the recent pace."""

    experiment_id: str
    game: str
    kind: str
    result_table: str
    total: int
    done: int
    created: float
    last_finished: float | None
    eta_seconds: float | None

    def to_dict(self) -> dict:
        """JSON form."""
        return {
            "experiment": self.experiment_id,
            "game": self.game,
            "kind": self.kind,
            "table": self.result_table,
            "done": self.done,
            "total": self.total,
            "created": self.created,
            "last_finished": self.last_finished,
            "eta_seconds": self.eta_seconds,
        }


def store_path(text) -> Path:
    """The ``--store`` path, checked before any work: named, in an existing writable folder."""
    if text is None or not str(text).strip():
        raise UserInputError("store", STORE_EXPECTED, text)
    path = Path(text)
    if path.is_dir():
        raise UserInputError("store", STORE_EXPECTED, str(text), note="it is a directory")
    if not path.parent.is_dir():
        raise UserInputError(
            "store", STORE_EXPECTED, str(text), note=f"folder {path.parent} does not exist"
        )
    return path


def quoted(name: str) -> str:
    """An SQL identifier in double quotes (names come from the kinds, never from users)."""
    return '"' + name.replace('"', '""') + '"'


class ExperimentStore:
    """An open store (``path=None``: in memory, for sweeps run without ``--store``).

    Args:
        path: the SQLite file (created if missing), or None for an in-memory store.
        readonly: open an existing file for reading only (a second terminal's view).
    """

    def __init__(self, path: str | Path | None = None, readonly: bool = False):
        self.path = None if path is None else Path(path)
        target = ":memory:" if path is None else str(path)
        if readonly:
            if not Path(path).is_file():
                raise UserInputError("store", "an existing store file", str(path))
            target = f"{Path(path).absolute().as_uri()}?mode=ro"
        try:
            self.connection = sqlite3.connect(
                target, uri=readonly, timeout=30.0, isolation_level=None
            )
            if not readonly:
                self.connection.execute("PRAGMA journal_mode=WAL")
                self.connection.execute("PRAGMA synchronous=NORMAL")
                self.connection.executescript(BASE_SCHEMA)
                self.connection.execute(
                    "INSERT OR IGNORE INTO store_info VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                )
            found = self.connection.execute(
                "SELECT value FROM store_info WHERE name = 'schema'"
            ).fetchone()
        except sqlite3.DatabaseError as error:
            raise UserInputError(
                "store", "an llm-market experiment store (SQLite)", str(path), note=str(error)
            ) from None
        if found is None or found[0] != str(SCHEMA_VERSION):
            raise UserInputError(
                "store", f"an llm-market store of schema {SCHEMA_VERSION}", str(path)
            )

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def __enter__(self) -> ExperimentStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- writing (the driver only) ------------------------------------------------------

    def ensure_table(self, table: str, columns: Sequence[Column]) -> None:
        """Create a kind's result table if it does not exist."""
        body = ", ".join(c.sql() for c in columns)
        self.connection.execute(
            f"CREATE TABLE IF NOT EXISTS {quoted(table)} (run_key TEXT NOT NULL, "
            f'"row" INTEGER NOT NULL, {body}, PRIMARY KEY (run_key, "row"))'
        )

    def register(self, experiment, keys: Sequence[str]) -> None:
        """Record an experiment and its runs in order (once; a second call changes nothing)."""
        with self.transaction():
            inserted = self.connection.execute(
                "INSERT OR IGNORE INTO experiments VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    experiment.id,
                    experiment.game,
                    experiment.kind.name,
                    experiment.table,
                    json.dumps(experiment.spec, sort_keys=True),
                    len(keys),
                    time.time(),
                ),
            ).rowcount
            if inserted:
                self.connection.executemany(
                    "INSERT INTO experiment_runs VALUES (?, ?, ?)",
                    ((experiment.id, i, key) for i, key in enumerate(keys)),
                )

    def save(self, table: str, columns: Sequence[Column], records: Iterable[RunRecord]) -> int:
        """Store finished runs and their rows in one transaction; returns the runs added."""
        names = ", ".join(quoted(c.name) for c in columns)
        marks = ", ".join("?" * (len(columns) + 2))
        insert_rows = f'INSERT INTO {quoted(table)} (run_key, "row", {names}) VALUES ({marks})'
        added = 0
        now = time.time()
        with self.transaction():
            for record in records:
                fresh = self.connection.execute(
                    "INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        record.key,
                        record.kind,
                        json.dumps(record.config, sort_keys=True),
                        record.seed,
                        now,
                        record.seconds,
                    ),
                ).rowcount
                if not fresh:
                    continue
                added += 1
                self.connection.executemany(
                    insert_rows,
                    (
                        (record.key, i, *(c.to_sql(v) for c, v in zip(columns, row, strict=True)))
                        for i, row in enumerate(record.rows)
                    ),
                )
        return added

    def transaction(self):
        """A context manager: BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        return Transaction(self.connection)

    # ---- reading ------------------------------------------------------------------------

    def finished(self, keys: Iterable[str]) -> set[str]:
        """The keys among ``keys`` whose runs are stored."""
        keys = list(keys)
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ", ".join("?" * len(part))
            found.update(
                key
                for (key,) in self.connection.execute(
                    f"SELECT key FROM runs WHERE key IN ({marks})", part
                )
            )
        return found

    def experiment_rows(self, experiment_id: str, table: str, columns: Sequence[Column]):
        """The experiment's result rows in experiment order (position, then row), typed."""
        names = ", ".join(f"t.{quoted(c.name)}" for c in columns)
        cursor = self.connection.execute(
            f"SELECT e.position, {names} FROM experiment_runs e JOIN {quoted(table)} t "
            'ON t.run_key = e.run_key WHERE e.experiment_id = ? ORDER BY e.position, t."row"',
            (experiment_id,),
        )
        return [
            (row[0], tuple(c.from_sql(v) for c, v in zip(columns, row[1:], strict=True)))
            for row in cursor
        ]

    def progress(self, experiment_id: str | None = None) -> list[Progress]:
        """Progress of every experiment (or one), with an ETA from the last runs' pace."""
        query = (
            "SELECT x.id, x.game, x.kind, x.result_table, x.total, x.created, "
            "COUNT(r.key), MAX(r.finished_at) FROM experiments x "
            "LEFT JOIN experiment_runs e ON e.experiment_id = x.id "
            "LEFT JOIN runs r ON r.key = e.run_key"
        )
        params: tuple = ()
        if experiment_id is not None:
            query += " WHERE x.id = ?"
            params = (experiment_id,)
        rows = self.connection.execute(query + " GROUP BY x.id ORDER BY x.created", params)
        return [
            self.with_eta(Progress(*row[:4], row[4], row[6], row[5], row[7], None)) for row in rows
        ]

    def with_eta(self, progress: Progress) -> Progress:
        """``progress`` with an ETA: the remaining runs at the pace of its last runs, until now."""
        remaining = progress.total - progress.done
        if remaining <= 0 or progress.done < 2:
            return progress
        times = [
            t
            for (t,) in self.connection.execute(
                "SELECT DISTINCT r.finished_at FROM experiment_runs e JOIN runs r "
                "ON r.key = e.run_key WHERE e.experiment_id = ? "
                "ORDER BY r.finished_at DESC LIMIT 50",
                (progress.experiment_id,),
            )
        ]
        span = max(time.time(), times[0]) - times[-1] if times else 0.0
        if len(times) < 2 or span <= 0:
            return progress
        recent = self.connection.execute(
            "SELECT COUNT(*) FROM experiment_runs e JOIN runs r ON r.key = e.run_key "
            "WHERE e.experiment_id = ? AND r.finished_at > ?",
            (progress.experiment_id, times[-1]),
        ).fetchone()[0]
        rate = recent / span  # up to now: a stopped driver's ETA grows
        return Progress(**{**progress.__dict__, "eta_seconds": remaining / rate if rate else None})

    def tables(self) -> list[str]:
        """The result tables in the store."""
        rows = self.connection.execute(
            "SELECT DISTINCT result_table FROM experiments ORDER BY result_table"
        )
        return [name for (name,) in rows]


class Transaction:
    """``BEGIN IMMEDIATE`` on entry; ``COMMIT`` on success, ``ROLLBACK`` on any exception."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.connection.execute("COMMIT")
        else:
            self.connection.execute("ROLLBACK")
