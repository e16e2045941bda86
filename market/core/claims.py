"""Claims on blocks of an experiment's runs, so that drivers on one store share the work.

The ``claims`` table holds ``(experiment_id, block, owner, expires)``: the driver ``owner``
(host, pid and a random tag) is computing the missing runs of that block of positions and
renews its lease (``expires``, Unix seconds) as it stores chunks. A block is free when it has
no claim, when its lease has lapsed, or when its owner is a process of this host that no longer
exists (a driver killed with SIGKILL frees its blocks at once for a driver on the same machine;
on another machine, when the lease runs out). A claim is taken, and the block's finished runs
linked to the experiment, in one transaction (:func:`claim`); the last chunk of a block gives
the claim back (:meth:`market.core.store.ExperimentStore.save_chunk`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

CLAIMS_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    experiment_id TEXT NOT NULL, block INTEGER NOT NULL, owner TEXT NOT NULL,
    expires REAL NOT NULL, PRIMARY KEY (experiment_id, block));
"""


def host_name() -> str:
    """This machine's name (``os.uname``: no import of ``socket`` on the CLI's path)."""
    return os.uname().nodename if hasattr(os, "uname") else "localhost"


def owner_alive(owner: str) -> bool:
    """Whether the driver ``owner`` may still run (always True for another host's)."""
    parts = owner.rsplit(":", 2)
    if len(parts) < 3 or parts[0] != host_name() or not parts[1].isdigit():
        return True
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holds(row, owner: str, now: float) -> bool:
    """Whether a claim row ``(owner, expires)`` keeps ``owner`` off its block."""
    return row is not None and row[0] != owner and row[1] > now and owner_alive(row[0])


def claim(store, experiment_id: str, block: int, owner: str, expires: float, runs: Sequence):
    """Claim ``block`` of ``runs`` for ``owner`` and link its finished runs to the experiment.

    Returns the keys of the block's finished runs, or None if another live driver holds the
    block. A block whose runs are all finished is linked and left unclaimed.
    """
    with store.transaction() as connection:
        row = connection.execute(
            "SELECT owner, expires FROM claims WHERE experiment_id = ? AND block = ?",
            (experiment_id, block),
        ).fetchone()
        if holds(row, owner, time.time()):
            return None
        found = store.finished(run.key for run in runs)
        connection.executemany(
            "INSERT OR IGNORE INTO experiment_runs VALUES (?, ?, ?)",
            ((experiment_id, run.position, run.key) for run in runs if run.key in found),
        )
        if len(found) < len(runs):
            connection.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?)",
                (experiment_id, block, owner, expires),
            )
        elif row is not None:
            connection.execute(
                "DELETE FROM claims WHERE experiment_id = ? AND block = ?", (experiment_id, block)
            )
    return found


def held_blocks(store, experiment_id: str, owner: str, now: float) -> set[int]:
    """The experiment's blocks that other live drivers hold now."""
    rows = store.connection.execute(
        "SELECT block, owner, expires FROM claims WHERE experiment_id = ?", (experiment_id,)
    )
    return {block for block, *row in rows if holds(row, owner, now)}


def renew(store, owner: str, expires: float) -> None:
    """Extend every lease of ``owner``."""
    with store.transaction() as connection:
        connection.execute("UPDATE claims SET expires = ? WHERE owner = ?", (expires, owner))


def release(store, experiment_id: str, owner: str) -> None:
    """Give back ``owner``'s claims on the experiment (a driver stopping on purpose)."""
    with store.transaction() as connection:
        connection.execute(
            "DELETE FROM claims WHERE experiment_id = ? AND owner = ?", (experiment_id, owner)
        )
