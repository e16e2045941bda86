"""Better response over strategies: the empirical game of the delegation market.

One *play* is the whole mechanism (T queries); its outcome for a strategy profile is the
payoff table's estimate (:mod:`market.delegation.payoffs`: means over S seeds, with standard
errors). Between plays the providers revise one after the other, in an order drawn from the
model's seed, each switching to a strategy that improves its estimated utility against the
others' current strategies (:mod:`agents.delegation.better_response`). The dynamics end at a
profile where no provider can improve: a pure equilibrium of the empirical game.

- :class:`MetagameMarket`: the Mesa model (one step = one play, a DataCollector of the
  profile, utilities and the user's utility per play);
- :func:`better_response_graph`: a networkx DiGraph over profiles with an edge for every
  improving unilateral move; its sinks are the pure equilibria;
- :func:`basins`: the share of start profiles whose dynamics end at each sink.

References:
    Cao et al. (2026), Theorem 5.2 ("ours" is each provider's best play); better-response
    dynamics in finite games (a standard learning dynamic, not from the paper).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from agents.delegation.better_response import (
    Alternative,
    RevisionView,
    check_margin,
    check_rule,
    improving_moves,
)
from agents.delegation.strategies import BetterResponse
from market.core.errors import UserInputError
from market.core.providers import provider_column, provider_index
from market.core.seeds import child_streams, model_seed
from market.core.values import count
from market.delegation.payoffs import PayoffTable, payoff_table
from market.delegation.tables import profile_label

DEFAULT_MAX_PLAYS = 200
EQUILIBRIUM = "no provider can improve: a pure equilibrium of the empirical game"
PLAY_LIMIT = "stopped at the play limit without reaching an equilibrium (a cycle?)"


def parse_profile(text, table: PayoffTable, field: str = "start") -> tuple[str, ...]:
    """A profile from comma-separated names (one name = everyone), checked against the table."""
    entries = (
        tuple(text) if not isinstance(text, str) else tuple(e.strip() for e in text.split(","))
    )
    if not entries or any(not e for e in entries):
        raise UserInputError(field, "comma-separated strategy names, none empty", text)
    if len(entries) == 1:
        entries = entries * table.K
    if len(entries) != table.K:
        raise UserInputError(field, f"{table.K} comma-separated names or one name", text)
    for name in entries:
        if name not in table.strategies:
            raise UserInputError(
                field, f"strategies of the table ({', '.join(table.strategies)})", name
            )
    return entries


def revision_view(table: PayoffTable, profile: Sequence[str], provider: int) -> RevisionView:
    """What ``provider`` sees: its utility for each strategy against the others' current ones.

    Args:
        table: the payoff table (estimated utilities and their standard errors).
        profile: the strategies being played, providers 1..K in order.
        provider: the revising provider's number, from 1.

    Returns:
        The :class:`RevisionView` a better-response strategy revises on.

    Raises:
        UserInputError: ``provider`` is not a number from 1 to K.
    """
    i = provider_index(provider, table.K)
    alternatives = []
    for name in table.strategies:
        deviation = list(profile)
        deviation[i] = name
        row = table.index(deviation)
        alternatives.append(
            Alternative(name, float(table.provider_mean[row, i]), float(table.provider_se[row, i]))
        )
    return RevisionView(i + 1, profile[i], tuple(alternatives))


def deviation_utilities(table: PayoffTable, profile: Sequence[str]) -> np.ndarray:
    """``(K, strategies)``: each provider's estimated utility for each of its strategies.

    Row ``k`` is provider ``k + 1``'s :func:`revision_view`: column ``j`` is its mean utility
    when it plays strategy ``j`` (in :attr:`PayoffTable.strategies` order) and the others keep
    ``profile``. Its largest entry is the provider's best response; a profile where every
    provider's current strategy attains its row's maximum is a pure equilibrium of the
    empirical game (Cao et al. 2026, Theorem 5.2 says "ours" is that strategy for i*).
    """
    return np.array(
        [
            [a.utility for a in revision_view(table, profile, k).alternatives]
            for k in range(1, table.K + 1)
        ]
    )


@dataclass(frozen=True)
class Move:
    """One revision: in play ``play`` provider ``provider`` (1-based) switched strategies."""

    play: int
    provider: int
    before: str
    after: str
    gain: float


def revision_round(table, profile, strategies, order, rng, play) -> tuple[tuple, list[Move]]:
    """Every provider in ``order`` revises once, each seeing the others' latest strategies."""
    current = list(profile)
    moves = []
    for k in order:
        view = revision_view(table, current, int(k) + 1)
        after = strategies[k].revise(view, rng)
        if after != current[k]:
            gain = view.payoff(after).utility - view.payoff(current[k]).utility
            moves.append(Move(play, int(k) + 1, current[k], after, gain))
            current[k] = after
    return tuple(current), moves


