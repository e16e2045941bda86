"""The ``llm-market`` command line: one sub-command per game, dispatched here.

Each game's thin CLI module (and any other command module, such as the dashboard's) has a
``register(subparsers)`` function that adds its commands, each with a ``handler(args) -> int``.
This module builds the parser from the modules it is given and turns every user mistake into
one line on stderr and exit code 2 (argparse usage errors and
:class:`~market.core.errors.UserInputError` alike).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from market.core.errors import UserInputError


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
    """Parse ``argv`` and run the chosen command; returns the exit code (2: user mistake)."""
    args = build_parser(modules).parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserInputError as error:
        print(f"llm-market: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
