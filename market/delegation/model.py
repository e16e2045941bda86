"""The Mesa model of the delegation market (Cao et al. 2026).

One :class:`DelegationMarket` holds a :class:`~agents.delegation.agents.PlatformAgent` (the
user, who runs the mechanism) and one :class:`~agents.delegation.agents.ProviderAgent` per
provider. ``step()`` advances one round: a batch of ``batch`` queries (down to one). Whatever
the batch size, a run to the end gives identical results for the same seed: query ids are drawn
once from the seed, the mechanism's own randomness comes from its own stream at fixed logical
points, and all bookkeeping is batch-independent (see :mod:`agents.delegation`).

Seeds: one root seed (``rng``) spawns three child streams (numpy ``SeedSequence.spawn``):
query ids, the mechanism (tie-breaks, blind-trust-II coins) and strategies.

The DataCollector records the cumulative user utility, each provider's utility, delivered user
utility and delegations, and the current phase, about ``record_points`` times per run (plus at
every phase change), never a row per query for long runs.

References:
    Cao et al. (2026), Sections 3-4 and 6; ``shared/specs/delegation.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import lru_cache, partial

import mesa
import numpy as np

from agents.delegation.agents import PlatformAgent, ProviderAgent, draw_query_ids
from agents.delegation.strategies import DelegationStrategy
from agents.delegation.strategies import strategy as make_strategy
from market.core.errors import UserInputError
from market.core.seeds import model_seed
from market.delegation.economy import DelegationEconomy, build_economy
from market.delegation.scenarios import DelegationScenario, get_scenario
from mechanisms.delegation.rules import MECHANISMS, DelegationParams

DEFAULT_RECORD_POINTS = 500


def parse_strategies(strategies, n_providers: int) -> tuple[DelegationStrategy, ...]:
    """One strategy per provider, from comma-separated names, names or instances.

    A single entry applies to every provider; unknown names raise a UserInputError listing
    the registered strategies.
    """
    if isinstance(strategies, str):
        entries = tuple(s.strip() for s in strategies.split(","))
    else:
        entries = tuple(strategies)
    if any(e == "" for e in entries) or not entries:
        raise UserInputError("strategies", "comma-separated strategy names, none empty", strategies)
    if len(entries) == 1:
        entries = entries * n_providers
    if len(entries) != n_providers:
        raise UserInputError(
            "strategies",
            f"{n_providers} comma-separated names (one per provider) or one name",
            ",".join(map(str, entries)),
        )
    return tuple(e if isinstance(e, DelegationStrategy) else make_strategy(e) for e in entries)


def resolve_scenario(scenario, T=None, eps=None, mechanism=None) -> DelegationScenario:
    """The scenario (name, TOML path or object) with any overrides applied and validated."""
    if isinstance(scenario, str):
        scenario = get_scenario(scenario)
    changes = {
        k: v for k, v in (("T", T), ("eps", eps), ("mechanism", mechanism)) if v not in (None, "")
    }
    if changes:
        scenario = scenario.replace(**changes)
    MECHANISMS.get(scenario.mechanism, field="mechanism")
    return scenario


def mechanism_params(scenario: DelegationScenario, economy: DelegationEconomy):
    """The mechanism's public inputs for this scenario and economy."""
    return DelegationParams(
        T=int(scenario.T),
        prices=economy.prices,
        reward_bound=economy.reward_bound,
        max_length=economy.max_length,
        eps=float(scenario.eps),
        all_model_stats=economy.all_model_stats(),
    )


#: The largest horizon a run accepts: the query ids are drawn up front, 8 bytes each.
MAX_QUERIES = 100_000_000


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


def check_horizon(mechanism, economy: DelegationEconomy) -> None:
    """Reject a T too large to draw, or so small that honest play leaves no exploitation."""
    params = mechanism.params
    if params.T > MAX_QUERIES:
        raise UserInputError(
            "T",
            f"at most {MAX_QUERIES:,} queries (query ids are drawn up front, 8 bytes each)",
            params.T,
        )
    typical = [
        (p.mean_reward[p.truthful_model], p.mean_length[p.truthful_model])
        for p in economy.providers
    ]
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


@lru_cache(maxsize=4)
def seeded_query_stream(seed: int, T: int, n_queries: int, rules: str) -> np.ndarray:
    """Query ids ``w_1..w_T`` from the first child stream of the root seed.

    Drawn once and shared (read-only) by every run of that seed: a sweep's profiles all see the
    same queries, exactly as they would if each drew its own.
    """
    ids_seed = np.random.SeedSequence(seed).spawn(3)[0]
    ids = draw_query_ids(T, n_queries, rules, np.random.default_rng(ids_seed))
    ids.setflags(write=False)
    return ids


def provider_metric(index: int, field: str, model: DelegationMarket) -> float:
    """DataCollector reporter: provider ``index``'s ``field`` (bound with functools.partial)."""
    return getattr(model.providers[index], field)


def cumulative_user_utility(model: DelegationMarket) -> float:
    """The user's total utility so far."""
    return model.platform.user_utility


def queries_served(model: DelegationMarket) -> int:
    """Queries delegated so far."""
    return model.platform.used


