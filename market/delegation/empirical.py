"""The empirical game in one call: payoff table, dynamics, graph, sinks with basins, Theorem 5.2.

:func:`metagame` is what ``llm-market delegation metagame`` and the dashboard call: it returns
a typed :class:`MetagameResult` (the payoff table, the better-response graph, the sinks with
their basins and the user's utility against u_SB, the dynamics trace as a DataFrame, where the
dynamics from "everyone honest" and "everyone dishonest-all" end, and the continuous check of
Theorem 5.2).

References:
    Cao et al. (2026), Theorems 5.2-5.3 and Section 6; better-response dynamics are a standard
    learning dynamic, not from the paper.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from agents.delegation.better_response import check_margin, check_rule
from market.core.engine import Engine, engine_with
from market.core.pricing import Price
from market.core.results import ResultMixin, json_ready, number
from market.core.seeds import root_seed
from market.core.values import count
from market.delegation.metagame import (
    DEFAULT_MAX_PLAYS,
    MetagameMarket,
    basins,
    better_response_graph,
    graph_sinks,
    parse_profile,
)
from market.delegation.payoffs import PayoffTable, payoff_engine, payoff_table
from market.delegation.theorem import Theorem52Check, theorem52_check

#: The starts whose ends the claims of the issue are about.
CLAIM_STARTS = ("honest", "dishonest-all")


@dataclass(frozen=True)
class Sink(ResultMixin):
    """A pure equilibrium of the empirical game (a sink of the better-response graph)."""

    profile: tuple[str, ...]
    user_utility: float
    provider_utility: tuple[float, ...]
    basin: float
    share_of_u_sb: float

    def to_frame(self) -> pd.DataFrame:
        """One row per provider (numbered from 1): its strategy and mean utility at the sink."""
        return pd.DataFrame(
            {
                "provider": range(1, len(self.profile) + 1),
                "strategy": self.profile,
                "provider_utility": self.provider_utility,
            }
        ).assign(user_utility=self.user_utility, basin=self.basin)

    def summary(self) -> str:
        """The profile, the user's share of u_SB and the basin."""
        return (
            f"sink {'|'.join(self.profile)}: user utility {number(self.user_utility)} reward "
            f"units ({number(self.share_of_u_sb, 3)} of u_SB), basin {number(self.basin, 3)} "
            "of start profiles"
        )


@dataclass(frozen=True)
class DynamicsEnd(ResultMixin):
    """Where the dynamics from one start ended, after how many plays, and why."""

    start: tuple[str, ...]
    end: tuple[str, ...]
    plays: int
    equilibrium: bool
    stop_reason: str
    user_utility: float

    def to_frame(self) -> pd.DataFrame:
        """One row per provider (numbered from 1): its strategy at the start and the end."""
        return pd.DataFrame(
            {"provider": range(1, len(self.start) + 1), "start": self.start, "end": self.end}
        ).assign(plays=self.plays, equilibrium=self.equilibrium)

    def summary(self) -> str:
        """Where the dynamics ended, after how many plays and why."""
        return (
            f"from {'|'.join(self.start)} to {'|'.join(self.end)} in {self.plays} plays "
            f"({self.stop_reason}); user utility {number(self.user_utility)} reward units"
        )


@dataclass(frozen=True)
class MetagameResult(ResultMixin):
    """Everything the metagame command writes (and the dashboard shows).

    Attributes:
        settings: scenario, mechanism, T, eps, seeds, rule, tolerance, z, start, whether the
            payoff table came whole from the store (``payoffs_from_cache``) and the store.
        table: the payoff table.
        graph: the better-response DiGraph (networkx).
        sinks: its sinks with basins.
        cycling_share: the share of start profiles whose dynamics hit the play limit.
        trace: the dynamics from the chosen start, one row per play.
        dynamics: how those dynamics ended.
        claim_ends: the ends of the dynamics from everyone honest and everyone dishonest-all.
        theorem52: the continuous check of Theorem 5.2 (None without a validation check).
        timings: wall-clock seconds per stage.
    """

    settings: dict
    table: PayoffTable
    graph: object
    sinks: tuple[Sink, ...]
    cycling_share: float
    trace: pd.DataFrame
    dynamics: DynamicsEnd
    claim_ends: tuple[DynamicsEnd, ...]
    theorem52: Theorem52Check | None
    timings: dict = field(default_factory=dict)

    def json_record(self) -> dict:
        """The ``--json`` object: u_sb, u_fb, sinks, dynamics, claim ends, Theorem 5.2 check."""
        return {
            "settings": self.settings,
            "u_sb": self.table.u_sb,
            "u_fb": self.table.u_fb,
            "sinks": [s.to_dict() for s in self.sinks],
            "cycling_share": self.cycling_share,
            "dynamics": self.dynamics.to_dict(),
            "claim_ends": [end.to_dict() for end in self.claim_ends],
            "theorem_5_2": None if self.theorem52 is None else self.theorem52.json_record(),
            "timings": self.timings,
        }

    def json_field(self, name: str):
        """The graph as networkx's node-link data; other fields as :func:`json_ready`."""
        if name == "graph":
            return json_ready(nx.node_link_data(self.graph, edges="edges"))
        return super().json_field(name)

    def to_frame(self) -> pd.DataFrame:
        """The payoff table: one row per strategy profile and provider."""
        return self.table.to_frame()

    def summary(self) -> str:
        """How many pure equilibria, and where the dynamics from the start ended."""
        end = self.dynamics
        return (
            f"{len(self.table.profiles)} profiles, {len(self.sinks)} pure equilibria; from "
            f"{'|'.join(end.start)} the dynamics end at {'|'.join(end.end)} after {end.plays} "
            f"plays, user utility {number(end.user_utility)} reward units"
        )


