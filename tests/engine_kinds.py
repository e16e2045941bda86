"""Test-only experiment kinds for the engine's fault tests, importable by driver subprocesses.

- ``counted``: each run sleeps a little and leaves a marker file ``<position>-<pid>-<n>`` in
  the folder given as the experiment's context, so a test counts how often each run was
  computed, by which process; its row is ``(position, seed, position * 0.5)``.
- ``dying``: like ``counted``, but a run whose ``die`` is true ends its worker process at once
  (``os._exit``), as a worker killed by the kernel would.

Run as a script (``python tests/engine_kinds.py STORE MARKERS RUNS``), it drives one
``counted`` experiment into STORE on one job: the tests start two such drivers at once.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path

from market.core.experiments import Experiment, ExperimentKind, RunList, execute
from market.core.store import Column

SECONDS_PER_RUN = 0.004
COLUMNS = (Column("position", int), Column("seed", int), Column("half", float))
marker_numbers = itertools.count()


def counted_rows(context, runs) -> list[list[tuple]]:
    """Compute each run: a short sleep, a marker file, one row (top-level: it pickles)."""
    rows = []
    for config, seed in runs:
        if config.get("die"):
            os._exit(9)
        time.sleep(SECONDS_PER_RUN)
        if context is not None:
            name = f"{config['position']}-{os.getpid()}-{next(marker_numbers)}"
            (Path(context) / name).touch()
        rows.append([(config["position"], seed, config["position"] * 0.5)])
    return rows


COUNTED = ExperimentKind("counted", "test", "test_counted", COLUMNS, counted_rows, 0.004)


def counted_experiment(
    runs: int, markers=None, dying: tuple[int, ...] = (), kind: ExperimentKind = None
) -> Experiment:
    """``runs`` runs of the ``counted`` kind (or ``kind``), made on demand.

    ``markers``: the folder of marker files; ``dying``: positions whose worker dies.
    """
    kind = COUNTED if kind is None else kind

    def item(i: int) -> tuple:
        config = {"position": i, "die": True} if i in dying else {"position": i}
        return config, 11, i // 4

    spec = {"runs": runs, "dying": list(dying)}
    context = None if markers is None else str(markers)
    return Experiment(kind, spec, RunList(kind, runs, item), context)


def markers_per_run(markers: Path) -> dict[int, int]:
    """How many times each position was computed (from the marker files)."""
    counts: dict[int, int] = {}
    for path in markers.iterdir():
        position = int(path.name.split("-")[0])
        counts[position] = counts.get(position, 0) + 1
    return counts


if __name__ == "__main__":
    store, markers, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    outcome = execute(counted_experiment(runs, markers), store, jobs=1, collect_rows=False)
    print(outcome.computed, outcome.reused)
