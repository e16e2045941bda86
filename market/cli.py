"""The ``llm-market`` command line: one sub-command per game.

Each game registers its own sub-commands (``market.delegation_cli``, ``market.ttc_cli``);
this module only dispatches and turns user mistakes into one line and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from market.errors import UserInputError


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str):
        """Report a usage mistake in one line (sub-parsers inherit this class)."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every game's sub-commands."""
    from market import delegation_cli, ttc_cli

    parser = OneLineParser(
        prog="llm-market",
        description="Agent-based simulator of markets for LLM services.",
    )
    games = parser.add_subparsers(dest="game", required=True, metavar="GAME")
    delegation_cli.register(games)
    ttc_cli.register(games)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (2 for a user mistake)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserInputError as error:
        print(f"llm-market: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
