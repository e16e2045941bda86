"""The experiment store: one SQLite file (WAL mode) that keeps every finished run.

Tables (``pd.read_sql("SELECT * FROM delegation_profiles", con)`` just works):

- ``experiments``: one row per experiment: ``id`` (a hash of the experiment's full spec and the
  package version), ``game``, ``kind``, ``spec`` (JSON), ``total`` runs, ``created``.
- ``experiment_runs``: ``(experiment_id, position, run_key)`` of the experiment's finished
  runs, written with each chunk (and when a driver finds a run already stored), so any reader
  (a second terminal) can compute its progress; the runs themselves are made on demand from the
  spec, never listed up front (stores written before listed every run here: still readable).
- ``claims``: which driver is computing which block of an experiment's runs, with a lease
  (:mod:`market.core.claims`).
- ``runs``: ``key`` (sha256 of the canonical JSON of the kind, the run's configuration, its
  seed and the package version), ``kind``, ``config`` (JSON), ``seed``, ``finished_at`` (Unix
  seconds) and ``seconds`` (compute time per run, as measured by its worker).
- one table per experiment kind (``delegation_profiles``, ``ttc_equilibria``, ...): the tidy
  result rows, ``run_key`` and ``row`` first, then the kind's columns.

Only drivers write, one transaction per finished chunk (its result rows, its runs and their
links together), so a driver killed at any moment leaves whole chunks or nothing of a chunk; a
run key already present is skipped (``INSERT OR IGNORE``), so nothing is ever stored twice, and
two drivers on one file share the work through claims. Writers use WAL mode and switch the
file back to a rollback journal when the last one closes, so readers opened read-only
(``mode=ro``; ``immutable=1`` in a read-only folder) leave no ``-wal``/``-shm`` files behind. An
experiment's table is read back in experiment order (position, then row), so the order in
which chunks finished never shows.

Floats are stored exactly: float columns carry no declared type, because SQLite's REAL affinity
stores a whole-valued float as an integer and so turns ``-0.0`` into ``0.0``; NaN, which SQLite
stores as NULL, is read back as NaN.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from market.core.claims import CLAIMS_SCHEMA
from market.core.errors import UserInputError
from market.core.faults import StoreFault, environmental, fault_message
from market.core.store_files import (
    is_readable_file,
    patiently,
    reader_uri,
    refuse_foreign,
    short_path,
)

SCHEMA_VERSION = 1
SQL_TYPES = {int: "INTEGER", str: "TEXT", bool: "INTEGER", float: ""}
#: Seconds a writer waits for another's write lock before the store counts as locked.
BUSY_SECONDS = 30.0
#: Milliseconds a closing writer waits to switch the journal back (others still open: it keeps WAL).
JOURNAL_SWITCH_MS = 100

BASE_SCHEMA = (
    """
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
    + CLAIMS_SCHEMA
)


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


def quoted(name: str) -> str:
    """An SQL identifier in double quotes (names come from the kinds, never from users)."""
    return '"' + name.replace('"', '""') + '"'