# ---- the Mesa model -------------------------------------------------------------------------


class MetaProvider(mesa.Agent):
    """A provider of the empirical game: a better-response strategy and the base it plays.

    ``index`` is its 0-based position (it is ``Provider index + 1``).
    """

    def __init__(self, model: mesa.Model, index: int, name: str, strategy: BetterResponse):
        super().__init__(model)
        self.index = index
        self.name = name
        self.strategy = strategy
        self.playing = strategy.start

    @property
    def utility(self) -> float:
        """Its estimated utility at the current profile."""
        return self.model.table.utility(self.model.profile, self.index + 1)


def mesa_step(model: MetagameMarket) -> int:
    """DataCollector reporter: Mesa steps taken so far (the play being recorded)."""
    return model.steps


def current_profile(model: MetagameMarket) -> str:
    """DataCollector reporter: the profile being played."""
    return profile_label(model.profile)


def user_utility(model: MetagameMarket) -> float:
    """DataCollector reporter: the user's estimated utility at the current profile."""
    return float(model.table.user_mean[model.table.index(model.profile)])


def provider_strategy(index: int, model: MetagameMarket) -> str:
    """DataCollector reporter: the strategy of the provider at 0-based ``index`` (partial)."""
    return model.agents_by_index[index].playing


def provider_utility(index: int, model: MetagameMarket) -> float:
    """DataCollector reporter: the estimated utility of the provider at 0-based ``index``."""
    return model.agents_by_index[index].utility


