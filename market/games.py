"""The games of llm-market, as the CLI and the dashboard see them (in menu order).

The three shipped games come first (:data:`BUILTIN_GAMES`); an installed package adds a game
with one entry point in the group ``llm_market.games`` naming its
:class:`~market.core.game.GameDescription`, the line's name being the game's::

    [project.entry-points."llm_market.games"]
    reputation = "llm_market_reputation:GAME"

:data:`GAMES` reads that group on its first lookup, listing or iteration (never at import),
like every registry of :mod:`market.core.plugins`: a game that cannot be loaded, is not a
``GameDescription``, is named differently from its line or takes a shipped game's name is
skipped with one :class:`~market.core.plugins.PluginWarning`. ``llm-market --help`` lists a
plugin game's command from its entry point alone, importing none of its code; the command
imports the game's CLI when it is chosen.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from market.core import cli, plugins
from market.core.game import GameDescription
from market.core.registry import Registry
from market.delegation import GAME as DELEGATION
from market.rosa import GAME as ROSA
from market.ttc import GAME as TTC

#: The entry-point group of games added by installed packages.
GAMES_GROUP = f"{plugins.GROUP_PREFIX}.games"
#: The games llm-market ships, in menu order.
BUILTIN_GAMES: tuple[GameDescription, ...] = (DELEGATION, TTC, ROSA)
#: Every game: the shipped ones, then those of installed packages (read on first use).
GAMES: Registry[GameDescription] = Registry("game", group=GAMES_GROUP)
for _game in BUILTIN_GAMES:
    GAMES.register(_game)


@dataclass(frozen=True)
class PluginGameCommands(cli.LazyCommands):
    """The command of a game added by an installed package (its entry point's name).

    ``--help`` lists it from the entry point alone; chosen, the game's description is loaded
    through :data:`GAMES` (a broken one is a warning, and the command is then unknown) and its
    CLI module registers the real command.
    """

    def register(self, commands, chosen: str | None) -> None:
        """Register the game's real command if it is chosen, else a placeholder."""
        ((name, text),) = self.helps
        if chosen != name:
            commands.add_parser(name, help=text)
        elif name in GAMES:
            importlib.import_module(GAMES.get(name).cli_path).register(commands)


def plugin_game_commands() -> list[PluginGameCommands]:
    """One command per name of the installed game plugins, but shipped games' (none if disabled)."""
    if plugins.autoload_disabled():
        return []
    taken = {game.name for game in BUILTIN_GAMES}
    found = []
    for ep in plugins.group_entry_points(GAMES_GROUP):
        if ep.name not in taken:  # a second line of one name: GAMES says which one loads
            taken.add(ep.name)
            found.append(PluginGameCommands("", ((ep.name, plugin_game_help(ep)),)))
    return found


def plugin_game_help(entry_point) -> str:
    """A plugin game's one-line help, from its entry point (its code is not imported)."""
    dist = plugins.distribution_name(entry_point)
    return f"the {entry_point.name} game" + (f" (added by {dist})" if dist else "")


def commands() -> tuple[cli.LazyCommands, ...]:
    """Every command module, imported only when one of its commands runs (fast ``--help``).

    Built per call: a game installed since the last call has its command.
    """
    return (
        *(cli.LazyCommands(game.cli_path, ((game.name, game.title),)) for game in BUILTIN_GAMES),
        *plugin_game_commands(),
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

    return cli.run(commands(), argv, version=package_version())


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
