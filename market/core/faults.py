"""Faults that stop an experiment without a traceback: one line, an exit code, nothing lost.

A user's mistake is a :class:`market.core.errors.UserInputError` (exit code 2). What is
raised here is the machine's doing, not the user's: the disk filled up, another process holds
the store, the store is read-only, a worker process was killed again and again (exit code 1),
or Ctrl-C (exit code 130, :class:`market.core.experiments.ExperimentInterrupted`). Each says
what finished and how to go on; whatever finished stays in the store.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: Exit code of a fault of the machine (disk, store, workers).
ENVIRONMENT_FAULT = 1
#: The shell's code for a command stopped by Ctrl-C (128 + SIGINT).
INTERRUPTED = 130


class Stopped(Exception):
    """An experiment or a store command stopped: its one-line message and exit code."""

    exit_code = ENVIRONMENT_FAULT


class StoreFault(Stopped):
    """The store cannot be written or read (full disk, locked, read-only): exit code 1."""


class WorkersLost(Stopped):
    """Worker processes kept dying on the same chunks (exit code 1); the same command resumes."""


#: What SQLite's message says, and what the user can do about it (:func:`fault_message`).
FAULTS = (
    ("disk is full", "the disk is full", "free some space"),
    ("locked", "another process holds its write lock", "wait for it to finish or stop it"),
    ("busy", "another process holds its write lock", "wait for it to finish or stop it"),
    ("readonly", "it is read-only", "make it and its folder writable, or use another --store"),
    ("read-only", "it is read-only", "make it and its folder writable, or use another --store"),
    ("unable to open", "it cannot be opened", "check that its folder exists and is writable"),
    ("disk i/o", "the disk failed to read or write it", "check the disk"),
)


def environmental(error: sqlite3.Error) -> bool:
    """Whether a SQLite error is the machine's doing (disk, lock, permissions), not the file's."""
    text = str(error).lower()
    return any(words in text for words, _, _ in FAULTS)


def fault_message(path: Path | None, error: sqlite3.Error, kept: str = "") -> str:
    """One line: which store, what went wrong, what to do, and what is ``kept``.

    ``kept`` is e.g. "3 of 9 runs are kept in S; the same command resumes".
    """
    text = str(error).lower()
    what, todo = next(((w, t) for words, w, t in FAULTS if words in text), (str(error), ""))
    where = "the in-memory store" if path is None else f"store {path}"
    parts = [f"{where}: {what} ({str(error)[:80]})", todo, kept]
    return "; ".join(part for part in parts if part)