class MetagameMarket(mesa.Model):
    """Providers discovering their play by better response between plays of the mechanism.

    Args:
        preset: a preset name, TOML path or scenario (ignored when ``table`` is given).
        T: horizon override for the payoff table.
        eps: epsilon override.
        mechanism: mechanism override.
        seeds: replicate seeds behind each payoff estimate.
        start: the starting profile: comma-separated names, or one name for everyone.
        rule: ``"best"`` (best response) or ``"random"`` (a random improving move).
        tolerance: a move must gain more than this (utility units).
        z: ... and more than ``z`` standard errors of the estimated gain.
        max_plays: stop after this many plays even without an equilibrium.
        table: a ready payoff table (else computed, or read from the store).
        store: the payoff table's experiment store (None: the default one in the user's
            cache folder, :func:`market.delegation.payoffs.default_store`).
        rng: the root seed of the revision order and the random rule (and of the table).

    Data collected:
        ``datacollector.get_model_vars_dataframe()`` has one row per play, recorded before
        the revisions that follow it; every cell is one number or one string. Providers are
        numbered from 1 (``Provider 1`` is ``model.agents_by_index[0]``), utilities are the
        payoff table's estimates (USD, means over its seeds).

        - ``step``: Mesa steps taken, i.e. the play recorded (1, 2, ...).
        - ``profile``: the profile played, its strategies joined by ``|`` in provider order.
        - ``user_utility``: the user's estimated utility at that profile.
        - ``strategy[Provider k]``: the strategy provider k played.
        - ``utility[Provider k]``: provider k's estimated utility at that profile.

    References:
        Cao et al. (2026), Theorem 5.2 ("ours" is each provider's best play); better-response
        dynamics are a standard learning dynamic, not from the paper.
    """

    def __init__(
        self,
        preset="cao2026",
        T=None,
        eps=None,
        mechanism=None,
        seeds: int = 1,
        start="honest",
        rule: str = "best",
        tolerance: float = 0.0,
        z: float = 0.0,
        max_plays: int = DEFAULT_MAX_PLAYS,
        table: PayoffTable | None = None,
        store=None,
        rng=42,
    ):
        rng = model_seed(rng)
        super().__init__(rng=rng)
        self.root_seed = rng
        check_rule(rule)
        self.max_plays = count(max_plays, "max-plays")
        if table is None:
            table, _ = payoff_table(preset, T, eps, mechanism, seeds, rng, store=store)
        self.table = table
        self.profile = parse_profile(start, table)
        self.revision_rng = np.random.default_rng(child_streams(rng, 1)[0])
        self.agents_by_index = [
            MetaProvider(self, k, name, BetterResponse(s, rule, tolerance, z))
            for k, (name, s) in enumerate(zip(table.providers, self.profile, strict=True))
        ]
        self.moves: list[Move] = []
        self.plays = 0
        self.equilibrium_reached = False
        self.stop_reason = ""
        self.datacollector = mesa.DataCollector(model_reporters=self.reporters())

    def reporters(self) -> dict:
        """Named reporters: the play, the profile, the user's and each provider's utility."""
        reporters = {"step": mesa_step, "profile": current_profile, "user_utility": user_utility}
        for k in range(len(self.agents_by_index)):
            reporters[provider_column("strategy", k + 1)] = partial(provider_strategy, k)
            reporters[provider_column("utility", k + 1)] = partial(provider_utility, k)
        return reporters

    def step(self) -> None:
        """One play of the current profile, then one round of revisions in a seeded order."""
        if not self.running:
            return
        self.plays += 1
        self.datacollector.collect(self)
        order = self.revision_rng.permutation(self.table.K)
        strategies = [agent.strategy for agent in self.agents_by_index]
        self.profile, moves = revision_round(
            self.table, self.profile, strategies, order, self.revision_rng, self.plays
        )
        for agent, name in zip(self.agents_by_index, self.profile, strict=True):
            agent.playing = name
        self.moves += moves
        if not moves:
            self.equilibrium_reached, self.stop_reason = True, EQUILIBRIUM
            self.running = False
        elif self.plays >= self.max_plays:
            self.stop_reason = PLAY_LIMIT
            self.running = False

    def run(self) -> MetagameMarket:
        """Play until no provider can improve (or the play limit)."""
        while self.running:
            self.step()
        return self

    def trace(self) -> pd.DataFrame:
        """The dynamics: the DataCollector's rows with ``play`` first and ``moves_after`` last."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "play", np.arange(1, len(frame) + 1))
        moves = {
            play: "; ".join(f"provider {m.provider}: {m.before} -> {m.after}" for m in group)
            for play, group in _by_play(self.moves).items()
        }
        frame["moves_after"] = [moves.get(p, "") for p in frame["play"]]
        return frame


def _by_play(moves: list[Move]) -> dict[int, list[Move]]:
    grouped: dict[int, list[Move]] = {}
    for move in moves:
        grouped.setdefault(move.play, []).append(move)
    return grouped


# ---- the graph, its sinks and their basins --------------------------------------------------


def better_response_graph(table: PayoffTable, tolerance: float = 0.0, z: float = 0.0):
    """A DiGraph over profiles with an edge for every improving unilateral move.

    Nodes are profile labels (``"ours|honest|honest"``) with the user's and each provider's
    estimated utility; an edge carries the mover (1-based), its new strategy and the gain.
    """
    tolerance, z = check_margin(tolerance, "tolerance"), check_margin(z, "z")
    graph = nx.DiGraph(strategies=",".join(table.strategies), u_sb=table.u_sb, u_fb=table.u_fb)
    for row, profile in enumerate(table.profiles):
        attributes = {
            f"provider{k + 1}_utility": float(table.provider_mean[row, k]) for k in range(table.K)
        }
        graph.add_node(
            profile_label(profile), user_utility=float(table.user_mean[row]), **attributes
        )
    for profile in table.profiles:
        for k in range(table.K):
            for move in improving_moves(revision_view(table, profile, k + 1), tolerance, z):
                target = list(profile)
                target[k] = move.strategy
                graph.add_edge(
                    profile_label(profile),
                    profile_label(target),
                    provider=k + 1,
                    strategy=move.strategy,
                    gain=move.gain,
                )
    return graph


def graph_sinks(graph) -> list[str]:
    """Profiles with no improving move (out-degree 0), in table order."""
    return [node for node in graph.nodes if graph.out_degree(node) == 0]


def end_of_dynamics(table, start, rule, tolerance, z, seed, max_plays=DEFAULT_MAX_PLAYS):
    """Where the dynamics from ``start`` end (None if they hit the play limit)."""
    model = MetagameMarket(
        table=table, start=start, rule=rule, tolerance=tolerance, z=z, max_plays=max_plays, rng=seed
    ).run()
    return profile_label(model.profile) if model.equilibrium_reached else None


def basins(table, rule="best", tolerance=0.0, z=0.0, seed=42) -> dict[str | None, float]:
    """The share of all start profiles whose dynamics end at each sink (None: no end).

    Each start profile's dynamics get their own seed, spawned from ``seed``.
    """
    seeds = [
        int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(len(table.profiles))
    ]
    ends = Counter(
        end_of_dynamics(table, profile, rule, tolerance, z, s)
        for profile, s in zip(table.profiles, seeds, strict=True)
    )
    return {end: n / len(table.profiles) for end, n in ends.items()}
