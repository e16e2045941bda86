"""The games of llm-market, as the CLI and the dashboard see them (in menu order)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

from market.core import cli
from market.delegation import GAME as DELEGATION
from market.rosa import GAME as ROSA
from market.ttc import GAME as TTC

GAMES = (DELEGATION, TTC, ROSA)


#: Every command module, imported only when one of its commands runs (fast ``--help``).
COMMANDS = (
    *(cli.LazyCommands(game.cli_path, ((game.name, game.title),)) for game in GAMES),
    cli.LazyCommands(
        "market.experiment_cli",
        (
            ("experiment", "run a grid of runs from a TOML file, kept in a store (resumable)"),
            ("results", "list, filter and export what an experiment store holds"),
        ),
    ),
    cli.LazyCommands("market.dashboard", (("dashboard", "serve the interactive dashboard"),)),
)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``llm-market`` console script; returns the exit code (2 for a user mistake)."""
    from market.core.experiments import package_version

    return cli.run(COMMANDS, argv, version=package_version())


def console() -> None:
    """The ``llm-market`` console script and ``python -m market``: :func:`main`, then exit.

    The collector is frozen before the interpreter shuts down: everything the command imported
    (numpy, pandas, Mesa, matplotlib: about a million objects) lives until the process ends, and
    the shutdown's last collections would otherwise walk all of it, about 0.25 s after a sweep
    on the 2-core machine, to free memory the operating system takes back anyway.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console()
