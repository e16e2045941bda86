"""The reputation market's economics: margins, routing shares and when honesty pays.

With price p, costs c_H > c_L and K providers, a provider's profit in a round is the queries it
is routed times its margin (p - c_H honest, p - c_L cheap). Uniform routing gives everyone N/K
queries whatever they serve, so cheap service earns (c_H - c_L) N / K more each round.
Routing by rating rank gives the best-rated provider a leader's share (1 - eps) + eps / K and
everyone else the explorer's share eps / K. Once ratings tell the services apart, a lone
honest provider leads, and honesty pays from then on when

    ((1 - eps) + eps / K) (p - c_H)  >  (eps / K) (p - c_L)            (honesty is rewarded)

and the explorers' ratings separate the qualities in one round, each of at least eps N / K
ratings of noise sigma:

    q_H - q_L  >  SEPARATION * sigma / sqrt(eps N / K)                   (ratings separate)

In the first round every provider is at the prior rating (a tie: equal shares), so the honest
provider first loses (c_H - c_L) N / K against each cheap one; it catches up after
:func:`rounds_for_honesty_to_pay` rounds.

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

import math

#: Standard errors between the two qualities for "the ratings separate" (a miss ~1e-9).
SEPARATION = 6.0


def margins(scenario, honest):
    """Each provider's profit per query: p - c_H if it serves honestly, else p - c_L."""
    import numpy as np

    cost = np.where(honest, scenario.honest_cost, scenario.cheap_cost)
    return scenario.price - cost


def leader_share(exploration: float, providers: int, leaders: int = 1) -> float:
    """The share of queries each of ``leaders`` tied best-rated providers gets under ranking."""
    return (1.0 - exploration) / leaders + exploration / providers


def explorer_share(exploration: float, providers: int) -> float:
    """The share of queries a provider that does not lead gets under ranking."""
    return exploration / providers


def honesty_rewarded(scenario) -> bool:
    """Whether a lone honest leader earns more per round than a cheap explorer."""
    honest = leader_share(scenario.exploration, scenario.providers) * (
        scenario.price - scenario.honest_cost
    )
    cheap = explorer_share(scenario.exploration, scenario.providers) * (
        scenario.price - scenario.cheap_cost
    )
    return honest > cheap


def ratings_separate(scenario) -> bool:
    """Whether one round of the explorers' ratings tells the two qualities apart."""
    ratings = scenario.exploration * scenario.queries / scenario.providers
    if ratings <= 0:
        return False
    gap = scenario.honest_quality - scenario.cheap_quality
    return gap > SEPARATION * scenario.rating_noise / math.sqrt(ratings)


def rounds_for_honesty_to_pay(scenario) -> int | None:
    """Rounds after which a lone honest provider has out-earned every cheap one (None: never).

    Round one is a tie at the prior rating (the honest provider loses (c_H - c_L) N / K);
    every round after gains the leader's profit minus the explorer's.
    """
    if not (honesty_rewarded(scenario) and ratings_separate(scenario)):
        return None
    k, n, eps = scenario.providers, scenario.queries, scenario.exploration
    first_loss = (scenario.honest_cost - scenario.cheap_cost) * n / k
    gain = n * (
        leader_share(eps, k) * (scenario.price - scenario.honest_cost)
        - explorer_share(eps, k) * (scenario.price - scenario.cheap_cost)
    )
    return 1 + math.floor(first_loss / gain) + 1
