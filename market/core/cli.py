"""The ``llm-market`` command line: one sub-command per game, dispatched here.

Each game's thin CLI module (and any other command module, such as the dashboard's) has a
``register(subparsers)`` function that adds its commands, each with a ``handler(args) -> int``.
This module builds the parser from the modules it is given and turns every user mistake into
one line on stderr and exit code 2 (argparse usage errors and
:class:`~market.core.errors.UserInputError` alike).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import shlex
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from market.core.errors import UserInputError

INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C (128 + SIGINT)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str):
        """Report a usage mistake in one line (sub-parsers inherit this class)."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


@dataclass(frozen=True)
class LazyCommands:
    """A command module imported only when one of its commands is chosen.

    ``llm-market --help`` lists every command from these one-line helps without importing any
    game (numpy, pandas, Mesa and matplotlib stay unloaded: start-up in a few hundredths of a
    second); the chosen command's module is imported and registers its full parser.

    Attributes:
        path: the module's import path (it has ``register(subparsers)``).
        helps: each top-level command it adds, with its one-line help.
    """

    path: str
    helps: tuple[tuple[str, str], ...]

    def register(self, commands, chosen: str | None) -> None:
        """Register the real commands if ``chosen`` is one of ours, else placeholders."""
        if chosen in dict(self.helps):
            importlib.import_module(self.path).register(commands)
            return
        for name, text in self.helps:
            commands.add_parser(name, help=text)


@dataclass(frozen=True)
class RegisteredNames:
    """A registry's names, read only when a help text that shows them is printed.

    A help text says ``%(registered)s`` where the names go (argparse fills it from the
    option's attributes, :func:`registry_option`): building the parser imports no registry,
    and the names listed are the registry's at that moment, plugins included.

    Attributes:
        path: the registry's ``module:Name`` (``"agents.delegation.strategies:STRATEGIES"``).
    """

    path: str

    def __str__(self) -> str:
        from market.core.game import load

        return ", ".join(load(self.path).names())


