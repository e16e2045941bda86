"""``python -m market`` runs the CLI."""

from market.games import console

console()
