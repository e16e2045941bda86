"""Typed results of the TTC runs (:mod:`market.ttc.runs`), with the JSON the CLI prints.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Sections 3-5, Figure 2 and Table 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from market.core.output import json_number
from market.core.results import ResultMixin, number
from market.ttc.curves import APPROXIMATE_NOTE
from market.ttc.state import MarketState
from mechanisms.ttc.auction import AuctionOutcome, Bid
from mechanisms.ttc.game import TTCGame
from mechanisms.ttc.optimum import WelfareOptimum, n_profiles


def beta_json(beta: float) -> float | str:
    """``beta`` for JSON: a number, or ``"inf"`` for perfectly rational users."""
    return "inf" if math.isinf(beta) else beta


@dataclass(frozen=True, eq=False)
class GameSpec(ResultMixin):
    """A game, where it came from, and the warnings building it raised.

    Attributes:
        game: The game.
        source: ``"scenario NAME"`` or ``"curves PATH (BENCHMARK, METHOD)"``.
        warnings: Messages of the warnings raised (e.g. the paper's assumption 2 failing).
    """

    game: TTCGame
    source: str
    warnings: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per provider and compute level: theta, quality, cost and price per query."""
        game = self.game
        n, levels = len(game.providers), len(game.levels)
        return pd.DataFrame(
            {
                "provider": np.repeat(np.arange(1, n + 1), levels),
                "name": np.repeat(game.providers, levels),
                "level": np.tile(np.arange(levels), n),
                "theta": np.tile(np.asarray(game.levels, dtype=float), n),
                "quality": np.asarray(game.quality, dtype=float).ravel(),
                "cost": np.asarray(game.cost, dtype=float).ravel(),
                "price": np.asarray(game.price, dtype=float).ravel(),
            }
        )

    def summary(self) -> str:
        """Providers, levels, where the game came from, and how many warnings."""
        game = self.game
        return (
            f"{len(game.providers)} providers x {len(game.levels)} compute levels from "
            f"{self.source}; beta = {beta_json(game.beta)}, V_0 = {game.v0:g} (value per "
            f"query); {len(self.warnings)} warnings"
        )


@dataclass(frozen=True, eq=False)
class TTCResult(ResultMixin):
    """One run of the TTC market to its end (:meth:`market.ttc.model.TTCMarket.result`).

    Values, prices, utilities and welfare are in USD per query.

    Attributes:
        seed: The root seed.
        mechanism: The mechanism's registered name.
        providers: The provider names.
        levels: Level index per provider where the run stopped.
        state: The market there (shares, prices, utilities, welfare, inefficiency).
        max_welfare: The best welfare the mechanism can reach (Eq. 6; NaN when unavailable).
        steps: Steps taken (one provider's revision each).
        moves: Steps in which the reviser moved.
        stop_reason: ``"equilibrium"``, ``"rest"`` (no one moves, not verified an
            equilibrium), ``"max-steps"``, or ``""`` while still running.
        equilibrium_reached: Whether it rests at a verified pure Nash equilibrium (Theorem 1).
        n_users: Simulated users (0: the paper's share function).
    """

    seed: int
    mechanism: str
    providers: tuple[str, ...]
    levels: tuple[int, ...]
    state: MarketState
    max_welfare: float
    steps: int
    moves: int
    stop_reason: str
    equilibrium_reached: bool
    n_users: int

    def to_frame(self) -> pd.DataFrame:
        """One row per provider where the run stopped: level, theta, share, price, utility."""
        return provider_frame(self.providers, self.levels, self.state)

    def summary(self) -> str:
        """Steps, where the run stopped, and the welfare there (USD per query)."""
        return (
            f"{self.mechanism}, seed {self.seed}: stopped after {self.steps} steps "
            f"({self.stop_reason or 'running'}); welfare {number(self.state.welfare)} per query"
        )


@dataclass(frozen=True, eq=False)
class Dynamics(ResultMixin):
    """One run of better-response dynamics recorded step by step (Figure 2).

    Attributes:
        rule: The better-response rule.
        seed: The root seed.
        steps: Steps taken.
        equilibrium_reached: Whether it rests at a verified pure Nash equilibrium.
        final: The market after the last step.
        n_users: Simulated users (0: the paper's share function).
        history: :meth:`market.ttc.model.TTCMarket.history`.
    """

    rule: str
    seed: int
    steps: int
    equilibrium_reached: bool
    final: MarketState
    n_users: int
    history: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The history: one row per step (per-provider columns ``theta[NAME]`` and so on)."""
        return self.history

    def summary(self) -> str:
        """Steps, whether it rests at an equilibrium, and the welfare there."""
        rest = "a pure Nash equilibrium" if self.equilibrium_reached else "no verified equilibrium"
        return (
            f"{self.rule} dynamics, seed {self.seed}: {self.steps} steps to {rest}; welfare "
            f"{number(self.final.welfare)} per query, max W / W = {number(self.final.inefficiency)}"
        )


@dataclass(frozen=True, eq=False)
class EquilibriumSummary(ResultMixin):
    """The profile the dynamics rest at (the ``equilibrium`` object of ``analyze --json``).

    Attributes:
        game: The game.
        levels: Level index per provider.
        state: The market there.
        poa: ``max W / W`` (Eq. 9; ``inf`` when ``W <= 0``).
        steps: Steps taken.
        moves: Steps in which the reviser moved.
        is_equilibrium: Whether it is a verified pure Nash equilibrium.
    """

    game: TTCGame
    levels: tuple[int, ...]
    state: MarketState
    poa: float
    steps: int
    moves: int
    is_equilibrium: bool

    def json_record(self) -> dict[str, Any]:
        """The CLI's JSON; ``poa`` is null and ``poa_infinite`` true when the PoA is infinite."""
        state, game = self.state, self.game
        return {
            "providers": list(game.providers),
            "levels": list(self.levels),
            "thetas": [float(game.levels[k]) for k in self.levels],
            "shares": [float(s) for s in state.shares],
            "user_value": state.user_value,
            "price": state.price,
            "prices": [float(p) for p in state.prices],
            "provider_utility": [float(u) for u in state.provider_utility],
            "welfare": state.welfare,
            "poa": json_number(self.poa),
            "poa_infinite": math.isinf(self.poa),
            "steps": self.steps,
            "moves": self.moves,
            "is_equilibrium": self.is_equilibrium,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per provider: its level, theta, share, price and utility per query."""
        return provider_frame(self.game.providers, self.levels, self.state)

    def summary(self) -> str:
        """Welfare and the price of anarchy at the profile."""
        kind = "pure Nash equilibrium" if self.is_equilibrium else "unverified rest point"
        return (
            f"{kind} at levels {list(self.levels)} after {self.steps} steps: welfare "
            f"{number(self.state.welfare)} per query, PoA {number(self.poa)}"
        )


@dataclass(frozen=True, eq=False)
class TruthfulAuction(ResultMixin):
    """The auction when every provider bids truthfully (Theorem 5).

    Attributes:
        game: The game (its curves; ``beta`` and ``V_0`` play no role in the auction).
        bids: Every provider's truthful bid.
        outcome: The auction's outcome.
    """

    game: TTCGame
    bids: tuple[Bid, ...]
    outcome: AuctionOutcome

    def json_record(self) -> dict[str, Any]:
        """The ``auction`` object of ``analyze --json``."""
        game, bids, outcome = self.game, self.bids, self.outcome
        return {
            "winner": game.providers[outcome.winner],
            "runner_up": game.providers[outcome.runner_up],
            "payment": outcome.payment,
            "user_value": outcome.user_value,
            "winner_utility": outcome.winner_utility,
            "welfare": outcome.welfare,
            "winner_theta": float(game.levels[bids[outcome.winner].level]),
            "bids": [
                {"provider": p, "theta": float(game.levels[b.level]), "price": b.price}
                for p, b in zip(game.providers, bids, strict=True)
            ],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per provider: its truthful bid (theta, price per query) and utility."""
        game, outcome = self.game, self.outcome
        return pd.DataFrame(
            {
                "provider": range(1, len(self.bids) + 1),
                "name": game.providers,
                "level": [b.level for b in self.bids],
                "theta": [float(game.levels[b.level]) for b in self.bids],
                "bid_price": [b.price for b in self.bids],
                "provider_utility": np.asarray(outcome.utilities, dtype=float),
                "winner": [k == outcome.winner for k in range(len(self.bids))],
            }
        )

    def summary(self) -> str:
        """Winner, payment and welfare per query."""
        outcome = self.outcome
        return (
            f"truthful auction: {self.game.providers[outcome.winner]} wins, paid "
            f"{number(outcome.payment)} per query; welfare {number(outcome.welfare)} per query"
        )


@dataclass(frozen=True, eq=False)
class Analysis(ResultMixin):
    """Everything ``llm-market ttc analyze`` reports.

    Attributes:
        game: The game.
        source: Where it came from.
        seed: The root seed of the dynamics.
        rule: The better-response rule.
        max_profiles: Largest ``L^N`` enumerated for the pure equilibria.
        equilibrium: Where the dynamics rest.
        max_welfare: The exact maximum welfare and a profile reaching it.
        pure_equilibria: How many pure equilibria (None when ``L^N > max_profiles``).
        auction: The truthful auction.
    """

    game: TTCGame
    source: str
    seed: int
    rule: str
    max_profiles: int
    equilibrium: EquilibriumSummary
    max_welfare: WelfareOptimum
    pure_equilibria: int | None
    auction: TruthfulAuction

    def json_record(self) -> dict[str, Any]:
        """The JSON object of ``analyze --json``.

        Keys: ``seed`` (the root seed used), ``profiles`` (``L^N``), ``max_profiles``,
        ``game`` {source, providers, levels, beta (a number or "inf"), v0, approximate},
        ``equilibrium`` {providers, levels, thetas, shares, user_value, price, prices,
        provider_utility, welfare, poa, poa_infinite, steps, moves, is_equilibrium},
        ``max_welfare`` {welfare, levels, thetas} (an object: the exact maximum welfare and a
        profile reaching it), ``pure_equilibria`` (a count, or null when ``L^N`` exceeds
        ``max_profiles``), ``auction`` {winner, runner_up, payment, user_value, winner_utility,
        welfare, winner_theta, bids}, and ``note`` when the curves are approximate. ``poa`` is
        ``max W / W(theta)`` (Eq. 9) when the equilibrium welfare is positive; when it is
        ``<= 0`` the PoA is infinite: ``poa`` is null and ``poa_infinite`` is true.
        """
        game, optimum = self.game, self.max_welfare
        record = {
            "seed": self.seed,
            "profiles": n_profiles(game),
            "max_profiles": self.max_profiles,
            "game": {
                "source": self.source,
                "providers": list(game.providers),
                "levels": [float(t) for t in game.levels],
                "beta": beta_json(game.beta),
                "v0": game.v0,
                "approximate": bool(game.approximate),
            },
            "equilibrium": self.equilibrium.json_record(),
            "max_welfare": {
                "welfare": optimum.welfare,
                "levels": list(optimum.profile),
                "thetas": [float(game.levels[k]) for k in optimum.profile],
            },
            "pure_equilibria": self.pure_equilibria,
            "auction": self.auction.json_record(),
        }
        if game.approximate:
            record["note"] = APPROXIMATE_NOTE
        return record

    def to_frame(self) -> pd.DataFrame:
        """One row per provider: the equilibrium's columns, a welfare-maximising level, its bid."""
        bids = self.auction.to_frame()
        return self.equilibrium.to_frame().assign(
            max_welfare_level=list(self.max_welfare.profile),
            auction_bid_price=bids["bid_price"],
            auction_winner=bids["winner"],
        )

    def summary(self) -> str:
        """The PoA at the reached profile, the number of pure equilibria and the auction."""
        count = "not counted" if self.pure_equilibria is None else self.pure_equilibria
        return (
            f"{self.source or 'game'}: PoA {number(self.equilibrium.poa)} at the reached "
            f"profile, max welfare {number(self.max_welfare.welfare)} per query, pure equilibria "
            f"{count}; {self.auction.summary()}"
        )


@dataclass(frozen=True, eq=False)
class BetaSweep(ResultMixin):
    """The price of anarchy at the reached equilibrium per beta.

    Attributes:
        seed: The root seed of every run.
        table: One row per beta: ``beta, poa, max_welfare, welfare, steps, is_equilibrium`` and
            ``theta[NAME]`` per provider.
    """

    seed: int
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The table: one row per beta."""
        return self.table

    def summary(self) -> str:
        """The betas swept and the range of the price of anarchy."""
        betas, poa = self.table["beta"], self.table["poa"]
        return (
            f"{len(betas)} user rationalities beta from {number(betas.min())} to "
            f"{number(betas.max())}: PoA from {number(poa.min())} to {number(poa.max())}"
        )


@dataclass(frozen=True, eq=False)
class Comparison(ResultMixin):
    """Table 2: the market at equilibrium against the truthful auction.

    Attributes:
        seed: The root seed of the dynamics.
        is_equilibrium: Whether the market rests at a verified pure equilibrium.
        table: Rows ``user_value, price, provider_utility, welfare``; columns ``quantity, game,
            auction, change_pct``.
    """

    seed: int
    is_equilibrium: bool
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The table: one row per quantity (per query), market against auction."""
        return self.table

    def summary(self) -> str:
        """The change in welfare and in the user's value from the market to the auction."""
        change = self.table.set_index("quantity")["change_pct"]
        return (
            f"auction vs market equilibrium: welfare {number(change['welfare'], 3)} %, user "
            f"value {number(change['user_value'], 3)} % (per query)"
        )


def provider_frame(
    providers: tuple[str, ...], levels: tuple[int, ...], state: MarketState
) -> pd.DataFrame:
    """One row per provider (numbered from 1): level, theta, share, price, utility per query."""
    return pd.DataFrame(
        {
            "provider": range(1, len(providers) + 1),
            "name": list(providers),
            "level": list(levels),
            "theta": list(state.thetas),
            "share": list(state.shares),
            "price": list(state.prices),
            "provider_utility": list(state.provider_utility),
        }
    )
