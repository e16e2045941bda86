"""The rules of the delegation game (Cao et al. 2026): Mechanism 1 and its peers."""

from mechanisms.delegation.rules import *  # noqa: F403
from mechanisms.delegation.rules import MECHANISMS  # noqa: F401
