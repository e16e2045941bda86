"""How long a horizon a delegation market needs: planned, and checked before a run starts.

Mechanism 1 spends ``K B`` queries on exploration and reserves ``(5K + 2R/(p_min L) + sum
delta) B`` more (line 11) before an exploitation phase can start; the artifact reserves
``((delta1 + 3) K + ln R + delta3) B``. With a short T, a large eps (``B = T^(2 eps)``) or a
small ``p L`` nothing is left, and a run would only explore. :func:`horizon_plan` works out B, M,
the reserve term by term, ``T_R`` and the phase lengths for honest play (what ``llm-market
delegation plan`` prints); :func:`check_horizon` refuses a T without an exploitation phase,
naming the term that dominates, the smallest T that works at this eps, the largest eps that
works at this T, and whether a larger ``max_length`` would help.

References:
    Cao et al. (2026), Mechanism 1, lines 2 and 11; ``docs/delegation-variant.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from market.core.errors import UserInputError
from market.core.results import ResultMixin
from mechanisms.delegation import DelegationMechanism, DelegationParams

#: The largest horizon a run accepts: the query ids are drawn up front, 8 bytes each.
MAX_QUERIES = 100_000_000
#: How far the searches for a T or an L that works look (beyond MAX_QUERIES for advice).
SEARCH_LIMIT = 10**15


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


def smallest_horizon(
    mechanism_cls, params: DelegationParams, typical, limit: int = SEARCH_LIMIT
) -> int | None:
    """The smallest T above ``params.T`` with an exploitation phase (doubling, then bisection).

    None when even ``limit`` queries are not enough (eps too close to 1/2, or no T at all).
    """
    return smallest_passing(mechanism_cls, params, typical, "T", limit)


def smallest_passing(mechanism_cls, params: DelegationParams, typical, field: str, limit: int):
    """The smallest value of the integer ``field`` above its current one leaving ``T_R > 0``.

    Found by doubling, then bisection; None once the doubling passes ``limit``.
    """

    def fits(value: int) -> bool:
        return has_exploitation_phase(mechanism_cls, replace(params, **{field: value}), typical)

    low = getattr(params, field)
    high = max(2 * low, 2)
    while not fits(high):
        low, high = high, 2 * high
        if high > limit:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if fits(middle) else (middle, high)
    return high


def largest_eps(mechanism_cls, params: DelegationParams, typical) -> float | None:
    """About the largest eps (to 3 decimals, below ``params.eps``) that leaves ``T_R > 0``.

    A smaller eps means a smaller B, so a smaller reserve; None when even eps = 0.001 fails.
    """
    low, high = 0.001, params.eps
    if not has_exploitation_phase(mechanism_cls, replace(params, eps=low), typical):
        return None
    while high - low > 5e-4:
        middle = (low + high) / 2
        fits = has_exploitation_phase(mechanism_cls, replace(params, eps=middle), typical)
        low, high = (middle, high) if fits else (low, middle)
    return round(low - 5e-4, 3) if low > 0.0015 else low


def smallest_length_bound(mechanism_cls, params: DelegationParams, typical) -> int | None:
    """The smallest ``L = max_length`` above the current one that leaves ``T_R > 0``.

    Only the paper's ``2R/(p_min L)`` and ``delta_i`` terms shrink with L; None when no L up
    to :data:`SEARCH_LIMIT` works.
    """
    return smallest_passing(mechanism_cls, params, typical, "max_length", SEARCH_LIMIT)


@dataclass(frozen=True)
class HorizonPlan(ResultMixin):
    """What a market needs, planned for honest play before any query is served.

    Attributes:
        mechanism: the mechanism's registry name.
        T: the horizon.
        eps: epsilon.
        K: number of providers.
        B: ``floor(T^(2 eps))``, queries per provider in exploration.
        M: ``T^(-eps) ln(K T)``, the confidence radius.
        max_length: ``L``.
        min_price: the cheapest provider price per token ``p_min`` (USD per token).
        reserve: the terms that ``T_R`` reserves, ``(name, coefficient, queries)`` with
            ``queries = coefficient x B``; empty for a mechanism without such a reserve.
        T_R: the exploitation length when every provider explores honestly.
        phases: expected queries per phase under honest play (blind trust II at its mean).
        works: whether there is an exploitation phase (``T_R > 0``).
        smallest_T: the smallest T with an exploitation phase at this eps (None: none below
            :data:`SEARCH_LIMIT`); equals T when T works and a smaller T would not.
        largest_eps: the largest eps that works at this T (None: none; only computed when
            T does not work).
        smallest_max_length: the smallest L that works at this T and eps (None: none, or not
            computed because T works).
    """

    mechanism: str
    T: int
    eps: float
    K: int
    B: int
    M: float
    max_length: int
    min_price: float
    reserve: tuple[tuple[str, float, float], ...]
    T_R: int
    phases: tuple[tuple[str, float], ...]
    works: bool
    smallest_T: int | None
    largest_eps: float | None = None
    smallest_max_length: int | None = None

    @property
    def exploration(self) -> int:
        """``K B``: the exploration phase."""
        return self.K * self.B

    @property
    def dominant_term(self) -> str | None:
        """The name of the reserve's largest term (None without a reserve)."""
        if not self.reserve:
            return None
        return max(self.reserve, key=lambda term: term[2])[0]

    def json_record(self) -> dict:
        """The CLI's ``plan --json`` object (reserve and phases as objects, derived values)."""
        values = asdict(self)
        values["reserve"] = [
            {"term": name, "coefficient": c, "queries": q} for name, c, q in self.reserve
        ]
        values["phases"] = [{"name": n, "expected_length": q} for n, q in self.phases]
        values["exploration"] = self.exploration
        values["dominant_term"] = self.dominant_term
        return values

    def to_frame(self):
        """One row per phase: its expected queries under honest play (a DataFrame)."""
        import pandas as pd  # lazily: the pricing of a command imports this module

        return pd.DataFrame(self.phases, columns=["phase", "expected_queries"]).assign(
            mechanism=self.mechanism, T=self.T, eps=self.eps
        )

    def summary(self) -> str:
        """Whether the horizon leaves an exploitation phase, and how long."""
        verdict = "works" if self.works else f"too short (smallest T: {self.smallest_T})"
        return (
            f"{self.mechanism}, T={self.T} queries, eps={self.eps}: B={self.B} queries per "
            f"provider, T_R={self.T_R} queries of exploitation; {verdict}"
        )


