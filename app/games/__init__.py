"""Adapters between the games and their pages (one module per game)."""
