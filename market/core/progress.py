"""How far an experiment in a store is: runs done of total, and an ETA from the recent pace.

Read from any connection, also a read-only one in a second terminal while a driver writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


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


def experiment_progress(store, experiment_id: str | None = None) -> list[Progress]:
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
    rows = store.connection.execute(query + " GROUP BY x.id ORDER BY x.created", params)
    return [
        with_eta(store, Progress(*row[:4], row[4], row[6], row[5], row[7], None)) for row in rows
    ]


def with_eta(store, progress: Progress) -> Progress:
    """``progress`` with an ETA: the remaining runs at the pace of its last runs, until now."""
    remaining = progress.total - progress.done
    if remaining <= 0 or progress.done < 2:
        return progress
    times = [
        t
        for (t,) in store.connection.execute(
            "SELECT DISTINCT r.finished_at FROM experiment_runs e JOIN runs r "
            "ON r.key = e.run_key WHERE e.experiment_id = ? "
            "ORDER BY r.finished_at DESC LIMIT 50",
            (progress.experiment_id,),
        )
    ]
    span = max(time.time(), times[0]) - times[-1] if times else 0.0
    if len(times) < 2 or span <= 0:
        return progress
    recent = store.connection.execute(
        "SELECT COUNT(*) FROM experiment_runs e JOIN runs r ON r.key = e.run_key "
        "WHERE e.experiment_id = ? AND r.finished_at > ?",
        (progress.experiment_id, times[-1]),
    ).fetchone()[0]
    rate = recent / span  # up to now: a stopped driver's ETA grows
    return Progress(**{**progress.__dict__, "eta_seconds": remaining / rate if rate else None})
