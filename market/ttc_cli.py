"""CLI for the test-time compute game (being built: see issue 3)."""

from __future__ import annotations

import argparse


def register(games: argparse._SubParsersAction) -> None:
    """Add the ``ttc`` sub-commands."""
    games.add_parser("ttc", help="test-time compute game (Velasco et al. 2026) - in progress")
