"""The Mesa model of the ROSA market (Patra et al. 2026, reconstructed).

One :class:`RosaMarket` holds a :class:`~agents.rosa.agents.PlatformAgent` (the user's side,
running ROSA and a learner) and one :class:`~agents.rosa.agents.ProviderAgent` per provider,
each with a private cost drawn from the setting's distribution, a hidden linear quality and a
bidding strategy. Providers bid once; ROSA resamples the bids; ``step()`` plays ``batch`` query
rounds (default 1: one step is one round). Any number of rounds per step gives the same result
for the same seed, and the model is run ``run`` of the vectorised batch engine: its numbers are
bit-identical to that row of :func:`market.rosa.runs.simulate_runs` (a test checks it).

Seeds: the root seed ``rng`` and the run index ``run`` key every stream (instance, environment,
ROSA coins, strategies; see :mod:`market.rosa.scenarios`).

The DataCollector records, about ``record_points`` times per run: the queries (rounds) played,
the cumulative regret against the clairvoyant benchmark, regret per round, the user's realised
utility, the clairvoyant benchmark's expected user utility, total payments, and each provider's
utility and rounds served (the columns: :class:`RosaMarket`'s "Data collected").

References:
    Patra et al. (2026), Setting, Def. 4, Experiments; ``docs/rosa-reconstruction.md``.
    Reconstructed.
"""

from __future__ import annotations

from functools import partial

import mesa
import numpy as np
import pandas as pd

from agents.rosa.agents import PlatformAgent, ProviderAgent
from agents.rosa.strategies import BidderView, parse_strategies
from market.core.errors import UserInputError
from market.core.providers import provider_column
from market.core.seeds import model_seed
from market.core.values import count, number
from market.rosa.engine import MarketBatch
from market.rosa.results import ProviderOutcome, RunResult
from market.rosa.scenarios import COINS, STRATEGY, draw_instance, get_setting, stream
from mechanisms.rosa.resampling import MECHANISMS, ResamplingCoins

DEFAULT_RECORD_POINTS = 500
DEFAULT_TRACE_POINTS = 2000
#: Rounds along the longest horizon where a regret curve records its mean trajectory
#: (:func:`market.rosa.runs.regret_curve`).
TRAJECTORY_POINTS = 200


def rosa_coins(setting, seed: int, run: int) -> ResamplingCoins:
    """Run ``run``'s ROSA coins for every provider, shaped ``(n,)``."""
    mechanism = MECHANISMS.get(setting.mechanism, field="mechanism")(setting.resampling)
    return mechanism.coins(stream(seed, COINS, run), setting.providers)


def whole_number(value, field: str) -> int | None:
    """An integer typed as text or a number (None and "" stay None; the setting checks ranges)."""
    return None if value in (None, "") else count(value, field, minimum=-(2**62))


def mesa_step(model: RosaMarket) -> int:
    """Mesa steps taken so far (0 before the first)."""
    return model.steps


def queries_served(model: RosaMarket) -> int:
    """Queries served so far: the query rounds played (one query per round)."""
    return model.platform.rounds


def cumulative_regret(model: RosaMarket) -> float:
    """Virtual-surplus regret against the clairvoyant benchmark so far."""
    return model.platform.regret


def regret_per_round(model: RosaMarket) -> float:
    """Cumulative regret divided by the rounds played (0 before the first round)."""
    rounds = model.platform.rounds
    return model.platform.regret / rounds if rounds else 0.0


def user_utility(model: RosaMarket) -> float:
    """The user's realised utility so far (rewards minus payments)."""
    return model.platform.user_utility


def clairvoyant_utility(model: RosaMarket) -> float:
    """The clairvoyant auction's expected user utility over the rounds played."""
    return model.platform.clairvoyant_utility


def total_payments(model: RosaMarket) -> float:
    """Payments to all providers so far."""
    return model.platform.payments


def provider_metric(index: int, field: str, model: RosaMarket) -> float:
    """Provider ``index``'s ``field`` (bound with functools.partial)."""
    return getattr(model.providers[index], field)


