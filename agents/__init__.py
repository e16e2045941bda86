"""Agents of the markets: the user/platform and strategic providers, with their strategy classes."""
