"""What a delegation run produced, as typed records (the CLI's JSON is their dict).

References:
    Cao et al. (2026), Section 3.2 (u_FB, u_SB), Mechanism 1 (B, M, T_R, threshold, u').
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ProviderResult:
    """One provider's totals at the end of a run."""

    name: str
    strategy: str
    provider_utility: float
    user_utility: float
    delegations: int


@dataclass(frozen=True)
class DelegationResult:
    """What a run produced (the CLI's JSON is this, as a dict).

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

    def to_dict(self) -> dict:
        """A JSON-ready dict (phases as {name, length}; ``chosen`` as ``chosen_provider``)."""
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
