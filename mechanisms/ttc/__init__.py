"""The test-time compute game and its mechanisms (Velasco et al. 2026)."""

from mechanisms.ttc.game import *  # noqa: F403