#: Per-provider DataCollector quantities: column quantity -> ProviderAgent attribute.
PROVIDER_QUANTITIES = {"utility": "utility", "queries": "rounds_served"}


class RosaMarket(mesa.Model):
    """Providers bid per-query costs; the platform runs ROSA and a learner over T rounds.

    Build it with a preset and parameters by name, step it (one step plays ``batch`` query
    rounds) or :meth:`run` it to the end; :meth:`result` is the outcome so far.

    Data collected:
        ``datacollector.get_model_vars_dataframe()`` (and :meth:`history`) has one row at the
        start, then about ``record_points`` rows per run and one at the horizon; every cell is
        one number. Providers are numbered from 1 (``Provider 1`` is ``P1``,
        ``model.providers[0]``); utilities, payments and regret are in the setting's cost
        units (rewards ``theta_i . x`` plus noise, costs per query).

        - ``step``: Mesa steps taken when the row was recorded.
        - ``queries``: query rounds played so far (one query per round), 0..T.
        - ``regret``: cumulative virtual-surplus regret against the clairvoyant benchmark.
        - ``regret_per_round``: ``regret / queries`` (0 before the first round).
        - ``user_utility``: the user's realised cumulative utility (rewards minus payments).
        - ``clairvoyant_user_utility``: the clairvoyant auction's expected user utility over
          the same rounds.
        - ``payments``: cumulative payments to all providers.
        - ``utility[Provider k]``: provider k's cumulative utility (payments minus its true
          cost per round served).
        - ``queries[Provider k]``: rounds provider k has served.

    References:
        Patra et al. (2026), Setting, Def. 4, Experiments (reconstructed).
    """

    def __init__(
        self,
        preset="patra2026",
        *,
        providers=None,
        dim=None,
        T=None,
        learner=None,
        mechanism=None,
        noise=None,
        mu=None,
        strategies="truthful",
        batch: int | None = 1,
        run: int = 0,
        rng=42,
        record_points: int = DEFAULT_RECORD_POINTS,
    ):
        """Build the market: draw run ``run``'s instance, the providers' bids and ROSA's coins.

        Args:
            preset: a preset name (``"patra2026"``, the default, or
                ``"patra2026-exponential"``) or a :class:`~market.rosa.scenarios.RosaSetting`.
            providers: the number of providers n, 2 to 64 (default None: the preset's, 5).
            dim: the query-context dimension d, 1 to 64 (default None: the preset's, 5).
            T: the horizon, in query rounds (one query served per round; default None: the
                preset's, 10,000).
            learner: a registered learner (``"elimination"``, ``"linucb"``,
                ``"explore-then-commit"``; default None: the preset's).
            mechanism: ``"rosa"`` or ``"pay-as-bid"`` (default None: the preset's).
            noise: the reward noise, ``"gaussian"`` or ``"exponential"`` (default None: the
                preset's).
            mu: ROSA's resampling probability in (0, 1) (default None:
                ``min(0.5, 1/sqrt(T))``).
            strategies: one bidding strategy per provider (comma-separated, e.g.
                ``"truthful,inflate:2"``) or one for everyone (default ``"truthful"``). Bids
                and costs are per query served, in the setting's cost units (the preset's
                support is [0, 0.5]).
            batch: query rounds per Mesa step, at least 1 (default 1: a step is a round; None
                plays the whole horizon in one step). Results never depend on it.
            run: the run index within the seed, >= 0 (default 0): run r of
                :func:`market.rosa.runs.simulate_runs`.
            rng: the root seed, a non-negative integer (default 42; None or "": a fresh one,
                kept in ``root_seed`` and the result).
            record_points: about how many DataCollector rows a run records (default 500).

        Raises:
            UserInputError: for an unknown preset, learner, mechanism, noise or strategy, or
                a value out of range.
        """
        seed = model_seed(rng)
        super().__init__(rng=seed)
        self.root_seed = seed
        self.run_index = count(run, "run", minimum=0)
        self.setting = get_setting(
            preset,
            providers=whole_number(providers, "providers"),
            dim=whole_number(dim, "dim"),
            T=whole_number(T, "T"),
            learner=learner or None,
            mechanism=mechanism or None,
            noise=noise or None,
            mu=None if mu in (None, "") else number(mu, "mu"),
        )
        setting = self.setting
        self.batch = setting.T if batch is None else count(batch, "batch")
        self.strategy_rng = stream(seed, STRATEGY, self.run_index)
        instance = draw_instance(setting, seed, self.run_index)
        self.thetas = instance.thetas
        support = BidderView(0.0, setting.cost_lo, setting.cost_hi)
        chosen = parse_strategies(strategies, setting.providers)
        self.providers = [
            ProviderAgent(self, i, cost, plan, support)
            for i, (cost, plan) in enumerate(zip(instance.costs, chosen, strict=True))
        ]
        coins = rosa_coins(setting, seed, self.run_index)
        engine = MarketBatch(
            setting,
            seed,
            instance.thetas[None],
            instance.costs[None],
            np.array([[p.bid for p in self.providers]]),
            ResamplingCoins(coins.flagged[None], coins.uniform[None]),
            [self.run_index],
            trace_every=max(1, setting.T // DEFAULT_TRACE_POINTS),
        )
        self.platform = PlatformAgent(self, engine)
        self.record_every = max(1, setting.T // max(1, int(record_points)))
        self.datacollector = mesa.DataCollector(model_reporters=self.reporters())
        self.datacollector.collect(self)

    def reporters(self) -> dict:
        """Named reporters: market totals, then one column per quantity and provider."""
        reporters = {
            "step": mesa_step,
            "queries": queries_served,
            "regret": cumulative_regret,
            "regret_per_round": regret_per_round,
            "user_utility": user_utility,
            "clairvoyant_user_utility": clairvoyant_utility,
            "payments": total_payments,
        }
        for quantity, field in PROVIDER_QUANTITIES.items():
            for i in range(len(self.providers)):
                column = provider_column(quantity, i + 1)
                reporters[column] = partial(provider_metric, i, field)
        return reporters

    def step(self) -> None:
        """Play the next ``batch`` query rounds (fewer at the horizon); record when due."""
        if self.platform.finished:
            self.running = False
            return
        before = self.platform.rounds
        self.platform.serve(self.batch)
        after = self.platform.rounds
        if after // self.record_every > before // self.record_every or self.platform.finished:
            self.datacollector.collect(self)
        if self.platform.finished:
            self.running = False

    def run(self) -> RunResult:
        """Step to the end; return the result."""
        while self.running:
            self.step()
        return self.result()

    def result(self) -> RunResult:
        """The run's outcome so far."""
        setting, platform = self.setting, self.platform
        return RunResult(
            setting=setting,
            seed=self.root_seed,
            run=self.run_index,
            rounds=platform.rounds,
            regret=platform.regret,
            user_utility=platform.user_utility,
            clairvoyant_utility=platform.clairvoyant_utility,
            payments=platform.payments,
            providers=tuple(
                ProviderOutcome(
                    name=p.name,
                    strategy=p.strategy.label,
                    cost=p.cost,
                    bid=p.bid,
                    flagged=p.flagged,
                    modified_bid=p.modified_bid,
                    rounds_served=p.rounds_served,
                    payments=p.payments,
                    utility=p.utility,
                )
                for p in self.providers
            ),
        )

    def history(self) -> pd.DataFrame:
        """The DataCollector's rows as a tidy table."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def service_map(self) -> pd.DataFrame:
        """Who served which contexts: sampled rounds, the provider served, the clairvoyant one.

        About 2,000 evenly spaced rounds; columns ``round``, ``served``, ``best`` (provider
        names) and ``x1..xd`` (the context).
        """
        trace = self.platform.engine.trace
        if not trace:
            raise UserInputError("rounds", "at least one round played before a service map", 0)
        contexts = np.array([entry[3] for entry in trace])
        table = pd.DataFrame(
            {
                "round": [entry[0] + 1 for entry in trace],
                "served": [f"P{entry[1] + 1}" for entry in trace],
                "best": [f"P{entry[2] + 1}" for entry in trace],
            }
        )
        for k in range(contexts.shape[1]):
            table[f"x{k + 1}"] = contexts[:, k]
        return table