def registry_option(parser: argparse.ArgumentParser, flag: str, path: str, **options):
    """Add ``flag`` whose help lists the names of the registry at ``path`` (``%(registered)s``).

    Args:
        parser: the (sub-)command's parser.
        flag: the option (``"--strategies"``).
        path: the registry's ``module:Name``.
        **options: ``add_argument``'s keywords; ``help`` says ``%(registered)s`` where the
            names go.
    """
    action = parser.add_argument(flag, **options)
    action.registered = RegisteredNames(path)
    return action


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a command imports its heavy modules.

    Importing pandas, Mesa and matplotlib makes about a million objects that live as long as the
    process; the collector would walk them again and again while they appear (about 0.1 s of a
    sweep's start-up on the 2-core machine). On leaving, what exists is frozen
    (:func:`gc.freeze`) before the collector is switched back on: its first collections would
    otherwise walk all of it at once (0.07 s of a sweep, right before its workers start), and
    neither this process nor those it forks afterwards walk it again. Only for a command's
    process: garbage made so far is kept to its end.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def chosen_command(argv: Sequence[str]) -> str | None:
    """The first word of ``argv`` that is not an option (the top-level command)."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(modules: Sequence, argv: Sequence[str] = (), version: str = "") -> OneLineParser:
    """The top-level parser with the sub-commands of every command module in ``modules``.

    ``modules`` are command modules (``register(subparsers)``) or :class:`LazyCommands`.
    """
    parser = OneLineParser(
        prog="llm-market",
        description="Agent-based simulator of markets for LLM services.",
    )
    if version:
        parser.add_argument("--version", action="version", version=f"llm-market {version}")
    commands = parser.add_subparsers(dest="game", required=True, metavar="COMMAND")
    chosen = chosen_command(argv)
    for module in modules:
        if isinstance(module, LazyCommands):
            module.register(commands, chosen)
        else:
            module.register(commands)
    return parser


def run(modules: Sequence, argv: Sequence[str] | None = None, version: str = "") -> int:
    """Parse ``argv`` and run the chosen command; returns the exit code (2: user mistake).

    Ctrl-C ends the command with one line on stderr and exit code 130, never a traceback
    (an experiment says what finished and how to resume).
    """
    from market.core.faults import Stopped

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(modules, argv, version)
    args = parser.parse_args(argv)
    args.command_line = shlex.join(["llm-market", *argv])
    try:
        return int(args.handler(args) or 0)
    except UserInputError as error:
        print(f"llm-market: error: {as_typed(error, typed_flags(parser, argv))}", file=sys.stderr)
        return 2
    except Stopped as stopped:  # Ctrl-C in an experiment (130), a full disk, lost workers (1)
        print(f"llm-market: {stopped}", file=sys.stderr)
        return stopped.exit_code
    except KeyboardInterrupt:
        print("llm-market: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        return 0


def typed_flags(parser: argparse.ArgumentParser, argv: Sequence[str]) -> dict[str, str]:
    """The options the user typed, by every name a message may give them.

    ``{"T-from": "--T-from", "T_from": "--T-from", "jobs": "--jobs", ...}``: the option without
    its dashes and its destination, for every option of the chosen command that is in ``argv``
    (as ``--flag value`` or ``--flag=value``).
    """
    words = {word.split("=", 1)[0] for word in argv if word.startswith("-")}
    flags: dict[str, str] = {}
    chosen = parser
    while chosen is not None:
        following = None
        for action in chosen._actions:
            if isinstance(action, argparse._SubParsersAction):
                following = next((action.choices[w] for w in argv if w in action.choices), None)
                continue
            for option in action.option_strings:
                if option in words:
                    flags[option.lstrip("-")] = option
                    flags[action.dest] = option
        chosen = following
    return flags


def as_typed(error: UserInputError, flags: dict[str, str]) -> UserInputError:
    """``error`` naming the option as the user typed it (``seed`` -> ``--seed``)."""
    flag = flags.get(error.field)
    if flag is None:
        return error
    return UserInputError(flag, error.expected, error.given, note=error.note)


def engine_options(parser: argparse.ArgumentParser, jobs: bool = True) -> None:
    """``--store``, ``--executor``, ``--jobs`` (unless the command has it) and ``--scheduler``."""
    parser.add_argument(
        "--store",
        default=None,
        help="keep every finished run in this SQLite file; the same command again resumes "
        "and writes the same outputs (default: nothing kept)",
    )
    parser.add_argument(
        "--executor", default="local", help="local (processes, default) or dask (llm-market[dask])"
    )
    if jobs:
        parser.add_argument("--jobs", default=None, help="workers (default: the number of cores)")
    parser.add_argument(
        "--scheduler",
        default=None,
        help="a Dask scheduler's address (with --executor dask; default: a local cluster)",
    )


def engine_from_args(args: argparse.Namespace, progress: bool = False):
    """The :class:`~market.core.engine.Engine` of a command, read and checked from its options.

    ``--jobs`` defaults to the cores available (a warning above them); ``--store``,
    ``--executor`` and ``--scheduler`` as typed; the resume hint is the command line. A
    mistake names the flag as the user typed it (:func:`as_typed`).

    Args:
        args: the parsed options (:func:`engine_options` added them).
        progress: show a progress bar (the caller knows whether stderr is a terminal).
    """
    from market.core.engine import Engine
    from market.core.executors import check_jobs, default_jobs

    try:
        engine = Engine(
            store=args.store,
            executor=args.executor,
            jobs=default_jobs() if args.jobs is None else args.jobs,
            scheduler=args.scheduler,
            progress=progress,
            resume_hint=getattr(args, "command_line", ""),
        )
    except UserInputError as error:  # --jobs is named even when typed abbreviated
        if error.field != "jobs":
            raise
        raise UserInputError("--jobs", error.expected, error.given, note=error.note) from None
    check_jobs(engine.jobs, engine.executor)
    return engine
