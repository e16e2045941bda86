"""Adapter between the delegation game's empirical game (strategy dynamics) and its page.

One *play* is the whole mechanism over T queries; between plays each provider may switch to a
strategy with a higher estimated utility against the others' current ones (better response).
The estimates come from the payoff table of all ``6^K`` profiles, which is slow to compute
(about 1 s at T = 2e5 with 2 seeds, 4-18 s at T = 1e6) and kept on disk in the experiment
store in the user's cache folder (:func:`market.delegation.payoffs.payoff_table`: the same
runs as ``llm-market delegation metagame`` and ``delegation sweep --store`` with that store);
the page therefore computes the whole
:func:`market.delegation.empirical.metagame` result (table, graph, sinks with basins) in a
background thread, keyed by a frozen :class:`GameRequest`, and then steps a per-tab
:class:`~market.delegation.metagame.MetagameMarket` on that table, one play per step. The
Theorem 5.2 search is left to the CLI (``llm-market delegation metagame``).

References:
    Cao et al. (2026), Theorem 5.2 and Section 6; better-response dynamics are a standard
    learning dynamic, not from the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from agents.delegation.better_response import RULES, check_margin, check_rule
from agents.delegation.strategies import paper_strategy_names
from app.capacity import Demand
from app.games.delegation import mechanism_choices as mechanism_choices  # the same game's
from market.core.errors import UserInputError
from market.core.providers import provider_column
from market.core.values import count, number
from market.delegation import footprint
from market.delegation.empirical import MetagameResult, metagame
from market.delegation.metagame import MetagameMarket, Move, deviation_utilities
from market.delegation.scenarios import SCENARIOS
from mechanisms.delegation import MECHANISMS

#: The largest horizon and number of seeds the page computes (the CLI takes more).
MAX_T = 2_000_000
MAX_SEEDS = 10


@dataclass(frozen=True)
class MetagameSettings:
    """What the strategy-dynamics page asks for; every field is a URL query parameter.

    Attributes:
        preset: a preset name.
        mechanism: a mechanism name ("" = the scenario's own).
        T: queries per play.
        seeds: replicate seeds behind each payoff estimate.
        start: the starting strategy of each provider.
        rule: ``best`` (best response) or ``random`` (a random improving move).
        tolerance: a move must gain more than this (utility units).
        seed: the root seed of the table and of the revision order ("": a fresh one).
    """

    preset: str = "cao2026"
    mechanism: str = ""
    T: str = "200000"
    seeds: str = "2"
    start: tuple[str, ...] = ("honest", "honest", "honest")
    rule: str = "best"
    tolerance: str = "0"
    seed: str = "42"

    def to_query(self) -> dict[str, str]:
        """The URL query parameters (the start profile comma-separated)."""
        query = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {**query, "start": ",".join(self.start)}

    @classmethod
    def from_query(cls, query: dict[str, str]) -> MetagameSettings:
        """Settings from URL query parameters; missing ones keep their defaults."""
        known = {k: str(v) for k, v in query.items() if k in cls.__dataclass_fields__}
        if "start" in known:
            known["start"] = tuple(s.strip() for s in known["start"].split(","))
        return replace(cls(), **known)


def preset_names() -> list[str]:
    """The shipped presets."""
    return SCENARIOS.names()


def strategy_names() -> list[str]:
    """The strategies a profile enumerates: the default payoff table's (the paper's six)."""
    return paper_strategy_names()


def rule_names() -> tuple[str, ...]:
    """The revision rules."""
    return RULES


def provider_names(preset: str) -> list[str]:
    """The providers of a preset (UserInputError for anything else: never a file)."""
    return [p.name for p in SCENARIOS.get(preset, field="preset").providers]


def fit_start(start: tuple[str, ...], n: int) -> tuple[str, ...]:
    """Exactly ``n`` start strategies: extra ones dropped, missing ones ``honest``."""
    names = tuple(s or "honest" for s in start[:n])
    return names + ("honest",) * (n - len(names))


@dataclass(frozen=True)
class GameRequest:
    """Everything the empirical game depends on (the background computation's key)."""

    preset: str
    mechanism: str | None
    T: int
    seeds: int
    seed: int
    start: tuple[str, ...]
    rule: str
    tolerance: float

    @property
    def profiles(self) -> int:
        """How many profiles the payoff table holds."""
        return len(strategy_names()) ** len(self.start)


def game_request(settings: MetagameSettings, seed: int) -> GameRequest:
    """The checked request (UserInputError naming the field); ``seed`` is already resolved."""
    if settings.preset not in SCENARIOS:
        SCENARIOS.get(settings.preset, field="preset")
    mechanism = settings.mechanism or None
    if mechanism is not None:
        MECHANISMS.get(mechanism, field="mechanism")
    T = count(settings.T, "T")
    if T > MAX_T:
        raise UserInputError(
            "T", f"at most {MAX_T:,} on the dashboard", settings.T, note=cli_hint()
        )
    seeds = count(settings.seeds, "seeds")
    if seeds > MAX_SEEDS:
        raise UserInputError(
            "seeds", f"at most {MAX_SEEDS} on the dashboard", settings.seeds, note=cli_hint()
        )
    start = fit_start(settings.start, len(provider_names(settings.preset)))
    for name in start:
        if name not in strategy_names():
            raise UserInputError("start", f"one of {', '.join(strategy_names())}", name)
    tolerance = check_margin(number(settings.tolerance, "tolerance"), "tolerance")
    return GameRequest(
        settings.preset, mechanism, T, seeds, seed, start, check_rule(settings.rule), tolerance
    )


def memory_demand(request: GameRequest) -> Demand:
    """The memory the payoff table will hold (:func:`footprint.payoff_table_bytes`), by T."""
    K, seeds = len(request.start), request.seeds
    return Demand(
        footprint.payoff_table_bytes(request.T, seeds, K),
        "T",
        str(request.T),
        lambda t: footprint.payoff_table_bytes(t, seeds, K),
        upper=request.T,
    )


def cli_hint() -> str:
    """Where larger tables are computed."""
    return "use llm-market delegation metagame for larger tables"


def empirical_game(request: GameRequest) -> tuple[MetagameResult, bool]:
    """The payoff table (from the store when it holds its runs), graph, sinks and basins.

    Returns the result and whether the table's runs are in the store now. A store that cannot
    be created or written (an unwritable cache folder) is not fatal: the table is then
    computed in memory.
    """
    arguments = dict(
        T=request.T,
        mechanism=request.mechanism,
        seeds=request.seeds,
        seed=request.seed,
        start=request.start,
        rule=request.rule,
        tolerance=request.tolerance,
        check_theorem=False,
    )
    try:
        return metagame(request.preset, **arguments), True
    except UserInputError as error:
        if error.field != "store":
            raise
        return metagame(request.preset, use_store=False, **arguments), False


@dataclass(frozen=True, eq=False)
class Prepared:
    """A request with its computed empirical game (compared by identity: a new one rebuilds)."""

    request: GameRequest
    game: MetagameResult
    seconds: float = 0.0
    stored: bool = True


@dataclass
class MetagameRun:
    """A tab's dynamics on a computed empirical game."""

    model: MetagameMarket
    game: MetagameResult


def build_run(prepared: Prepared) -> MetagameRun:
    """The Mesa model of the dynamics from the request's start, on the game's payoff table."""
    request = prepared.request
    model = MetagameMarket(
        table=prepared.game.table,
        start=request.start,
        rule=request.rule,
        tolerance=request.tolerance,
        rng=request.seed,
    )
    return MetagameRun(model, prepared.game)


@dataclass(frozen=True)
class MetagameFrame:
    """A snapshot of the dynamics after a play.

    Attributes:
        plays: plays so far.
        running: whether a provider can still improve.
        stop_reason: why the dynamics stopped ("" while running).
        providers: provider names.
        strategies: the strategies of the table, in registry order.
        played: the profile of each play so far.
        provider_utility: ``(plays, K)`` each provider's estimated utility per play.
        user_utility: ``(plays,)`` the user's estimated utility per play.
        start: the profile of the first play.
        profile: the profile the next play uses (the equilibrium once stopped).
        alternatives: ``(K, strategies)`` each provider's estimated utility for each of its
            strategies, the others as in :attr:`profile`.
        moves: every revision so far.
        game: the empirical game (table, graph, sinks, basins, settings).
        seed: the root seed.
    """

    plays: int
    running: bool
    stop_reason: str
    providers: tuple[str, ...]
    strategies: tuple[str, ...]
    played: tuple[tuple[str, ...], ...]
    provider_utility: np.ndarray = field(repr=False)
    user_utility: np.ndarray = field(repr=False)
    start: tuple[str, ...] = ()
    profile: tuple[str, ...] = ()
    alternatives: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    moves: tuple[Move, ...] = ()
    game: MetagameResult | None = field(default=None, repr=False)
    seed: int = 0

    @property
    def u_sb(self) -> float:
        """The second-best benchmark u_SB (Section 3.2)."""
        return self.game.table.u_sb

    @property
    def u_fb(self) -> float:
        """The first-best benchmark u_FB."""
        return self.game.table.u_fb

    @property
    def path(self) -> tuple[tuple[str, ...], ...]:
        """Every profile visited, one unilateral move at a time: the start, then each move.

        Within a revision round the providers move one after the other, each seeing the
        others' latest strategies, so every step of the path is an edge of the graph.
        """
        profile, visited = list(self.start), [self.start]
        for move in self.moves:
            profile[move.provider - 1] = move.after
            visited.append(tuple(profile))
        return tuple(visited)

    def user_share(self, profile: tuple[str, ...]) -> float:
        """The user's estimated utility at ``profile`` as a share of u_SB."""
        return self.game.table.user_share(profile)


def snapshot(run: MetagameRun) -> MetagameFrame:
    """Copy what the page shows out of the model."""
    model, table = run.model, run.model.table
    columns = model.datacollector.model_vars
    names = table.providers
    numbers = range(1, len(names) + 1)
    strategy = [columns[provider_column("strategy", k)] for k in numbers]
    played = tuple(zip(*strategy, strict=True)) if strategy else ()
    utility = np.array(
        [columns[provider_column("utility", k)] for k in numbers], dtype=float
    ).T.reshape(len(played), len(names))
    return MetagameFrame(
        plays=model.plays,
        running=model.running,
        stop_reason=model.stop_reason,
        providers=tuple(names),
        strategies=tuple(table.strategies),
        played=played,
        provider_utility=utility,
        user_utility=np.asarray(columns.get("user_utility", []), dtype=float),
        start=tuple(agent.strategy.start for agent in model.agents_by_index),
        profile=tuple(model.profile),
        alternatives=deviation_utilities(table, model.profile),
        moves=tuple(model.moves),
        game=run.game,
        seed=model.root_seed,
    )


def frame_table(frame: MetagameFrame):
    """One row per play: the profile, the utilities and the moves after it (CSV download)."""
    import pandas as pd

    moves: dict[int, list[str]] = {}
    for m in frame.moves:
        moves.setdefault(m.play, []).append(f"provider {m.provider}: {m.before} -> {m.after}")
    table = pd.DataFrame({"play": np.arange(1, len(frame.played) + 1)})
    for k in range(len(frame.providers)):
        table[provider_column("strategy", k + 1)] = [p[k] for p in frame.played]
        table[provider_column("utility", k + 1)] = frame.provider_utility[:, k]
    table["user_utility"] = frame.user_utility
    table["user_utility_over_u_sb"] = frame.user_utility / frame.u_sb
    table["moves_after"] = ["; ".join(moves.get(p, [])) for p in table["play"]]
    settings = frame.game.settings
    for key in ("scenario", "mechanism", "T", "seeds", "rule", "tolerance"):
        table[key] = settings.get(key)
    table["seed"] = frame.seed
    return table
