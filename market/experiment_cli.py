"""``llm-market experiment run`` and ``llm-market results``: grids on the experiment engine.

- ``experiment run GRID.toml --store PATH [--executor local|dask] [--jobs J] [--scheduler
  ADDRESS] [--json]``: every run of the grid file (:mod:`market.core.grids`) not yet in the
  store, on the chosen executor; Ctrl-C stops it within a second or two (exit code 130) and
  the same command resumes.
- ``results PATH``: the experiments in a store with their progress (done / total, ETA), also
  while a driver is writing (from a second terminal); ``--experiment ID`` or ``--table NAME``
  selects rows, in run order (so two exports of the same experiments are the same bytes),
  ``--filter COLUMN=VALUE`` (also ``!=``, ``<``, ``<=``, ``>``, ``>=``; repeat to combine;
  the value must fit the column's type) filters them, ``--export FILE.csv|FILE.parquet``
  writes them, ``--json`` prints JSON. The store is opened read-only and nothing is written
  beside it (:func:`market.core.store.reader_uri`). Coded columns come decoded beside the
  stored ones (a TTC grid's rows carry a ``preset`` column before their ``game`` hash:
  :mod:`market.core.store_tables`), and ``--filter`` may name them.

The same functions serve Python: :func:`market.run_grid` and :func:`market.open_store`
(:mod:`market.api`).

Two ``experiment run`` on one store share the work (:mod:`market.core.claims`).

A thin layer: it parses, calls :mod:`market.core.experiments` and the games' experiment
modules, and prints. Mistakes are one-line errors with exit code 2; faults of the machine (a
full disk, a locked or read-only store, workers killed again and again) one line with exit
code 1 (:mod:`market.core.faults`).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from market.core.cli import engine_from_args, engine_options
from market.core.errors import UserInputError
from market.core.grids import short

FILTER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|!=|=|<|>)\s*(.*?)\s*$")
SHOWN_ROWS = 20


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``experiment`` and ``results`` commands."""
    experiment = commands.add_parser(
        "experiment",
        help="run a grid of runs from a TOML file, kept in a store (resumable)",
        description="Run every run of a grid file that the store does not hold yet.",
    )
    verbs = experiment.add_subparsers(dest="experiment_command", required=True, metavar="COMMAND")
    run = verbs.add_parser("run", help="run a grid file into a store")
    run.add_argument("grid", help="the grid file (TOML: game, kind, seed, seeds, [grid])")
    engine_options(run)
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.set_defaults(handler=run_command)

    results = commands.add_parser(
        "results",
        help="list, filter and export what a store holds",
        description="Without options: the experiments in the store and their progress.",
    )
    results.add_argument("store", help="the store file")
    results.add_argument("--experiment", default=None, help="an experiment's id (or a prefix)")
    results.add_argument("--table", default=None, help="a result table (all its rows)")
    results.add_argument(
        "--filter",
        action="append",
        default=[],
        help="COLUMN=VALUE (or !=, <, <=, >, >=); repeat to combine",
    )
    results.add_argument("--export", default=None, help="write the rows to FILE.csv or .parquet")
    results.add_argument("--json", action="store_true", help="print JSON")
    results.set_defaults(handler=results_command)


def run_command(args: argparse.Namespace) -> int:
    """``experiment run``: compute what the store lacks; print where the table is."""
    from market.api import execute_grid
    from market.core.grids import read_grid
    from market.core.parallel import progress_wanted

    if args.store is None:
        raise UserInputError("store", "--store PATH (an experiment's runs are kept there)", None)
    engine = engine_from_args(args, progress_wanted())
    done = execute_grid(read_grid(args.grid), engine)
    if args.json:
        print(json.dumps(done.to_dict()))
        return 0
    print(done.summary())
    print(
        f"rows in table {done.table} of {done.store}: llm-market results {done.store} "
        f"--experiment {done.experiment}"
    )
    return 0


def results_command(args: argparse.Namespace) -> int:
    """``results``: progress, or the selected rows (filtered, printed or exported)."""
    from market.core.store import ExperimentStore

    if not str(args.store).strip():
        raise UserInputError("store", "an existing store file", args.store)
    with ExperimentStore(args.store, readonly=True) as store:
        if args.experiment is None and args.table is None and not (args.filter or args.export):
            return show_progress(store, args.json)
        frame = selected_rows(store, args)
    if args.export:
        return export(frame, args.export, args.json)
    if args.json:
        print(frame.to_json(orient="records"))
        return 0
    print(
        f"{len(frame):,} rows" + (f"; the first {SHOWN_ROWS}:" if len(frame) > SHOWN_ROWS else ":")
    )
    print(frame.head(SHOWN_ROWS).to_string(index=False))
    return 0


