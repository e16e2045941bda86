"""Agents of the delegation game: the user/platform, the providers and their strategies."""
