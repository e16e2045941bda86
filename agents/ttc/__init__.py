"""Agents of the test-time compute market: strategies, simulated users and the Mesa agent."""

from agents.ttc.agents import TTCProvider
from agents.ttc.strategies import (
    BIDDING_STRATEGIES,
    STRATEGIES,
    BestResponse,
    BiddingStrategy,
    FixedLevel,
    FixedLevelBid,
    MaximumCompute,
    NearestImprovingMove,
    PriceFactorBid,
    ProviderStrategy,
    RandomImprovingMove,
    SociallyOptimalLevel,
    TruthfulBid,
    TTCStrategy,
    make_bidding_strategy,
    make_provider_strategy,
)
from agents.ttc.users import UserPopulation, log_mean_exp

__all__ = [
    "BIDDING_STRATEGIES",
    "STRATEGIES",
    "BestResponse",
    "BiddingStrategy",
    "FixedLevel",
    "FixedLevelBid",
    "MaximumCompute",
    "NearestImprovingMove",
    "PriceFactorBid",
    "ProviderStrategy",
    "RandomImprovingMove",
    "SociallyOptimalLevel",
    "TTCProvider",
    "TTCStrategy",
    "TruthfulBid",
    "UserPopulation",
    "log_mean_exp",
    "make_bidding_strategy",
    "make_provider_strategy",
]
