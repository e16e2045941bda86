"""The rules of the ROSA game (Patra et al. 2026, reconstructed).

Thm. 2's known-quality optimal reverse auction, ROSA's resampling and payments (Def. 4), and the
learners (allocation rules) in a registry.
"""

from mechanisms.rosa.auction import CostDistribution, optimal_reverse_auction
from mechanisms.rosa.learners import LEARNERS, make_learner
from mechanisms.rosa.resampling import MECHANISMS, default_mu

__all__ = [
    "LEARNERS",
    "MECHANISMS",
    "CostDistribution",
    "default_mu",
    "make_learner",
    "optimal_reverse_auction",
]
