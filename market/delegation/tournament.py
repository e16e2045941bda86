"""Tournaments of delegation strategies in the Axelrod style: strategies in, a ranked result out.

``Tournament(strategies).play()`` is the paper's Section 6 experiment: every provider plays
every strategy against every profile of the others' strategies (``n^K`` profiles for ``n``
strategies and ``K`` providers) for each replicate seed, on the experiment engine
(:func:`market.delegation.runs.sweep`). The strategies are then ranked, as Axelrod ranks its
players, by the mean utility they earn one provider (by default provider 1, who has the best
model: Figure 2), over all the others' profiles and seeds.

The result also holds the payoff table of the empirical game, so the metagame of
:mod:`market.delegation.metagame` runs on it without another simulation:
:meth:`TournamentResult.dynamics` (better-response dynamics from a start profile, the Mesa
model) and :meth:`TournamentResult.equilibria` (the sinks of the better-response graph).

References:
    Cao et al. (2026), Section 6, Table 1 and Figure 2 ("Our proposed strategy gets the highest
    utility"); Theorem 5.2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd

from market.core.engine import Engine, engine_with
from market.core.providers import provider_index
from market.delegation.metagame import (
    DEFAULT_MAX_PLAYS,
    MetagameMarket,
    better_response_graph,
    graph_sinks,
)
from market.delegation.model import resolve_scenario
from market.delegation.payoffs import PayoffTable, standard_error, table_from_sweep
from market.delegation.pricing import PYTHON_ARGUMENTS, sweep_price
from market.delegation.runs import DEFAULT_SEED, SweepResult, sweep

SCORE_COLUMNS = (
    "rank",
    "name",
    "mean_utility",
    "standard_error",
    "user_utility",
    "delegations",
    "matches",
)


@dataclass(frozen=True)
class StrategyScore:
    """What one strategy earned the tournament's provider, over the others' profiles and seeds.

    Attributes:
        rank: 1 for the highest mean utility.
        name: the strategy.
        mean_utility: the provider's mean utility playing it (Figure 2's provider utility).
        standard_error: the standard error of that mean over the ``matches`` (sample SD /
            sqrt(matches)): its spread over the others' profiles and seeds, as Axelrod's
            spread over opponents, not only the noise of one match.
        user_utility: the mean user utility the provider delivered.
        delegations: the provider's mean delegated queries.
        matches: profiles of the others times seeds averaged over.
    """

    rank: int
    name: str
    mean_utility: float
    standard_error: float
    user_utility: float
    delegations: float
    matches: int


@dataclass(frozen=True)
class TournamentResult:
    """A played tournament: the strategies ranked, their scores, and the payoff table.

    Attributes:
        settings: what was played (scenario, mechanism, T, eps, seed, seeds, provider,
            providers, strategies, profiles, runs).
        scores: one :class:`StrategyScore` per strategy, best first.
        payoffs: the empirical game's payoff table (every profile's mean utilities).
    """

    settings: dict
    scores: tuple[StrategyScore, ...]
    payoffs: PayoffTable = field(compare=False, repr=False)

    @property
    def ranked_names(self) -> list[str]:
        """The strategies from the highest mean utility to the lowest."""
        return [score.name for score in self.scores]

    def summary(self) -> str:
        """One line: the setting and the ranking with each strategy's mean utility."""
        s = self.settings
        ranking = ", ".join(
            f"{x.rank}. {x.name} {x.mean_utility:,.1f} (SE {x.standard_error:,.1f})"
            for x in self.scores
        )
        return (
            f"delegation tournament, {s['scenario']} ({s['mechanism']}), T={s['T']:,}, "
            f"{s['seeds']} seed(s), provider {s['provider']}'s mean utility: {ranking}"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy, best first (:data:`SCORE_COLUMNS`)."""
        return pd.DataFrame([asdict(x) for x in self.scores], columns=list(SCORE_COLUMNS))

    def to_dict(self) -> dict:
        """JSON-ready: the settings, the ranked names and the scores."""
        return {
            "settings": dict(self.settings),
            "ranked_names": self.ranked_names,
            "scores": [asdict(x) for x in self.scores],
        }

    def dynamics(
        self,
        start="honest",
        rule: str = "best",
        tolerance: float = 0.0,
        z: float = 0.0,
        max_plays: int = DEFAULT_MAX_PLAYS,
        seed: int | None = None,
    ) -> MetagameMarket:
        """Better-response dynamics on this tournament's payoffs, run to rest (the metagame).

        Args:
            start: the starting profile (comma-separated names, or one name for everyone).
            rule: ``"best"`` or ``"random"`` (a random improving move).
            tolerance: a move must gain more than this (utility units).
            z: ... and more than ``z`` standard errors of the estimated gain.
            max_plays: stop after this many plays even without an equilibrium.
            seed: the revision order's seed (None: the tournament's seed).

        Returns:
            The finished :class:`~market.delegation.metagame.MetagameMarket`: ``.profile``,
            ``.equilibrium_reached``, ``.trace()``.
        """
        return MetagameMarket(
            table=self.payoffs,
            start=start,
            rule=rule,
            tolerance=tolerance,
            z=z,
            max_plays=max_plays,
            rng=self.settings["seed"] if seed is None else seed,
        ).run()

    def equilibria(self, tolerance: float = 0.0, z: float = 0.0) -> list[str]:
        """The profiles no provider can improve on (``"ours|honest|honest"``), in table order."""
        return graph_sinks(better_response_graph(self.payoffs, tolerance, z))


@dataclass(frozen=True)
class Tournament:
    """Every profile of ``strategies`` played to the end; ``play()`` ranks them.

    Args:
        strategies: the strategies each provider may play (None: the paper's six, Table 1).
        preset: preset name, TOML path or scenario.
        T: the horizon (None: the preset's; the paper's is 1,000,000).
        eps: epsilon override.
        mechanism: mechanism override.
        provider: whose utility ranks the strategies (1-based; 1 has the best model).
        seeds: replicate seeds per profile.
        seed: the root seed.
        jobs: shorthand for ``Engine(jobs=...)`` (worker processes).
        store: shorthand for ``Engine(store=...)`` (an experiment store file keeping every
            run).
        engine: how and where runs are computed: see :class:`market.core.engine.Engine`.

    References:
        Cao et al. (2026), Section 6 and Figure 2.
    """

    strategies: Sequence[str] | None = None
    preset: object = "cao2026"
    T: int | None = None
    eps: float | None = None
    mechanism: str | None = None
    provider: int = 1
    seeds: int = 1
    seed: int = DEFAULT_SEED
    jobs: int | None = None
    store: object = None
    engine: Engine | None = None

    def play(self) -> TournamentResult:
        """Run every profile for every seed and rank the strategies.

        Raises:
            UserInputError: an unknown strategy, preset or mechanism, a bad T, eps, seed,
                seeds or jobs, or a provider outside 1..K.
        """
        engine = engine_with(self.engine, jobs=self.jobs, store=self.store)
        scenario = resolve_scenario(self.preset, self.T, self.eps, self.mechanism)
        provider = provider_index(self.provider, len(scenario.providers)) + 1  # before any run
        names = strategy_names(self.strategies)
        request = argparse.Namespace(
            scenario=scenario, T=self.T, seeds=self.seeds, jobs=engine.jobs, strategies=names
        )
        price = sweep_price(request, PYTHON_ARGUMENTS)  # refused in one line, before any run
        played = sweep(
            self.preset,
            T=self.T,
            eps=self.eps,
            mechanism=self.mechanism,
            seeds=self.seeds,
            seed=self.seed,
            strategies=names,
            engine=engine,
            priced=price,
        )
        return TournamentResult(
            settings=tournament_settings(played, provider),
            scores=strategy_scores(played.profiles, provider, played.settings["strategies"]),
            payoffs=table_from_sweep(played),
        )


def strategy_names(strategies) -> list[str] | None:
    """The strategies to play, from a list or "a,b,c" text (None: the sweep's default).

    The sweep's default is the paper's six (``paper_strategy_names()`` of
    :mod:`agents.delegation.strategies`), so a strategy registered elsewhere never joins unnamed.
    """
    if strategies is None:
        return None
    if isinstance(strategies, str):
        return [name.strip() for name in strategies.split(",")]
    return list(strategies)


def tournament_settings(played: SweepResult, provider: int) -> dict:
    """What was played: the sweep's settings (without timings' noise) and the provider."""
    keys = ("scenario", "mechanism", "T", "eps", "seed", "seeds", "providers", "strategies")
    settings = {key: played.settings[key] for key in keys}
    return {
        **settings,
        "provider": provider,
        "profiles": played.settings["profiles"],
        "runs": played.settings["runs"],
    }


def strategy_scores(
    profiles: pd.DataFrame, provider: int, strategies: Sequence[str]
) -> tuple[StrategyScore, ...]:
    """Each strategy's mean utility for ``provider`` over the others' profiles and seeds, ranked.

    Ties keep the strategies' given order.
    """
    own = profiles[profiles["provider"] == provider]
    rows = []
    for name in strategies:
        played = own[own["strategy"] == name]
        utility = played["provider_utility"].to_numpy(float)
        rows.append(
            (
                name,
                float(utility.mean()),
                float(standard_error(utility)),
                float(played["user_utility"].mean()),
                float(played["delegations"].mean()),
                len(played),
            )
        )
    ranked = sorted(rows, key=lambda row: -row[1])
    return tuple(StrategyScore(rank, *row) for rank, row in enumerate(ranked, start=1))
