"""The exact maximum welfare of the game G, without enumerating its ``L^N`` profiles.

- :func:`max_welfare`: Dinkelbach's fractional programming under bounded rationality (welfare
  is a ratio of sums that are separable across providers) and the winner argument under
  perfect rationality.
- :func:`brute_force_max_welfare`: every profile, vectorised and chunked (small games, tests,
  the benchmark), and the enumeration helpers the analysis shares.

The mechanisms need the market's best welfare for its inefficiency ``max W / W`` (Eq. 9), so it
lives here beside them.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Eqs. 5 and 9; Dinkelbach (1967).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from market.core.errors import UserInputError
from mechanisms.ttc.game import TTCGame, welfare

DEFAULT_MAX_PROFILES = 20_000_000
"""Largest ``L^N`` enumerated by default (6^9 = 10M profiles take about 1.5 s)."""
BRUTE_FORCE_CHUNK = 1 << 18


def inefficiency(best_welfare: float, welfare: float) -> float:
    """``max W / W`` (the price of anarchy's ratio, Eqs. 9 and 13); ``inf`` when ``W <= 0``.

    NaN when the best welfare is not available (NaN).

    References:
        Velasco et al. (2026), Eqs. 9 and 13.
    """
    if math.isnan(best_welfare):
        return math.nan
    if welfare <= 0:
        return math.inf
    return best_welfare / welfare


def n_profiles(game: TTCGame) -> int:
    """Number of pure profiles ``L^N``."""
    return game.n_levels**game.n_providers


def check_enumerable(game: TTCGame, max_profiles: int, what: str) -> None:
    """A ``UserInputError`` when the game has more than ``max_profiles`` profiles for ``what``."""
    total = n_profiles(game)
    if total > max_profiles:
        raise UserInputError(
            "game",
            f"at most {max_profiles:,} profiles for {what}",
            f"{game.n_levels}^{game.n_providers} = {total:,} profiles",
            note="use fewer providers or levels, or raise max_profiles",
        )


@dataclass(frozen=True)
class WelfareOptimum:
    """The maximum welfare of a game and a profile achieving it.

    Attributes:
        welfare: ``max_theta W(theta)``.
        profile: A maximising profile (level index per provider).
    """

    welfare: float
    profile: tuple[int, ...]


def _best_levels_dinkelbach(
    log_weight: np.ndarray, contribution: np.ndarray, lam: float
) -> np.ndarray:
    """Per provider, the level maximising ``w_i(l) (W_i(l) - lam)``, compared in log space.

    Positive terms beat zero beats negative; among positive terms the largest
    ``log w + log(W - lam)`` wins, among negative ones the smallest ``log w + log(lam - W)``.
    """
    gap = contribution - lam
    with np.errstate(divide="ignore"):
        log_abs = log_weight + np.log(np.abs(gap))
    has_positive = (gap > 0).any(axis=1)
    has_zero = (gap == 0).any(axis=1)
    best_positive = np.argmax(np.where(gap > 0, log_abs, -np.inf), axis=1)
    best_zero = np.argmax(gap == 0, axis=1)
    best_negative = np.argmin(np.where(gap < 0, log_abs, np.inf), axis=1)
    return np.where(has_positive, best_positive, np.where(has_zero, best_zero, best_negative))


def _dinkelbach_objective_positive(
    game: TTCGame, log_weight: np.ndarray, profile: np.ndarray, lam: float
) -> bool:
    """Whether ``F(lam) = sum_i w_i (W_i - lam) + w_0 (V_0 - lam) > 0`` at ``profile``.

    The positive and negative parts are summed in log space, so the sign is exact even when
    ``F`` is far below the resolution of the welfare ratio.
    """
    rows = np.arange(game.n_providers)
    log_w = np.append(log_weight[rows, profile], game.beta * game.v0)
    gap = np.append(game.contribution[rows, profile], game.v0) - lam
    with np.errstate(divide="ignore"):
        log_terms = log_w + np.log(np.abs(gap))
    positive = np.logaddexp.reduce(np.where(gap > 0, log_terms, -np.inf))
    negative = np.logaddexp.reduce(np.where(gap < 0, log_terms, -np.inf))
    return bool(positive > negative)


def dinkelbach_max_welfare(game: TTCGame, max_iterations: int = 200) -> WelfareOptimum:
    """Exact maximum welfare under bounded rationality by Dinkelbach's method.

    With ``w_i(l) = e^{beta V_i(l)}``, welfare is ``(sum_i w_i W_i + w_0 V_0) / (sum_i w_i +
    w_0)``. For a fixed ``lam``, ``F(lam) = max_theta sum_i w_i (W_i - lam) + w_0 (V_0 - lam)``
    separates into one maximisation per provider; ``lam <- W(theta_lam)`` increases strictly
    until ``F(lam) = 0``, i.e. ``lam = max W``. Finitely many profiles, so it terminates (in a
    handful of steps in practice). Comparisons are in log space, so beta = 1e6 is fine.

    Raises:
        RuntimeError: If ``max_iterations`` pass without ``F(lam) <= 0`` (an internal error:
            never expected, since ``lam`` rises strictly through finitely many profiles).

    References:
        Dinkelbach (1967), "On nonlinear fractional programming"; Velasco et al. (2026), Eq. 5.
    """
    log_weight = game.beta * game.value
    contribution = game.contribution
    profile = np.argmax(contribution, axis=1)
    lam = float(welfare(game, profile))
    for _ in range(max_iterations):
        candidate = _best_levels_dinkelbach(log_weight, contribution, lam)
        if not _dinkelbach_objective_positive(game, log_weight, candidate, lam):
            break
        value = float(welfare(game, candidate))
        if value > lam:
            profile, lam = candidate, value
        else:
            # W(candidate) exceeds lam by less than one ulp: take it and look just above lam.
            profile, lam = candidate, float(np.nextafter(lam, math.inf))
    else:
        raise RuntimeError(
            f"internal error: Dinkelbach's method did not converge in {max_iterations} "
            f"iterations (lam = {lam!r}); please report this game"
        )
    best = float(welfare(game, profile))
    return WelfareOptimum(welfare=best, profile=tuple(int(x) for x in profile))


def winner_max_welfare(game: TTCGame) -> WelfareOptimum:
    """Exact maximum welfare under perfect rationality by the winner argument.

    Whoever offers the top value ``t`` serves everything (ties split equally, abstention
    included), so welfare is the mean contribution of the options tied at ``t``. For every
    candidate ``t`` (each value and ``V_0``), each provider either joins the top with its best
    contribution among levels of value ``t`` or stays below ``t`` at its lowest value; providers
    whose lowest value exceeds ``t`` rule ``t`` out, and those unable to go below must join.
    The best mean for each ``t`` takes the forced options plus the best prefix of the optional
    ones; without ties this is the best ``W_i(l)`` among pairs ``(i, l)`` that beat every other
    provider's lowest value and ``V_0``.

    References:
        Velasco et al. (2026), Table 1 and Eq. 5 (the winner serves all queries).
    """
    values, contribution = game.value, game.contribution
    n = game.n_providers
    tops = np.unique(np.concatenate([values.ravel(), [game.v0]]))
    tops = tops[tops >= game.v0]  # (K,) candidate top values t
    at_top = values[None, :, :] == tops[:, None, None]  # (K, N, L)
    under = values[None, :, :] < tops[:, None, None]
    can_join = at_top.any(axis=2)  # (K, N)
    can_stay_out = under.any(axis=2)
    feasible = (can_join | can_stay_out).all(axis=1)  # nobody is forced above t
    join_level = np.argmax(np.where(at_top, contribution[None], -np.inf), axis=2)  # (K, N)
    join_w = contribution[np.arange(n)[None, :], join_level]
    forced = can_join & ~can_stay_out
    optional = can_join & can_stay_out
    abstains = tops == game.v0
    forced_sum = np.where(forced, join_w, 0.0).sum(axis=1) + np.where(abstains, game.v0, 0.0)
    forced_count = forced.sum(axis=1) + abstains
    # the optional joiners, best first: the best mean takes a prefix of them
    ranked = -np.sort(-np.where(optional, join_w, -np.inf), axis=1)
    prefix = np.concatenate([np.zeros((len(tops), 1)), np.cumsum(ranked, axis=1)], axis=1)
    counts = forced_count[:, None] + np.arange(n + 1)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (forced_sum[:, None] + prefix) / counts
    valid = (counts > 0) & np.isfinite(prefix) & feasible[:, None]
    means = np.where(valid, means, -np.inf)
    k_top, k_joined = np.unravel_index(int(np.argmax(means)), means.shape)
    optional_ids = np.flatnonzero(optional[k_top])
    order = np.argsort(-join_w[k_top, optional_ids], kind="stable")
    joined = set(optional_ids[order][:k_joined].tolist()) | set(np.flatnonzero(forced[k_top]))
    profile = tuple(
        int(join_level[k_top, i]) if i in joined else int(np.argmin(values[i])) for i in range(n)
    )
    return WelfareOptimum(welfare=float(means[k_top, k_joined]), profile=profile)


def max_welfare(game: TTCGame) -> WelfareOptimum:
    """Exact ``max_theta W(theta)`` without enumerating profiles.

    Dinkelbach fractional programming under bounded rationality, the winner argument under
    perfect rationality; both are cross-checked against :func:`brute_force_max_welfare`.

    References:
        Velasco et al. (2026), Eqs. 5 and 9.
    """
    if game.is_perfect:
        return winner_max_welfare(game)
    return dinkelbach_max_welfare(game)


def profile_chunks(game: TTCGame, chunk: int = BRUTE_FORCE_CHUNK) -> Iterator[np.ndarray]:
    """All ``L^N`` profiles in lexicographic order, ``chunk`` rows at a time."""
    shape = (game.n_levels,) * game.n_providers
    total = n_profiles(game)
    for start in range(0, total, chunk):
        flat = np.arange(start, min(start + chunk, total))
        yield np.stack(np.unravel_index(flat, shape), axis=-1)


def brute_force_max_welfare(
    game: TTCGame, max_profiles: int = DEFAULT_MAX_PROFILES, chunk: int = BRUTE_FORCE_CHUNK
) -> WelfareOptimum:
    """``max_theta W(theta)`` by evaluating every profile (vectorised, chunked).

    For small games, tests and the benchmark only; :func:`max_welfare` is the exact method.
    """
    check_enumerable(game, max_profiles, "brute-force maximum welfare")
    best_value, best_profile = -math.inf, None
    for profiles in profile_chunks(game, chunk):
        values = welfare(game, profiles)
        k = int(np.argmax(values))
        if values[k] > best_value:
            best_value, best_profile = float(values[k]), profiles[k]
    assert best_profile is not None
    return WelfareOptimum(welfare=best_value, profile=tuple(int(x) for x in best_profile))
