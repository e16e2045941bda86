"""The formulas of Mechanism 1 (Cao et al. 2026) and of the authors' simulator.

Pure functions of public numbers: the exploration size B, the confidence radius M, the
validation threshold, the exploration deltas, the exploitation length T_R, the artifact's
constants and the random blind-trust quotas. Each cites the line of Mechanism 1 it implements
(the artifact's: ``docs/delegation-variant.md``); the known answers in the tests were worked out
by hand.

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Section 4, Mechanism 1;
    ``docs/delegation-variant.md``.
"""

from __future__ import annotations

import math

import numpy as np

#: The artifact's gamma: the divisor of the validation slack (3, as in the paper).
ARTIFACT_GAMMA = 3.0


def exploration_size(T: int, eps: float) -> int:
    """``B = floor(T^(2 eps))``: queries per provider in exploration (Mechanism 1, line 2)."""
    return math.floor(T ** (2.0 * eps))


def confidence_radius(T: int, K: int, eps: float) -> float:
    """``M = T^(-eps) ln(K T)`` (Mechanism 1, line 2)."""
    return T ** (-eps) * math.log(K * T)


def validation_threshold(
    u_prime: float,
    reward_bound: float,
    price: float,
    max_length: int,
    radius: float,
    gamma: float = 3.0,
) -> float:
    """Lowest acceptable mean exploitation utility ``u' - (R + p_{i*} L) M / 3`` (line 15).

    The paper prints ``b``; it is the reward bound ``R`` (``docs/delegation-variant.md``). The
    artifact names the divisor ``gamma`` (3 there too).
    """
    return u_prime - (reward_bound + price * max_length) * radius / gamma


def exploration_delta(mean_reward: float, mean_length: float, price: float, max_length: int):
    """``delta_i = 2 v_i / (p_i L) - 2 tau_i / L`` (Mechanism 1, line 7)."""
    return 2.0 * mean_reward / (price * max_length) - 2.0 * mean_length / max_length


def exploitation_length_paper(
    T: int,
    K: int,
    B: int,
    reward_bound: float,
    min_price: float,
    max_length: int,
    other_deltas: float,
) -> int:
    """``T_R = floor(T - (5K + 2R/(min p L) + sum_{i != i*} delta_i) B - K)``, >= 0 (line 11)."""
    slack = 5 * K + 2.0 * reward_bound / (min_price * max_length) + other_deltas
    return max(0, math.floor(T - slack * B - K))


def artifact_delta1(model_stats: tuple[tuple[float, float], ...], max_length: int) -> float:
    """``delta1 = -ln min mu_r + ln max mu_l + max mu_l / L + 1`` over all models.

    The artifact's constant (``docs/delegation-variant.md``).
    """
    rewards = [r for r, _ in model_stats]
    lengths = [length for _, length in model_stats]
    return -math.log(min(rewards)) + math.log(max(lengths)) + max(lengths) / max_length + 1.0


def artifact_log_margin(mean_reward: float, mean_length: float, max_length: int) -> float:
    """``ln v_i - ln tau_i - tau_i / L``, the artifact's per-provider term.

    See ``docs/delegation-variant.md``.
    """
    with np.errstate(divide="ignore"):
        return float(np.log(mean_reward) - np.log(mean_length) - mean_length / max_length)


def bernoulli_quota(expected: float, rng: np.random.Generator, cap: int) -> int:
    """``floor(x)`` queries plus one more with probability ``x - floor(x)`` (lines 27-28).

    ``x`` is capped at ``cap`` (the horizon T: no phase can use more), which also keeps an
    infinite quota (a provider observed with zero mean length) finite.
    """
    expected = min(expected, cap)
    whole = math.floor(expected)
    return int(whole) + int(rng.random() < expected - whole)
