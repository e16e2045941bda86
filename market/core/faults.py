"""Faults that stop an experiment without a traceback: one line, an exit code, nothing lost.

A user's mistake is a :class:`market.core.errors.UserInputError` (exit code 2). What is
raised here is the machine's doing, not the user's: the disk filled up, another process holds
the store, the store is read-only, a worker process was killed again and again (exit code 1),
or Ctrl-C (exit code 130, :class:`market.core.experiments.ExperimentInterrupted`). Each says
what finished and how to go on; whatever finished stays in the store.
"""

from __future__ import annotations

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
