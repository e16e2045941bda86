"""Tidy tables of a strategy sweep and their aggregations (the paper's Figures 2 and 3).

References:
    Cao et al. (2026), Section 6, Figures 2-3.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pandas as pd

from agents.delegation.strategies import STRATEGIES, paper_strategy_names
from market.core.errors import UserInputError

LEADER_STRATEGY = "ours"
PROFILE_SEPARATOR = "|"
PROFILE_COLUMNS = (
    "profile",
    "seed",
    "provider",
    "strategy",
    "provider_utility",
    "user_utility",
    "delegations",
)
SUMMARY_COLUMNS = ("provider", "strategy", "provider_utility", "user_utility", "delegations")


def strategy_profiles(
    n_providers: int, strategies: Sequence[str] | None = None
) -> list[tuple[str, ...]]:
    """Every assignment of a strategy to each provider (``len(strategies) ** n_providers``).

    Ordered lexicographically in the order given, provider 1 varying slowest. By default the
    paper's six strategies (Table 1, :func:`~agents.delegation.strategies.paper_strategy_names`);
    a strategy registered from outside the package takes part only when named.

    Args:
        n_providers: How many providers (K); there are ``len(strategies) ** K`` profiles.
        strategies: Registered strategy names (None: the paper's six).

    Raises:
        UserInputError: an unknown strategy name (the message lists the registered ones).
    """
    names = tuple(strategies) if strategies is not None else tuple(paper_strategy_names())
    for name in names:
        STRATEGIES.get(name, field="strategies")
    return list(itertools.product(names, repeat=n_providers))


def strategy_set(strategies, field: str = "strategies") -> list[str] | None:
    """The strategies a sweep enumerates, from a list or ``"a,b,c"`` text (None: not given).

    Each must be registered and named once (``--strategies`` of ``delegation sweep`` and
    ``metagame``; :func:`strategy_profiles` plays the paper's six when None).

    Raises:
        UserInputError: an unknown name (listing the registered ones) or a name twice.
    """
    if strategies is None:
        return None
    text = strategies if isinstance(strategies, str) else ",".join(strategies)
    names = [name.strip() for name in text.split(",")]
    for name in names:
        STRATEGIES.get(name, field=field)
    if len(set(names)) < len(names):
        raise UserInputError(field, "each strategy named once", strategies)
    return names


def profile_label(strategies: Sequence[str]) -> str:
    """A profile's name in tables: the strategies of providers 1..K joined by ``|``."""
    return PROFILE_SEPARATOR.join(strategies)


def strategy_means(profiles: pd.DataFrame) -> pd.DataFrame:
    """Figure 2's aggregation for every provider.

    For each provider (from 1) and strategy it plays: the mean, over all profiles of the other
    providers and all seeds, of its provider utility, the user utility it delivered and its
    delegations. Strategies in registry order.
    """
    means = (
        profiles.groupby(["provider", "strategy"], sort=False)[
            ["provider_utility", "user_utility", "delegations"]
        ]
        .mean()
        .reset_index()
    )
    means["delegations"] = means["delegations"].astype(float)
    return order_strategies(means)


def responses_to_leader(
    profiles: pd.DataFrame, leader: int = 1, leader_strategy: str = LEADER_STRATEGY
) -> pd.DataFrame:
    """Figure 3: providers other than ``leader`` by strategy, while ``leader`` plays "ours".

    Means over the profiles in which provider ``leader`` plays ``leader_strategy`` (and over
    seeds), per other provider and its strategy.
    """
    first = profiles["profile"].str.split(PROFILE_SEPARATOR, regex=False).str[leader - 1]
    led = profiles[(first == leader_strategy) & (profiles["provider"] != leader)]
    return strategy_means(led)


def order_strategies(table: pd.DataFrame) -> pd.DataFrame:
    """Sort by provider, then strategies in registry order (unknown names last)."""
    rank = {name: i for i, name in enumerate(STRATEGIES.names())}
    key = table["strategy"].map(lambda s: rank.get(s, len(rank)))
    ordered = table.assign(_rank=key).sort_values(["provider", "_rank", "strategy"], kind="stable")
    return ordered.drop(columns="_rank").reset_index(drop=True)[list(SUMMARY_COLUMNS)]
