"""The Mesa model of the delegation market (Cao et al. 2026).

One :class:`DelegationMarket` holds a :class:`~agents.delegation.agents.PlatformAgent` (the
user, who runs the mechanism) and one :class:`~agents.delegation.agents.ProviderAgent` per
provider. ``step()`` advances one round: a batch of ``batch`` queries (by default about
``T / record_points``, so each step records one DataCollector row; down to one). Whatever
the batch size, a run to the end gives identical results for the same seed: query ids are drawn
once from the seed, the mechanism's own randomness comes from its own stream at fixed logical
points, and all bookkeeping is batch-independent (see :mod:`agents.delegation`).

Seeds: one root seed (``rng``) spawns three child streams (numpy ``SeedSequence.spawn``):
query ids, the mechanism (tie-breaks, blind-trust-II coins) and strategies.

The horizon check lives in :mod:`market.delegation.horizon`, the typed results in
:mod:`market.delegation.results`.

The DataCollector records the cumulative user utility, each provider's utility, delivered user
utility and queries served, and the current phase by name, about ``record_points`` times per
run (plus at every phase change), never a row per query for long runs; the columns are listed
in :class:`DelegationMarket`'s "Data collected".

References:
    Cao et al. (2026), Sections 3-4 and 6; ``docs/delegation-variant.md``.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache, partial

import mesa
import numpy as np

from agents.delegation.agents import PlatformAgent, ProviderAgent
from agents.delegation.segments import draw_query_ids
from agents.delegation.strategies import DelegationStrategy
from agents.delegation.strategies import strategy as make_strategy
from agents.delegation.sums import SegmentSums
from market.core.errors import UserInputError
from market.core.providers import provider_column
from market.core.seeds import child_streams, model_seed
from market.core.values import count
from market.delegation.economy import DelegationEconomy, build_economy
from market.delegation.horizon import check_horizon
from market.delegation.results import DelegationResult, summarise
from market.delegation.scenarios import DelegationScenario, get_scenario
from market.delegation.tables import LEADER_STRATEGY
from mechanisms.delegation import MECHANISMS, DelegationParams

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
    return scenario.replace(**changes) if changes else scenario


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


@lru_cache(maxsize=4)
def seeded_query_stream(seed: int, T: int, n_queries: int, rules: str) -> np.ndarray:
    """Query ids ``w_1..w_T`` from the first child stream of the root seed.

    Drawn once and shared (read-only) by every run of that seed: a sweep's profiles all see the
    same queries, exactly as they would if each drew its own.
    """
    ids = draw_query_ids(T, n_queries, rules, np.random.default_rng(child_streams(seed, 3)[0]))
    ids.setflags(write=False)
    return ids


SHARED_STREAMS = 1
_shared_sums: OrderedDict = OrderedDict()


def shared_segment_sums(query_ids, reward, length) -> SegmentSums:
    """The running sums shared by every model of this seed and data in this process.

    Keyed by the arrays themselves (the seed's query ids and the response table), which the
    cache holds, so a key is never reused for other data; only the last seed's sums are kept
    (:data:`SHARED_STREAMS`; a sweep's chunks go seed by seed), at most 160 MB per process.
    """
    key = (id(query_ids), id(reward), id(length))
    if key in _shared_sums:
        _shared_sums.move_to_end(key)
        return _shared_sums[key]
    sums = _shared_sums[key] = SegmentSums(query_ids, reward, length)
    while len(_shared_sums) > SHARED_STREAMS:
        _shared_sums.popitem(last=False)
    return sums


def release_process_caches() -> None:
    """Forget the cached query ids and shared running sums (models using them keep theirs).

    A long-lived process serving many runs (the dashboard) calls this when a large run ends,
    so the caches do not keep its arrays (:func:`market.delegation.footprint.process_cache_bytes`).
    """
    seeded_query_stream.cache_clear()
    _shared_sums.clear()


def queries_per_step(T: int, record_points: int) -> int:
    """The default ``batch``: ``ceil(T / record_points)`` queries, so about ``record_points`` steps.

    One query per step plays a million-query horizon in a million Mesa steps; the whole horizon
    in one step leaves a two-row DataCollector frame. This default makes one step one recorded
    row, as one ROSA step is one round. ``record_points = 1`` (the sweeps) plays the horizon in
    one step.
    """
    return max(1, -(-int(T) // max(1, int(record_points))))


def provider_metric(index: int, field: str, model: DelegationMarket) -> float:
    """DataCollector reporter: provider ``index``'s ``field`` (bound with functools.partial)."""
    return getattr(model.providers[index], field)


def mesa_step(model: DelegationMarket) -> int:
    """Mesa steps taken so far (0 before the first)."""
    return model.steps


def cumulative_user_utility(model: DelegationMarket) -> float:
    """The user's total utility so far."""
    return model.platform.user_utility


def queries_served(model: DelegationMarket) -> int:
    """Queries delegated so far."""
    return model.platform.used


def current_phase(model: DelegationMarket) -> str:
    """The name of the phase being played (one of the mechanism's ``phases``; "done" at the end)."""
    return model.platform.phase


#: Per-provider DataCollector quantities: column quantity -> ProviderAgent attribute.
PROVIDER_QUANTITIES = {
    "utility": "provider_utility",
    "user_utility": "user_utility",
    "queries": "delegations",
}


class DelegationMarket(mesa.Model):
    """A user delegating T queries to K strategic providers under a mechanism.

    Build it with a preset and parameters by name, step it (one step delegates ``batch``
    queries) or :meth:`run` it to the end; :meth:`result` is the outcome so far.

    Data collected:
        ``datacollector.get_model_vars_dataframe()`` has one row at the start, then about
        ``record_points`` rows per run plus one at every phase change; every cell is one
        number or one string. Providers are numbered from 1 (``Provider 1`` is
        ``model.providers[0]``), utilities are in USD (rewards minus token payments).

        - ``step``: Mesa steps taken when the row was recorded.
        - ``queries``: queries delegated so far, 0..T.
        - ``user_utility``: the user's cumulative utility, sum of rewards minus payments
          (USD).
        - ``phase``: the name of the phase being played, one of the mechanism's ``phases``
          (``exploration``, ``exploitation``, ``blind-trust-1``, ``blind-trust-2`` for the
          second-best mechanisms), then ``done`` once the run is over.
        - ``utility[Provider k]``: provider k's cumulative utility,
          ``eta (p_k sum l' - sum_m c_m sum l_m)`` (USD; exactly 0 when honest).
        - ``user_utility[Provider k]``: the user utility provider k delivered,
          ``sum r - p_k sum l'`` (USD).
        - ``queries[Provider k]``: queries delegated to provider k so far.

    References:
        Cao et al. (2026), Sections 3-4 and 6.
    """

    def __init__(
        self,
        preset="cao2026",
        *,
        strategies="ours",
        T=None,
        eps=None,
        mechanism=None,
        batch: int | None = None,
        rng=42,
        record_points: int = DEFAULT_RECORD_POINTS,
        share_sums: bool = False,
    ):
        """Build the market: the economy, the mechanism, one agent per provider, the user.

        Args:
            preset: a preset name (``"cao2026"``, the default, or ``"cao2026-paper"``), a TOML
                path or a :class:`~market.delegation.scenarios.DelegationScenario` (never
                called ``scenario``: Mesa 3.5's ``Model.scenario`` is something else).
            strategies: one registered strategy name per provider (comma-separated text or a
                sequence of names or strategy objects); one name applies to every provider.
                Default ``"ours"`` (the mechanism's intended play).
            T: the horizon, in queries the user delegates (default None: the preset's).
            eps: the mechanism's epsilon, a probability in (0, 1/2) (default None: the
                preset's).
            mechanism: a registered mechanism name (default None: the preset's).
            batch: queries delegated per Mesa step, at least 1 (1 steps query by query).
                Default None: ``ceil(T / record_points)`` queries, so a run takes about
                ``record_points`` steps and each step records one DataCollector row. Results
                never depend on it, only the stepping does.
            rng: the root seed, a non-negative integer (default 42; None or "": a fresh one,
                kept in ``root_seed`` and the result).
            record_points: about how many DataCollector rows a run records (default 500).
            share_sums: reuse the running sums of long segments with the other models of this
                seed in this process (:mod:`agents.delegation.sums`; sweeps). Never changes
                results; keeps up to 160 MB per seed (default False).

        Raises:
            UserInputError: for an unknown preset, strategy or mechanism, an eps outside
                (0, 1/2), a horizon too short for an exploitation phase or a batch below 1.
        """
        rng = model_seed(rng)
        super().__init__(rng=rng)
        self.root_seed = rng
        self.preset = resolve_scenario(preset, T, eps, mechanism)
        self.batch = (
            queries_per_step(int(self.preset.T), record_points)
            if batch is None
            else count(batch, "batch")
        )
        mechanism_cls = MECHANISMS.get(self.preset.mechanism, field="mechanism")
        self.economy = build_economy(self.preset, mechanism_cls.rules)
        mech = mechanism_cls(mechanism_params(self.preset, self.economy))
        check_horizon(mech, self.economy)
        chosen = parse_strategies(strategies, len(self.economy.providers))
        _, mech_seed, strategy_seed = child_streams(rng, 3)
        self.mechanism_rng = np.random.default_rng(mech_seed)
        self.strategy_rng = np.random.default_rng(strategy_seed)
        table = self.economy.table
        query_ids = seeded_query_stream(rng, mech.params.T, table.n_queries, mechanism_cls.rules)
        self.providers = [
            ProviderAgent(self, menu, plan, i, eta=self.economy.eta)
            for i, (menu, plan) in enumerate(zip(self.economy.providers, chosen, strict=True))
        ]
        self.platform = PlatformAgent(self, mech, query_ids, table.reward, table.length)
        if share_sums:
            self.platform.sums = shared_segment_sums(query_ids, table.reward, table.length)
        self.record_every = max(1, mech.params.T // max(1, int(record_points)))
        self.next_record = self.record_every
        self.datacollector = mesa.DataCollector(model_reporters=self.reporters())
        self.datacollector.collect(self)
        self.last_phase = current_phase(self)

    def reporters(self) -> dict:
        """Named reporters: model totals, then one column per quantity and provider."""
        reporters = {
            "step": mesa_step,
            "queries": queries_served,
            "user_utility": cumulative_user_utility,
            "phase": current_phase,
        }
        for quantity, field in PROVIDER_QUANTITIES.items():
            for i in range(len(self.providers)):
                column = provider_column(quantity, i + 1)
                reporters[column] = partial(provider_metric, i, field)
        return reporters

    def step(self) -> None:
        """One round: delegate the next ``batch`` queries (fewer at the very end)."""
        if self.platform.finished:
            self.running = False
            return
        self.platform.delegate(self.batch)
        phase = current_phase(self)
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
        """The run's outcome so far (see :class:`~market.delegation.results.DelegationResult`)."""
        return summarise(self)


def prepare(preset, T, eps, mechanism, seed: int):
    """Resolve and validate a scenario with its overrides by building one model (no run).

    Raises a UserInputError for an unknown scenario or mechanism, eps outside (0, 1/2) and a
    T too small for an exploitation phase; returns the resolved scenario and that model.
    """
    resolved = resolve_scenario(preset, T, eps, mechanism)
    model = DelegationMarket(
        resolved, strategies=LEADER_STRATEGY, batch=1, rng=seed, record_points=1
    )
    return resolved, model
