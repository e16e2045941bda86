"""Reading a store's result tables: run order and decoded labels, for the CLI and for Python.

A result table's rows come in run order (:func:`table_in_run_order`) or in one experiment's
order (:func:`experiment_in_run_order`), with every labelled column decoded. An experiment may
name the coded values of a column in its spec (``spec["labels"]``), for example a TTC grid whose
``game`` column holds a hash of each game::

    "labels": {"preset": {"column": "game", "names": {"3f2a...": "gsm8k-best-of-n", ...}}}

The rows then carry a ``preset`` column just before ``game`` with the preset's name (NULL for a
value no experiment of the table names, such as a game read from a curves file). Decoding
happens in SQL, so a filter can name the decoded column; the stored rows never change.

``llm-market results`` (:mod:`market.experiment_cli`) and :func:`market.open_store` read
through these functions, so both give the same rows in the same order.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from market.core.errors import UserInputError
from market.core.grids import short
from market.core.store import quoted

#: The spec entry in which an experiment names a column's coded values.
LABELS_ENTRY = "labels"


@dataclass(frozen=True)
class Label:
    """A decoded column: names for the coded values of a stored column.

    Attributes:
        name: the decoded column's name (``"preset"``).
        column: the stored column it decodes (``"game"``).
        names: stored value -> name.
    """

    name: str
    column: str
    names: dict[str, str]

    def sql(self) -> tuple[str, list]:
        """``CASE t.column WHEN ? THEN ? ... END AS name`` and its parameters."""
        if not self.names:
            return f"NULL AS {quoted(self.name)}", []
        cases = " ".join("WHEN ? THEN ?" for _ in self.names)
        params = [item for pair in self.names.items() for item in pair]
        return f"CASE t.{quoted(self.column)} {cases} END AS {quoted(self.name)}", params


def table_labels(connection: sqlite3.Connection, table: str) -> list[Label]:
    """The labels the experiments of ``table`` declare, merged (the first experiment by id wins)."""
    merged: dict[tuple[str, str], dict[str, str]] = {}
    specs = connection.execute(
        "SELECT spec FROM experiments WHERE result_table = ? ORDER BY id", (table,)
    )
    for (text,) in specs:
        declared = json.loads(text).get(LABELS_ENTRY, {})
        for name, label in declared.items():
            names = merged.setdefault((name, label["column"]), {})
            for value, shown in label["names"].items():
                names.setdefault(value, shown)
    return [Label(name, column, names) for (name, column), names in merged.items()]


def stored_columns(connection: sqlite3.Connection, table: str) -> dict[str, str]:
    """A result table's stored columns and their SQL types (upper case; "" for floats)."""
    rows = connection.execute(f"PRAGMA table_info({quoted(table)})")
    return {row[1]: row[2].upper() for row in rows}


def table_columns(connection: sqlite3.Connection, table: str) -> dict[str, str]:
    """The columns rows of ``table`` are read with (decoded ones as TEXT), in order."""
    stored = stored_columns(connection, table)
    decoded = {label.column: label.name for label in table_labels(connection, table)}
    columns: dict[str, str] = {}
    for name, kind in stored.items():
        if name in decoded:
            columns[decoded[name]] = "TEXT"
        columns[name] = kind
    return columns


def select_list(connection: sqlite3.Connection, table: str) -> tuple[str, list]:
    """The ``SELECT`` list of ``table``'s rows (alias ``t``) with decoded columns, and params."""
    labels = {label.column: label for label in table_labels(connection, table)}
    parts, params = [], []
    for name in stored_columns(connection, table):
        if name in labels:
            sql, values = labels[name].sql()
            parts.append(sql)
            params += values
        parts.append(f"t.{quoted(name)}")
    return ", ".join(parts), params


def table_in_run_order(connection: sqlite3.Connection, table: str) -> tuple[str, list]:
    """A result table's rows in run order: experiment by experiment (by id), each in run order.

    A run shared by several experiments comes once, where the first of them (by id) has it.
    Ids are hashes of the experiments' specs, so two stores holding the same experiments export
    the same bytes, whatever the order the experiments were run in, the executors, the chunks
    and the resumes (runs of no experiment, if any, come last by key). Returns the query and
    its parameters.
    """
    columns, params = select_list(connection, table)
    first = (
        "SELECT e.run_key AS key, MIN(printf('%s %020d', x.id, e.position)) AS place "
        "FROM experiment_runs e JOIN experiments x ON x.id = e.experiment_id "
        "WHERE x.result_table = ? GROUP BY e.run_key"
    )
    query = (
        f"SELECT {columns} FROM {quoted(table)} t LEFT JOIN ({first}) f ON f.key = t.run_key "
        'ORDER BY f.place IS NULL, f.place, t.run_key, t."row"'
    )
    return query, [*params, table]


def experiment_in_run_order(
    connection: sqlite3.Connection, table: str, experiment_id: str
) -> tuple[str, list]:
    """One experiment's rows of ``table`` in its run order (position, then row), and params."""
    columns, params = select_list(connection, table)
    query = (
        f"SELECT {columns} FROM experiment_runs e JOIN {quoted(table)} t "
        'ON t.run_key = e.run_key WHERE e.experiment_id = ? ORDER BY e.position, t."row"'
    )
    return query, [*params, experiment_id]


def find_experiment(connection: sqlite3.Connection, prefix: str, field: str) -> tuple[str, str]:
    """(result table, full id) of the experiment whose id starts with ``prefix``.

    Raises:
        UserInputError: no experiment or several start with ``prefix`` (``field`` names the
            user's flag or argument; the message lists at most ten ids).
    """
    found = connection.execute(
        "SELECT result_table, id FROM experiments WHERE id LIKE ?", (prefix + "%",)
    ).fetchall()
    if len(found) != 1:
        known = [i for (i,) in connection.execute("SELECT id FROM experiments")]
        shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        raise UserInputError(field, f"one of {shown or '(none)'}", short(prefix))
    return found[0]
