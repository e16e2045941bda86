"""What delegation runs produce, as typed records (:mod:`market.core.results` protocol).

Each record answers ``to_dict()`` (its own fields), ``to_frame()`` and ``summary()``; a run's
CLI JSON is :meth:`DelegationResult.json_record` (phases as objects, the chosen provider
numbered from 1).

References:
    Cao et al. (2026), Section 3.2 (u_FB, u_SB), Mechanism 1 (B, M, T_R, threshold, u'),
    Section 6 and Figures 2-4 (sweeps).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from market.core.results import ResultMixin, number


@dataclass(frozen=True)
class ProviderResult(ResultMixin):
    """One provider's totals at the end of a run (utilities in the data's reward units)."""

    name: str
    strategy: str
    provider_utility: float
    user_utility: float
    delegations: int

    def summary(self) -> str:
        """E.g. ``A (ours): 120 queries, provider utility 3.2, user utility 80``."""
        return (
            f"{self.name} ({self.strategy}): {self.delegations} queries, provider utility "
            f"{number(self.provider_utility)}, user utility {number(self.user_utility)}"
        )


@dataclass(frozen=True)
class DelegationResult(ResultMixin):
    """What a run produced (utilities in the data's reward units, ``T`` in queries).

    Providers are numbered from 1 (``chosen``, the exploited provider i*, is ``Provider
    chosen``, i.e. ``providers[chosen - 1]``), as in the CLI, the JSON and the dashboard.
    """

    scenario: str
    mechanism: str
    seed: int | None
    T: int
    eps: float
    queries_used: int
    user_utility: float
    u_sb: float
    u_fb: float
    validated: bool | None
    phases: tuple[tuple[str, int], ...]
    providers: tuple[ProviderResult, ...]
    B: int
    M: float
    T_R: int | None
    threshold: float | None
    u_prime: float | None
    chosen: int | None  # i*, numbered from 1 (None before exploitation)
    max_length: int
    data_notes: tuple[str, ...]

    def json_record(self) -> dict:
        """The CLI's ``--json`` object (phases as {name, length}; ``chosen_provider`` from 1)."""
        return {
            "scenario": self.scenario,
            "mechanism": self.mechanism,
            "seed": self.seed,
            "T": self.T,
            "eps": self.eps,
            "queries_used": self.queries_used,
            "queries_unused": self.T - self.queries_used,
            "user_utility": self.user_utility,
            "u_sb": self.u_sb,
            "u_fb": self.u_fb,
            "validated": self.validated,
            "phases": [{"name": n, "length": length} for n, length in self.phases],
            "providers": [asdict(p) for p in self.providers],
            "B": self.B,
            "M": self.M,
            "T_R": self.T_R,
            "threshold": self.threshold,
            "u_prime": self.u_prime,
            "chosen_provider": self.chosen,
            "L": self.max_length,
            "data_notes": list(self.data_notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per provider: ``provider`` (numbered from 1), its name, strategy, totals."""
        rows = [{"provider": k, **asdict(p)} for k, p in enumerate(self.providers, start=1)]
        return pd.DataFrame(rows).assign(
            scenario=self.scenario, mechanism=self.mechanism, seed=self.seed, T=self.T
        )

    def summary(self) -> str:
        """The user's utility against u_SB, and the queries used."""
        share = self.user_utility / self.u_sb if self.u_sb else float("nan")
        return (
            f"{self.scenario} under {self.mechanism}, seed {self.seed}: user utility "
            f"{number(self.user_utility)} reward units ({number(share, 3)} of u_SB) over "
            f"{self.queries_used} of T={self.T} queries"
        )


@dataclass(frozen=True)
class SweepResult(ResultMixin):
    """A finished sweep: settings, the tidy profile table, its aggregations and timings.

    Attributes:
        settings: what was run (scenario, mechanism, T, eps, seeds, jobs, counts).
        profiles: one row per profile, seed and provider
            (:data:`~market.delegation.tables.PROFILE_COLUMNS`).
        strategy_means: Figure 2's aggregation for every provider
            (:func:`~market.delegation.tables.strategy_means`).
        figure3: providers 2..K by strategy with provider 1 playing "ours"
            (``responses_to_leader``).
        timings: wall-clock seconds of each stage.
    """

    settings: dict
    profiles: pd.DataFrame
    strategy_means: pd.DataFrame
    figure3: pd.DataFrame
    timings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The profile table: one row per profile, seed and provider."""
        return self.profiles

    def summary(self) -> str:
        """How many profiles and runs, at which horizon."""
        s = self.settings
        return (
            f"{s['scenario']} under {s['mechanism']}: {s['profiles']} strategy profiles x "
            f"{s['seeds']} seeds = {s['runs']} runs of T={s['T']} queries"
        )


#: The columns of a horizon sweep's table (Figure 4).
HORIZON_COLUMNS = ("T", "seed", "provider1_user_utility", "user_utility", "u_sb")


@dataclass(frozen=True)
class HorizonResult(ResultMixin):
    """Figure 4's data: one row per horizon T and seed (:data:`HORIZON_COLUMNS`)."""

    settings: dict
    table: pd.DataFrame
    timings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The table: one row per horizon T and seed."""
        return self.table

    def summary(self) -> str:
        """The horizons swept and the strategy everyone played."""
        s = self.settings
        return (
            f"{s['scenario']} under {s['mechanism']}, everyone {s['strategy']}: "
            f"{s['points']} horizons T={s['T_from']}..{s['T_to']} queries x {s['seeds']} seeds"
        )


def summarise(model) -> DelegationResult:
    """Collect a :class:`~market.delegation.model.DelegationMarket`'s totals and figures."""
    platform, state = model.platform, model.platform.mechanism.state
    mech = platform.mechanism
    T = mech.params.T
    return DelegationResult(
        scenario=model.preset.name,
        mechanism=mech.name,
        seed=model.root_seed,
        T=T,
        eps=mech.params.eps,
        queries_used=platform.used,
        user_utility=platform.user_utility,
        u_sb=model.economy.second_best(T),
        u_fb=model.economy.first_best(T),
        validated=state.validated,
        phases=tuple((name, platform.phase_lengths.get(name, 0)) for name in mech.phases),
        providers=tuple(
            ProviderResult(
                p.name, p.strategy.name, p.provider_utility, p.user_utility, p.delegations
            )
            for p in model.providers
        ),
        B=mech.B,
        M=mech.M,
        T_R=state.exploitation_length,
        threshold=state.threshold,
        u_prime=state.u_prime,
        chosen=None if state.chosen is None else state.chosen + 1,
        max_length=model.economy.max_length,
        data_notes=model.economy.table.notes,
    )
