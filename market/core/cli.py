"""The ``llm-market`` command line: one sub-command per game, dispatched here.

Each game's thin CLI module (and any other command module, such as the dashboard's) has a
``register(subparsers)`` function that adds its commands, each with a ``handler(args) -> int``.
This module builds the parser from the modules it is given and turns every user mistake into
one line on stderr and exit code 2 (argparse usage errors and
:class:`~market.core.errors.UserInputError` alike).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence

from market.core.errors import UserInputError

INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C (128 + SIGINT)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str):
        """Report a usage mistake in one line (sub-parsers inherit this class)."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(modules: Sequence) -> argparse.ArgumentParser:
    """The top-level parser with the sub-commands of every command module in ``modules``."""
    parser = OneLineParser(
        prog="llm-market",
        description="Agent-based simulator of markets for LLM services.",
    )
    commands = parser.add_subparsers(dest="game", required=True, metavar="GAME")
    for module in modules:
        module.register(commands)
    return parser


def run(modules: Sequence, argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the exit code (2: user mistake).

    Ctrl-C ends the command with one line on stderr and exit code 130, never a traceback
    (an experiment says what finished and how to resume).
    """
    from market.core.experiments import ExperimentInterrupted

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(modules).parse_args(argv)
    args.command_line = shlex.join(["llm-market", *argv])
    try:
        return int(args.handler(args) or 0)
    except UserInputError as error:
        print(f"llm-market: error: {error}", file=sys.stderr)
        return 2
    except ExperimentInterrupted as stopped:
        print(f"llm-market: {stopped}", file=sys.stderr)
        return INTERRUPTED
    except KeyboardInterrupt:
        print("llm-market: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        return 0


def engine_options(parser: argparse.ArgumentParser, jobs_help: str = "") -> None:
    """``--store``, ``--executor``, ``--jobs`` and ``--scheduler`` of a command on the engine."""
    parser.add_argument(
        "--store",
        default=None,
        help="keep every finished run in this SQLite file; the same command again resumes "
        "and writes the same outputs (default: nothing kept)",
    )
    parser.add_argument(
        "--executor", default="local", help="local (processes, default) or dask (llm-market[dask])"
    )
    parser.add_argument(
        "--jobs", default=None, help=jobs_help or "workers (default: the number of cores)"
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        help="a Dask scheduler's address (with --executor dask; default: a local cluster)",
    )


def engine_settings(args: argparse.Namespace) -> dict:
    """The engine keywords of the runs functions, read and checked from the options."""
    from market.core.executors import check_executor, check_jobs, default_jobs
    from market.core.store import store_path
    from market.core.values import count

    executor = check_executor(args.executor, args.scheduler)
    jobs = default_jobs() if args.jobs is None else count(args.jobs, "jobs")
    return {
        "store": None if args.store is None else store_path(args.store),
        "executor": executor,
        "jobs": check_jobs(jobs, executor),
        "scheduler": args.scheduler,
        "resume_hint": getattr(args, "command_line", ""),
    }