def show_progress(store, as_json: bool) -> int:
    """Print every experiment's progress (done / total, ETA)."""
    entries = store.progress()
    if as_json:
        print(json.dumps([p.to_dict() for p in entries]))
        return 0
    if not entries:
        print(f"no experiments in {store.path}")
    for p in entries:
        eta = "" if p.eta_seconds is None else f", ETA {p.eta_seconds:,.0f} s"
        if p.last_finished is not None and p.done < p.total:
            eta += f", last run {time.time() - p.last_finished:,.0f} s ago"
        state = "done" if p.done >= p.total else f"{100 * p.done / max(1, p.total):.0f} %{eta}"
        print(
            f"{p.experiment_id}  {p.game}/{p.kind:<12} table {p.result_table:<20} "
            f"{p.done:,} / {p.total:,} runs ({state})"
        )
    return 0


def selected_rows(store, args):
    """The rows of ``--experiment`` or ``--table`` (or the only table), with ``--filter``.

    Labelled columns come decoded (:mod:`market.core.store_tables`: a TTC grid's rows name
    their preset), and ``--filter`` may name them.
    """
    import pandas as pd

    from market.core.store_tables import (
        experiment_in_run_order,
        find_experiment,
        table_columns,
        table_in_run_order,
    )

    if args.experiment is not None:
        table, experiment_id = find_experiment(store.connection, args.experiment, "--experiment")
        source, params = experiment_in_run_order(store.connection, table, experiment_id)
    else:
        tables = store.tables()
        table = args.table if args.table is not None else (tables[0] if len(tables) == 1 else None)
        if table not in tables:
            raise UserInputError(
                "--table", f"one of {', '.join(tables) or '(none yet)'}", short(str(args.table))
            )
        source, params = table_in_run_order(store.connection, table)
    columns = table_columns(store.connection, table)
    where = []
    for text in args.filter:
        column, operator, value = parse_filter(text, columns)
        where.append(f'"{column}" {operator} ?')
        params.append(value)
    query = f"SELECT * FROM ({source})" + (f" WHERE {' AND '.join(where)}" if where else "")
    return pd.read_sql(query, store.connection, params=params)


def parse_filter(text: str, columns: dict[str, str]) -> tuple[str, str, object]:
    """``COLUMN OP VALUE`` with a known column and a value of the column's type.

    ``columns`` maps names to SQL types: an INTEGER column takes an integer, an untyped (float)
    column a number, a TEXT column any text. Anything else is a one-line error naming
    ``--filter``, the column, its type and (a short prefix of) the value.
    """
    match = FILTER.match(text)
    if not match:
        raise UserInputError("--filter", "COLUMN=VALUE (or !=, <, <=, >, >=)", short(text))
    column, operator, value = match.groups()
    if column not in columns:
        raise UserInputError("--filter", f"a column: {', '.join(columns)}", short(column))
    kind = columns[column]
    if kind == "TEXT":
        return column, operator, value
    try:
        number = int(value) if kind == "INTEGER" else float(value)
    except ValueError:
        expected = "an integer" if kind == "INTEGER" else "a number"
        raise UserInputError(
            f"--filter {column}", f"{expected} (column {column} is {kind or 'REAL'})", short(value)
        ) from None
    return column, operator, number


def export(frame, target: str, as_json: bool) -> int:
    """Write the rows to a CSV or Parquet file, atomically."""
    from market.core.output import csv_bytes, write_outputs

    path = Path(target)
    if path.suffix not in (".csv", ".parquet") or not path.name.strip(". "):
        raise UserInputError("--export", "a FILE.csv or FILE.parquet path", short(target))
    if path.suffix == ".csv":
        content = csv_bytes(frame, "%.17g")
    else:
        try:
            content = frame.to_parquet(index=False)
        except ImportError:
            raise UserInputError(
                "--export", "pyarrow for Parquet (pip install 'llm-market[parquet]')", short(target)
            ) from None
    try:
        written = write_outputs(
            path.parent if str(path.parent) else Path("."), {path.name: content}
        )
    except UserInputError as error:  # it names its own field, "out"
        raise UserInputError(
            "--export", "a file in a writable folder", short(target), note=error.note[:200]
        ) from None
    message = {"rows": len(frame), "file": str(written[0])}
    print(json.dumps(message) if as_json else f"wrote {len(frame):,} rows to {written[0]}")
    return 0