def horizon_plan(mechanism: DelegationMechanism, economy, advise: bool = True) -> HorizonPlan:
    """B, M, the reserve term by term, ``T_R`` and phase lengths for honest play.

    With ``advise`` and no exploitation phase, also the largest eps and the smallest L that
    would give one (the smallest T is always searched).
    """
    params, cls = mechanism.params, type(mechanism)
    typical = truthful_means(economy)
    works = has_exploitation_phase(cls, params, typical)
    smallest = params.T if works else smallest_horizon(cls, params, typical)
    plan = HorizonPlan(
        mechanism=mechanism.name,
        T=params.T,
        eps=params.eps,
        K=params.K,
        B=mechanism.B,
        M=mechanism.M,
        max_length=params.max_length,
        min_price=min(params.prices),
        reserve=tuple(
            (name, float(c), float(c * mechanism.B)) for name, c in mechanism.slack_terms(typical)
        ),
        T_R=mechanism.horizon_check(typical),
        phases=tuple(mechanism.honest_phase_lengths(typical).items()),
        works=works,
        smallest_T=smallest,
    )
    if works or not advise:
        return plan
    return replace(
        plan,
        largest_eps=largest_eps(cls, params, typical),
        smallest_max_length=smallest_length_bound(cls, params, typical),
    )


def shortfall_advice(plan: HorizonPlan) -> str:
    """Why a plan has no exploitation phase and what would give it one, in one line."""
    parts = []
    if plan.reserve:
        name, coefficient, queries = max(plan.reserve, key=lambda term: term[2])
        total = sum(q for _, _, q in plan.reserve)
        parts.append(
            f"T_R reserves {total:,.0f} queries, {queries:,.0f} of them for {name} "
            f"= {coefficient:,.4g} x B"
        )
    if plan.smallest_T is None:
        parts.append(f"no T works at eps={plan.eps}")
    elif plan.smallest_T > MAX_QUERIES:
        parts.append(
            f"T >= {plan.smallest_T:,} would work at eps={plan.eps} "
            f"(above the {MAX_QUERIES:,}-query limit)"
        )
    else:
        parts.append(f"T >= {plan.smallest_T:,} works at eps={plan.eps}")
    if plan.largest_eps is not None:
        parts.append(f"eps <= {plan.largest_eps:g} works at T={plan.T:,}")
    if plan.smallest_max_length is not None and plan.smallest_max_length != plan.max_length:
        parts.append(
            f"max_length (L, the longest output a provider may bill; now {plan.max_length:,}) "
            f">= {plan.smallest_max_length:,} works"
        )
    if plan.mechanism == "second-best":
        parts.append("or try mechanism second-best-artifact (its reserve has no 2R/(p_min L))")
    return "; ".join(parts)


def check_horizon(mechanism: DelegationMechanism, economy) -> None:
    """Reject a T too large to draw, or so small that honest play leaves no exploitation."""
    params = mechanism.params
    if params.T > MAX_QUERIES:
        raise UserInputError(
            "T",
            f"at most {MAX_QUERIES:,} queries (query ids are drawn up front, 8 bytes each)",
            params.T,
        )
    if has_exploitation_phase(type(mechanism), params, truthful_means(economy)):
        return
    plan = horizon_plan(mechanism, economy)
    raise UserInputError(
        "T",
        f"a horizon long enough for an exploitation phase under {mechanism.name} "
        f"with eps={params.eps} (B = {mechanism.B:,} queries per provider to explore)",
        params.T,
        note=shortfall_advice(plan),
    )
