"""Agents of the test-time compute market: provider strategies, bidders and users."""

from agents.ttc.strategies import *  # noqa: F403
