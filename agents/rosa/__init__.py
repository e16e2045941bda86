"""Agents of the ROSA game: providers with private costs and bidding strategies, the platform."""

from agents.rosa.strategies import STRATEGIES

__all__ = ["STRATEGIES"]