def run_dynamics(table, start, rule, tolerance, z, seed, max_plays) -> MetagameMarket:
    """The Mesa model of the dynamics from ``start``, run to its end."""
    return MetagameMarket(
        table=table,
        start=start,
        rule=rule,
        tolerance=tolerance,
        z=z,
        max_plays=max_plays,
        rng=seed,
    ).run()


def dynamics_end(model: MetagameMarket, start) -> DynamicsEnd:
    """The :class:`DynamicsEnd` of a finished model."""
    table = model.table
    return DynamicsEnd(
        start=tuple(start),
        end=tuple(model.profile),
        plays=model.plays,
        equilibrium=model.equilibrium_reached,
        stop_reason=model.stop_reason,
        user_utility=float(table.user_mean[table.index(model.profile)]),
    )


def sink_records(table: PayoffTable, graph, shares: dict) -> tuple[Sink, ...]:
    """Every sink with its utilities, basin and the user's share of u_SB."""
    records = []
    for label in graph_sinks(graph):
        row = table.index(label.split("|"))
        user = float(table.user_mean[row])
        records.append(
            Sink(
                profile=table.profiles[row],
                user_utility=user,
                provider_utility=tuple(float(u) for u in table.provider_mean[row]),
                basin=float(shares.get(label, 0.0)),
                share_of_u_sb=table.user_share(table.profiles[row]),
            )
        )
    return tuple(records)


def metagame(
    preset="cao2026",
    T=None,
    eps=None,
    mechanism=None,
    seeds: int = 2,
    seed: int = 42,
    jobs: int | None = None,
    start="honest",
    rule: str = "best",
    tolerance: float = 0.0,
    z: float = 0.0,
    max_plays: int = DEFAULT_MAX_PLAYS,
    strategies=None,
    store=None,
    use_store: bool = True,
    check_theorem: bool = True,
    *,
    engine: Engine | None = None,
    priced: Price | None = None,
) -> MetagameResult:
    """Payoff table (from the store), dynamics from ``start``, graph, sinks, basins, Theorem 5.2.

    Bad rules, margins or start profiles raise a UserInputError before anything runs. The
    payoff table's runs (``delegation/profiles``) and the Theorem 5.2 search's runs
    (``delegation/deviations``) are kept in the engine's store (None: the default one in the
    user's cache folder; ``use_store=False``: nothing kept). ``engine``: how and where runs
    are computed, see :class:`market.core.engine.Engine` (``jobs=`` and ``store=`` are its
    shorthands).

    The payoff table's runs are priced before anything is allocated (``priced``: the price
    the caller made already, as the CLI does with its flags; None: priced by
    :func:`~market.delegation.runs.sweep`): a request past this machine's memory or work limit
    is refused in one line naming ``seeds``, ``T``, ``jobs`` or ``strategies``.
    """
    check_rule(rule)
    tolerance, z = check_margin(tolerance, "tolerance"), check_margin(z, "z")
    seed, max_plays = root_seed(seed), count(max_plays, "max-plays")
    started = time.perf_counter()
    engine = payoff_engine(engine_with(engine, jobs=jobs, store=store), use_store)
    path = engine.store
    table, cached = payoff_table(
        preset,
        T,
        eps,
        mechanism,
        seeds,
        seed,
        strategies=strategies,
        use_store=use_store,
        engine=engine,
        priced=priced,
    )
    start_profile = parse_profile(start, table)
    tabled = time.perf_counter()
    model = run_dynamics(table, start_profile, rule, tolerance, z, seed, max_plays)
    claim_ends = tuple(
        dynamics_end(
            run_dynamics(table, (s,) * table.K, rule, tolerance, z, seed, max_plays), (s,) * table.K
        )
        for s in CLAIM_STARTS
        if s in table.strategies
    )
    graph = better_response_graph(table, tolerance, z)
    shares = basins(table, rule, tolerance, z, seed)
    analysed = time.perf_counter()
    check = None
    if check_theorem:
        check = theorem52_check(preset, T, eps, mechanism, seeds, seed, engine=engine)
    checked = time.perf_counter()
    settings = dict(table.settings)
    settings.update(
        start=list(start_profile),
        rule=rule,
        tolerance=tolerance,
        z=z,
        max_plays=max_plays,
        payoffs_from_cache=cached,
        payoff_store=None if path is None else str(path),
    )
    return MetagameResult(
        settings=settings,
        table=table,
        graph=graph,
        sinks=sink_records(table, graph, shares),
        cycling_share=float(shares.get(None, 0.0)),
        trace=model.trace(),
        dynamics=dynamics_end(model, start_profile),
        claim_ends=claim_ends,
        theorem52=check,
        timings={
            "payoff_table_seconds": tabled - started,
            "dynamics_graph_basins_seconds": analysed - tabled,
            "theorem52_seconds": checked - analysed,
        },
    )
