"""Better responses in the game G: unilateral deviations, strict improvement, Theorem 1's potential.

A provider's better response compares its utility at each of its levels with the others fixed.
Every comparison is made in log space (:func:`deviation_log_utilities`), so utilities far below
the float range (beta = 1e6, value gaps of 1e-3) still compare exactly, and "strictly improving"
has one definition, :func:`strictly_improving_levels`, used by the analysis, the mechanisms and
the Mesa model alike.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 3, Eqs. 4, 6, 7 and 22,
    Theorem 1, Appendix B.1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from mechanisms.ttc.game import (
    TTCGame,
    at_profiles,
    check_profiles,
    check_provider,
    log_sum_exp,
    market_shares,
)

DEFAULT_RTOL = 1e-8
"""Relative tolerance on "strictly improving": ``U' > U (1 + rtol)`` (the authors' notebooks)."""


def perfect_potential_constant(game: TTCGame) -> float:
    """The constant ``C`` of the perfect-rationality potential (Eq. 7, Appendix B.1.1).

    ``C = (log P_max - log P_min + 1) / delta_min`` with ``P`` the per-query profits and
    ``delta_min`` the smallest positive gap between values of different providers (and
    ``V_0``). This makes ``C delta_min`` exceed the largest possible drop of the log-profit
    term, which is what the proof needs (the paper states ``C = log U_max / delta_min``; the
    ratio of profits is the quantity the argument of Eq. 20 actually bounds).
    """
    cached = game.__dict__.get("_potential_constant")
    if cached is not None:
        return cached
    values = game.value
    flat = np.concatenate([values.ravel(), [game.v0]])
    owners = np.concatenate([np.repeat(np.arange(game.n_providers), game.n_levels), [-1]])
    gaps = np.abs(flat[:, None] - flat[None, :])
    different = owners[:, None] != owners[None, :]
    positive = gaps[different & (gaps > 0)]
    delta = float(positive.min()) if positive.size else 1.0
    constant = float((game.log_profit.max() - game.log_profit.min() + 1.0) / delta)
    object.__setattr__(game, "_potential_constant", constant)  # a pure function of the game
    return constant


def potential(game: TTCGame, profiles: Any) -> np.ndarray:
    """The ordinal potential ``Phi`` of Theorem 1 (Eq. 7) at each profile.

    Bounded rationality: ``sum_i log(p_i - c_i) + beta sum_i V_i - log(e^{beta V_0} +
    sum_j e^{beta V_j})``. Perfect rationality: ``C V_(2) + log(p_(1) - c_(1))`` where (1) is
    the provider offering the highest value, ``V_(2)`` the second-highest value among the
    other providers and ``V_0``, and ``C`` comes from :func:`perfect_potential_constant`.
    When users abstain (``V_0`` is on top) the profit term is ``log P_min - 1``. Every strictly
    improving unilateral move strictly raises ``Phi`` (under perfect rationality this needs the
    paper's no-ties assumption).

    Args:
        game: The game.
        profiles: ``(..., N)`` level indices.

    Returns:
        ``(...)`` potential values.

    References:
        Velasco et al. (2026), Eq. 7, Theorem 1, Appendix B.1.
    """
    return _potential(game, check_profiles(game, profiles))


def _potential(game: TTCGame, profiles: np.ndarray) -> np.ndarray:
    """:func:`potential` on profiles already checked."""
    values = at_profiles(game.value, profiles)
    log_profit = at_profiles(game.log_profit, profiles)
    if not game.is_perfect:
        z = game.beta * values
        return log_profit.sum(axis=-1) + z.sum(axis=-1) - log_sum_exp(z, game.beta * game.v0)
    options = np.concatenate([values, np.full((*values.shape[:-1], 1), game.v0)], axis=-1)
    order = np.argsort(-options, axis=-1, kind="stable")
    top = order[..., 0]
    second_value = np.take_along_axis(options, order[..., 1:2], axis=-1)[..., 0]
    floor = float(game.log_profit.min()) - 1.0
    padded = np.concatenate([log_profit, np.full((*values.shape[:-1], 1), floor)], axis=-1)
    top_term = np.take_along_axis(padded, top[..., None], axis=-1)[..., 0]
    return perfect_potential_constant(game) * second_value + top_term


def deviation_log_utilities(game: TTCGame, profile: Sequence[int], i: int) -> np.ndarray:
    """``(L,)`` log-utility of provider ``i`` at each of its levels, the others fixed.

    Exact in log space, so shares far below the float range (beta = 1e6) still compare
    correctly: ``log U_i = log(p_i - c_i) + beta V_i - log(e^{beta V_0} + sum_j e^{beta V_j})``
    (Eq. 22). Under perfect rationality it is ``log`` of the utilities (``-inf`` off the top).
    """
    profile_arr = check_profiles(game, np.asarray(profile))
    return _deviation_log_utilities(game, profile_arr, check_provider(game, i))


def _deviation_log_utilities(game: TTCGame, profile: np.ndarray, i: int) -> np.ndarray:
    """:func:`deviation_log_utilities` on a checked profile and provider."""
    if game.is_perfect:
        with np.errstate(divide="ignore"):
            return np.log(_deviation_utilities(game, profile, i))
    others = np.arange(game.n_providers) != i
    z_others = game.beta * game.value[others, profile[others]]
    log_rest = log_sum_exp(z_others, game.beta * game.v0)
    z_i = game.beta * game.value[i]
    return game.log_profit[i] + z_i - np.logaddexp(z_i, log_rest)


def deviation_utilities(game: TTCGame, profile: Sequence[int], i: int) -> np.ndarray:
    """``(L,)`` utility of provider ``i`` at each of its levels, the others fixed (Eq. 4)."""
    profile_arr = check_profiles(game, np.asarray(profile))
    return _deviation_utilities(game, profile_arr, check_provider(game, i))


def _deviation_utilities(game: TTCGame, profile: np.ndarray, i: int) -> np.ndarray:
    """:func:`deviation_utilities` on a checked profile and provider."""
    values = np.repeat(game.value[np.arange(game.n_providers), profile][None, :], game.n_levels, 0)
    values[:, i] = game.value[i]
    shares = market_shares(values, game.v0, game.beta)[:, i]
    return shares * game.profit[i]


def strictly_improving_levels(
    log_utilities: np.ndarray, current: int, rtol: float = DEFAULT_RTOL
) -> tuple[int, ...]:
    """Levels whose utility exceeds the current one by a factor of more than ``1 + rtol``.

    Compared in log space, ``log U' > log U + log(1 + rtol)``, so utilities far below the float
    range (beta = 1e6) still compare correctly; a current utility of 0 (``-inf``) is beaten by
    any positive one. This is the one definition of a strictly improving move.

    Args:
        log_utilities: ``(L,)`` log-utility of the provider at each of its levels.
        current: Its current level index.
        rtol: Relative tolerance on strict improvement.

    Returns:
        The improving level indices, ascending (empty when none improves).

    References:
        Velasco et al. (2026), Section 3 (better-response dynamics) and Eq. 6.
    """
    log_utilities = np.asarray(log_utilities, dtype=float)
    threshold = log_utilities[current] + math.log1p(rtol)
    return tuple(int(k) for k in np.flatnonzero(log_utilities > threshold) if k != current)


def improving_levels(
    game: TTCGame, profile: Sequence[int], i: int, rtol: float = DEFAULT_RTOL
) -> np.ndarray:
    """Level indices that strictly improve provider ``i``'s utility, the others fixed.

    :func:`strictly_improving_levels` on :func:`deviation_log_utilities`.

    Args:
        game: The game.
        profile: Level index per provider.
        i: Provider index.
        rtol: Relative tolerance on strict improvement.

    Returns:
        Sorted level indices (possibly empty).

    References:
        Velasco et al. (2026), Section 3 (better-response dynamics).
    """
    profile_arr = check_profiles(game, np.asarray(profile))
    log_u = _deviation_log_utilities(game, profile_arr, check_provider(game, i))
    return np.array(strictly_improving_levels(log_u, int(profile_arr[i]), rtol), dtype=np.int64)
