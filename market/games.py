"""The games of llm-market, as the CLI and the dashboard see them (in menu order)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from market.core import cli
from market.delegation import GAME as DELEGATION
from market.rosa import GAME as ROSA
from market.ttc import GAME as TTC

GAMES = (DELEGATION, TTC, ROSA)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``llm-market`` console script; returns the exit code (2 for a user mistake)."""
    from market import dashboard

    return cli.run([*(game.cli for game in GAMES), dashboard], argv)


if __name__ == "__main__":
    sys.exit(main())