class ExperimentStore:
    """An open store (``path=None``: in memory, for sweeps run without ``--store``).

    Args:
        path: the SQLite file (created if missing), or None for an in-memory store.
        readonly: open an existing file for reading only (a second terminal's view): no
            write, no side file (:func:`reader_uri`).
    """

    def __init__(self, path: str | Path | None = None, readonly: bool = False):
        self.path = None if path is None else Path(path)
        self.readonly = readonly
        self.uri = ":memory:" if path is None else str(path)
        if readonly:
            if not is_readable_file(path):  # missing and unreadable read the same
                raise UserInputError("store", "an existing store file", short_path(path))
            self.uri = reader_uri(Path(path))
        try:
            self.connection = sqlite3.connect(
                self.uri, uri=readonly, timeout=BUSY_SECONDS, isolation_level=None
            )
            if not readonly:
                patiently(lambda: refuse_foreign(self.connection, path), BUSY_SECONDS)
                patiently(self.set_up, BUSY_SECONDS)
            found = self.connection.execute(
                "SELECT value FROM store_info WHERE name = 'schema'"
            ).fetchone()
        except sqlite3.DatabaseError as error:
            if environmental(error):
                raise StoreFault(fault_message(self.path, error)) from None
            raise UserInputError(
                "store",
                "an llm-market experiment store (SQLite)",
                short_path(path),
                note=str(error)[:200],
            ) from None
        if found is None or found[0] != str(SCHEMA_VERSION):
            raise UserInputError(
                "store", f"an llm-market store of schema {SCHEMA_VERSION}", short_path(path)
            )

    def set_up(self) -> None:
        """WAL mode and the base schema (each statement idempotent: safe to try again)."""
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.executescript(BASE_SCHEMA)
        self.connection.execute(
            "INSERT OR IGNORE INTO store_info VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
        )

    def close(self) -> None:
        """Close the connection; the last writer turns WAL off, removing its side files."""
        if not self.readonly and self.path is not None:
            with contextlib.suppress(sqlite3.Error):
                self.connection.execute(f"PRAGMA busy_timeout = {JOURNAL_SWITCH_MS}")
                self.connection.execute("PRAGMA journal_mode=DELETE")  # fails if others are open
        self.connection.close()

    def __enter__(self) -> ExperimentStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- writing (drivers only) ---------------------------------------------------------

    def ensure_table(self, table: str, columns: Sequence[Column]) -> None:
        """Create a kind's result table if it does not exist."""
        body = ", ".join(c.sql() for c in columns)
        self.connection.execute(
            f"CREATE TABLE IF NOT EXISTS {quoted(table)} (run_key TEXT NOT NULL, "
            f'"row" INTEGER NOT NULL, {body}, PRIMARY KEY (run_key, "row"))'
        )

    def register(self, experiment) -> None:
        """Record an experiment: its spec and its number of runs (once; never its run keys)."""
        with self.transaction():
            self.connection.execute(
                "INSERT OR IGNORE INTO experiments VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    experiment.id,
                    experiment.game,
                    experiment.kind.name,
                    experiment.table,
                    json.dumps(experiment.spec, sort_keys=True),
                    len(experiment.runs),
                    time.time(),
                ),
            )

    def save(self, table: str, columns: Sequence[Column], records: Iterable[RunRecord]) -> int:
        """Store finished runs and their rows in one transaction; returns the runs added."""
        with self.transaction():
            return self.insert_records(table, columns, records)

    def save_chunk(
        self,
        experiment_id: str,
        table: str,
        columns: Sequence[Column],
        records: Sequence[RunRecord],
        positions: Sequence[int],
        owner: str,
        expires: float,
        done_blocks: Sequence[int],
    ) -> int:
        """Store a finished chunk in one transaction, with its links and its claims.

        The runs and rows, their links to the experiment's ``positions``, ``owner``'s renewed
        leases, and the claims of the blocks the chunk completed given back.
        """
        with self.transaction() as connection:
            added = self.insert_records(table, columns, records)
            connection.executemany(
                "INSERT OR IGNORE INTO experiment_runs VALUES (?, ?, ?)",
                ((experiment_id, p, r.key) for p, r in zip(positions, records, strict=True)),
            )
            connection.execute("UPDATE claims SET expires = ? WHERE owner = ?", (expires, owner))
            connection.executemany(
                "DELETE FROM claims WHERE experiment_id = ? AND block = ? AND owner = ?",
                ((experiment_id, block, owner) for block in done_blocks),
            )
        return added

    def insert_records(
        self, table: str, columns: Sequence[Column], records: Iterable[RunRecord]
    ) -> int:
        """Insert finished runs and their rows (inside a transaction); returns the runs added."""
        names = ", ".join(quoted(c.name) for c in columns)
        marks = ", ".join("?" * (len(columns) + 2))
        insert_rows = f'INSERT INTO {quoted(table)} (run_key, "row", {names}) VALUES ({marks})'
        added = 0
        now = time.time()
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

    def progress(self, experiment_id: str | None = None) -> list:
        """Progress of every experiment (or one), with an ETA (:mod:`market.core.progress`)."""
        from market.core.progress import experiment_progress

        return experiment_progress(self, experiment_id)

    def tables(self) -> list[str]:
        """The result tables in the store."""
        rows = self.connection.execute(
            "SELECT DISTINCT result_table FROM experiments ORDER BY result_table"
        )
        return [name for (name,) in rows]


class Transaction:
    """``BEGIN IMMEDIATE`` on entry; ``COMMIT`` on success, ``ROLLBACK`` on any exception.

    A failed ``COMMIT`` (a full disk) is rolled back too, and its error raised.
    """

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            try:
                self.connection.execute("COMMIT")
            except sqlite3.Error:
                self.__exit__(sqlite3.Error, None, None)
                raise
        elif self.connection.in_transaction:  # SQLite rolls back by itself on a full disk
            with contextlib.suppress(sqlite3.Error):  # keep the error that stopped it
                self.connection.execute("ROLLBACK")