def phase_number(model: DelegationMarket) -> int:
    """Index of the current phase (0 = exploration; len(phases) when done)."""
    platform = model.platform
    return len(platform.mechanism.phases) if platform.finished else max(platform.phase_index, 0)


def phase_name(model: DelegationMarket) -> str:
    """Name of the current phase."""
    return model.platform.phase


class DelegationMarket(mesa.Model):
    """A user delegating T queries to K strategic providers under a mechanism.

    Args:
        preset: a preset name ("cao2026", "cao2026-paper"), a TOML path or a scenario (never
            called ``scenario``: Mesa 3.5's ``Model.scenario`` is something else).
        strategies: one strategy name per provider (comma-separated or a sequence); one name
            applies to every provider.
        T: total queries (default: the scenario's).
        eps: the mechanism's epsilon in (0, 1/2) (default: the scenario's).
        mechanism: a registered mechanism name (default: the scenario's).
        batch: queries per step (a "round"); 1 steps query by query; None (the default) plays
            the whole horizon in one step. Results never depend on it.
        rng: the root seed (None: a fresh one, reported in the result).
        record_points: about how many DataCollector rows a run records.
    """

    def __init__(
        self,
        preset="cao2026",
        strategies="ours",
        T=None,
        eps=None,
        mechanism=None,
        batch: int | None = None,
        rng=42,
        record_points: int = DEFAULT_RECORD_POINTS,
    ):
        rng = model_seed(rng)
        super().__init__(rng=rng)
        self.root_seed = rng
        self.preset = resolve_scenario(preset, T, eps, mechanism)
        self.batch = int(self.preset.T) if batch is None else validate_batch(batch)
        mechanism_cls = MECHANISMS.get(self.preset.mechanism, field="mechanism")
        self.economy = build_economy(self.preset, mechanism_cls.rules)
        mech = mechanism_cls(mechanism_params(self.preset, self.economy))
        check_horizon(mech, self.economy)
        chosen = parse_strategies(strategies, len(self.economy.providers))
        _, mech_seed, strategy_seed = np.random.SeedSequence(rng).spawn(3)
        self.mechanism_rng = np.random.default_rng(mech_seed)
        self.strategy_rng = np.random.default_rng(strategy_seed)
        query_ids = seeded_query_stream(
            rng, mech.params.T, self.economy.table.n_queries, mechanism_cls.rules
        )
        self.providers = [
            ProviderAgent(self, menu, plan, i)
            for i, (menu, plan) in enumerate(zip(self.economy.providers, chosen, strict=True))
        ]
        self.platform = PlatformAgent(self, mech, query_ids)
        self.record_every = max(1, mech.params.T // max(1, int(record_points)))
        self.next_record = self.record_every
        self.datacollector = mesa.DataCollector(model_reporters=self.reporters())
        self.datacollector.collect(self)
        self.last_phase = phase_number(self)

    def reporters(self) -> dict:
        """Named reporters: model totals and one column per provider and quantity."""
        reporters = {
            "queries": queries_served,
            "user_utility": cumulative_user_utility,
            "phase": phase_number,
        }
        for i, provider in enumerate(self.providers):
            for field, label in (
                ("provider_utility", "utility"),
                ("user_utility", "user utility"),
                ("delegations", "delegations"),
            ):
                reporters[f"{provider.name} {label}"] = partial(provider_metric, i, field)
        return reporters

    def step(self) -> None:
        """One round: delegate the next ``batch`` queries (fewer at the very end)."""
        if self.platform.finished:
            self.running = False
            return
        self.platform.delegate(self.batch)
        phase = phase_number(self)
        if (
            self.platform.used >= self.next_record
            or phase != self.last_phase
            or self.platform.finished
        ):
            self.datacollector.collect(self)
            while self.next_record <= self.platform.used:
                self.next_record += self.record_every
            self.last_phase = phase
        if self.platform.finished:
            self.running = False

    def run(self) -> DelegationResult:
        """Step to the end; return the result."""
        while self.running:
            self.step()
        return self.result()

    def result(self) -> DelegationResult:
        """The run's outcome so far (see :class:`DelegationResult`)."""
        return summarise(self)


def validate_batch(batch) -> int:
    """A batch size must be a positive integer."""
    try:
        value = int(batch)
    except (TypeError, ValueError):
        raise UserInputError(
            "batch", "a positive integer number of queries per step", batch
        ) from None
    if value < 1 or value != float(batch):
        raise UserInputError("batch", "a positive integer number of queries per step", batch)
    return value


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
    """What a run produced (the CLI's JSON is this, as a dict)."""

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
    chosen: int | None
    max_length: int
    data_notes: tuple[str, ...]

    def to_dict(self) -> dict:
        """A JSON-ready dict (phases as {name, length}; chosen numbered from 1)."""
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
            "chosen_provider": None if self.chosen is None else self.chosen + 1,
            "L": self.max_length,
            "data_notes": list(self.data_notes),
        }


def summarise(model: DelegationMarket) -> DelegationResult:
    """Collect a model's totals and the mechanism's internal figures."""
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
        chosen=state.chosen,
        max_length=model.economy.max_length,
        data_notes=model.economy.table.notes,
    )
