"""How long a horizon a delegation market needs: checked before a run starts.

Mechanism 1 spends ``K B`` queries on exploration and ``(5K + 2R/(p_min L) + sum delta) B`` in
its slack before an exploitation phase can start (line 11); with a short T, a small eps or
small ``p L`` there is none, and a run would only explore. :func:`check_horizon` refuses such a
T up front, naming the smallest T that works.

References:
    Cao et al. (2026), Mechanism 1, lines 2 and 11; ``shared/specs/delegation.md`` section 4.
"""

from __future__ import annotations

from dataclasses import replace

from market.core.errors import UserInputError
from mechanisms.delegation import DelegationMechanism, DelegationParams

#: The largest horizon a run accepts: the query ids are drawn up front, 8 bytes each.
MAX_QUERIES = 100_000_000


def truthful_means(economy) -> list[tuple[float, float]]:
    """(mean reward, mean length) of each provider's truthful model: honest exploration."""
    return [
        (p.mean_reward[p.truthful_model], p.mean_length[p.truthful_model])
        for p in economy.providers
    ]


def has_exploitation_phase(mechanism_cls, params: DelegationParams, typical) -> bool:
    """Whether honest exploration (with mean reward/length ``typical``) leaves ``T_R > 0``."""
    mechanism = mechanism_cls(params)
    return params.K * mechanism.B < params.T and mechanism.horizon_check(typical) > 0


def smallest_horizon(mechanism_cls, params: DelegationParams, typical) -> int | None:
    """About the smallest T with an exploitation phase (doubling, then bisection)."""
    low, high = params.T, max(2 * params.T, 2)
    while not has_exploitation_phase(mechanism_cls, replace(params, T=high), typical):
        low, high = high, 2 * high
        if high > MAX_QUERIES:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        fits = has_exploitation_phase(mechanism_cls, replace(params, T=middle), typical)
        low, high = (low, middle) if fits else (middle, high)
    return high


def check_horizon(mechanism: DelegationMechanism, economy) -> None:
    """Reject a T too large to draw, or so small that honest play leaves no exploitation."""
    params = mechanism.params
    if params.T > MAX_QUERIES:
        raise UserInputError(
            "T",
            f"at most {MAX_QUERIES:,} queries (query ids are drawn up front, 8 bytes each)",
            params.T,
        )
    typical = truthful_means(economy)
    if has_exploitation_phase(type(mechanism), params, typical):
        return
    smallest = smallest_horizon(type(mechanism), params, typical)
    hint = f"; T >= {smallest:,} works" if smallest else "; no T up to the limit works"
    raise UserInputError(
        "T",
        f"a horizon long enough for an exploitation phase under {mechanism.name} "
        f"with eps={params.eps} (B = {mechanism.B} queries per provider to explore{hint})",
        params.T,
    )
