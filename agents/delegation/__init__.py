"""Agents of the delegation game: the user/platform, the providers and their strategies.

:data:`STRATEGIES` is the registry of provider strategies (Table 1 of Cao et al. 2026 and the
better-response rule), reached as ``agents.delegation:STRATEGIES`` like every game's.
"""

from agents.delegation.strategies import STRATEGIES

__all__ = ["STRATEGIES"]
