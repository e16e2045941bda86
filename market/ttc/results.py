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

from market.core.errors import UserInputError
from market.core.output import json_number
from market.core.values import split_range
from market.ttc.curves import APPROXIMATE_NOTE
from market.ttc.state import MarketState
from mechanisms.ttc.auction import AuctionOutcome, Bid
from mechanisms.ttc.game import TTCGame
from mechanisms.ttc.optimum import WelfareOptimum, n_profiles


def beta_json(beta: float) -> float | str:
    """``beta`` for JSON: a number, or ``"inf"`` for perfectly rational users."""
    return "inf" if math.isinf(beta) else beta


@dataclass(frozen=True, eq=False)
class GameSpec:
    """A game, where it came from, and the warnings building it raised.

    Attributes:
        game: The game.
        source: ``"scenario NAME"`` or ``"curves PATH (BENCHMARK, METHOD)"``.
        warnings: Messages of the warnings raised (e.g. the paper's assumption 2 failing).
    """

    game: TTCGame
    source: str
    warnings: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Dynamics:
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


@dataclass(frozen=True, eq=False)
class TTCResult:
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the record's own field names (non-finite numbers become null)."""
        return {
            "seed": self.seed,
            "mechanism": self.mechanism,
            "providers": list(self.providers),
            "levels": list(self.levels),
            "state": {key: json_values(value) for key, value in vars(self.state).items()},
            "max_welfare": json_number(self.max_welfare),
            "steps": self.steps,
            "moves": self.moves,
            "stop_reason": self.stop_reason,
            "equilibrium_reached": self.equilibrium_reached,
            "n_users": self.n_users,
        }


def json_values(value: Any) -> Any:
    """A state field for JSON: floats through :func:`json_number`, tuples as lists."""
    if isinstance(value, tuple):
        return [json_values(v) for v in value]
    return json_number(value) if isinstance(value, float) else value


@dataclass(frozen=True, eq=False)
class EquilibriumSummary:
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; ``poa`` is null and ``poa_infinite`` true when the PoA is infinite."""
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


@dataclass(frozen=True, eq=False)
class TruthfulAuction:
    """The auction when every provider bids truthfully (Theorem 5).

    Attributes:
        game: The game (its curves; ``beta`` and ``V_0`` play no role in the auction).
        bids: Every provider's truthful bid.
        outcome: The auction's outcome.
    """

    game: TTCGame
    bids: tuple[Bid, ...]
    outcome: AuctionOutcome

    def to_dict(self) -> dict[str, Any]:
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


@dataclass(frozen=True, eq=False)
class Analysis:
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

    def to_dict(self) -> dict[str, Any]:
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
            "equilibrium": self.equilibrium.to_dict(),
            "max_welfare": {
                "welfare": optimum.welfare,
                "levels": list(optimum.profile),
                "thetas": [float(game.levels[k]) for k in optimum.profile],
            },
            "pure_equilibria": self.pure_equilibria,
            "auction": self.auction.to_dict(),
        }
        if game.approximate:
            record["note"] = APPROXIMATE_NOTE
        return record


@dataclass(frozen=True, eq=False)
class BetaSweep:
    """The price of anarchy at the reached equilibrium per beta.

    Attributes:
        seed: The root seed of every run.
        table: One row per beta: ``beta, poa, max_welfare, welfare, steps, is_equilibrium`` and
            ``theta[NAME]`` per provider.
    """

    seed: int
    table: pd.DataFrame


@dataclass(frozen=True, eq=False)
class Comparison:
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


PERFECT_WORDS = ("inf", "+inf", "infinity", "perfect")


def parse_beta(text: str, field: str = "beta") -> float:
    """``inf`` (perfect rationality) or a finite number, read from text.

    Only the words ``inf``/``infinity``/``perfect`` mean perfect rationality: a number too large
    for a float (``1e400``) is refused rather than silently read as ``inf``. Whether the number
    is a valid rationality (> 0) is checked once, where the game is built
    (:func:`mechanisms.ttc.game.validate_beta`).
    """
    cleaned = str(text).strip().lower()
    if cleaned in PERFECT_WORDS:
        return math.inf
    try:
        value = float(cleaned)
    except ValueError:
        raise UserInputError(field, "a positive number or inf", text) from None
    if not math.isfinite(value):
        raise UserInputError(
            field, "a finite positive number (write inf for perfect rationality)", text
        )
    return value


def parse_betas(text: str) -> np.ndarray:
    """``LO:HI:N`` -> N log-spaced betas from LO to HI (``0 < LO <= HI``, ``N >= 1``)."""
    low_text, high_text, count = split_range(text, "betas", "1:1e6:100")
    low, high = parse_beta(low_text, "betas"), parse_beta(high_text, "betas")
    if not (0 < low <= high < math.inf):
        raise UserInputError("betas", "finite 0 < LO <= HI in LO:HI:N", text)
    return np.geomspace(low, high, count)
