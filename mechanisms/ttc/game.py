"""The test-time compute game G: providers, levels, curves, market shares and welfare.

N providers each choose a test-time compute level from one shared ordered set Theta; users
split their queries across providers by the value ``V_i = q_i - p_i`` each offers (Table 1 of
the paper); providers earn ``U_i = s_i (p_i - c_i)`` (Eq. 4) and the market's welfare is
``W = sum_i s_i (q_i - c_i) + s_0 V_0`` (Eq. 5).

Everything here is vectorised over profiles: a profile is one level index per provider, and
arrays of profiles have shape ``(..., N)``. The user rationality ``beta`` is validated once, when
a :class:`TTCGame` is built (:func:`validate_beta`); the share functions trust the game's.

References:
    Velasco, Rontogiannis, Tsirtsis, Gomez-Rodriguez (2026), "Test-Time Compute Games",
    Section 2, Table 1, Eqs. 1-5.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from market.core.errors import UserInputError

PERFECT = math.inf
"""``beta = inf``: perfectly rational users (the Bertrand column of Table 1)."""


def is_perfect(beta: float) -> bool:
    """Whether ``beta`` means perfectly rational users (``beta = inf``)."""
    return math.isinf(beta)


def validate_beta(beta: float, field: str = "beta") -> float:
    """``beta`` as a float, or a ``UserInputError`` unless it is positive (``inf`` allowed)."""
    try:
        value = float(beta)
    except (TypeError, ValueError):
        raise UserInputError(field, "a positive number or inf", beta) from None
    if math.isnan(value) or value <= 0:
        raise UserInputError(field, "a positive number or inf (perfect rationality)", beta)
    return value


def _curve(name: str, array: Any, shape: tuple[int, int]) -> np.ndarray:
    """A read-only float copy of one (N, L) curve, validated for shape and finiteness."""
    curve = np.array(array, dtype=float)
    if curve.shape != shape:
        raise UserInputError(name, f"an array of shape {shape} (providers x levels)", curve.shape)
    if not np.all(np.isfinite(curve)):
        raise UserInputError(name, "finite numbers (no NaN or inf)", "non-finite entries")
    if np.any(curve < 0):
        provider, level = np.argwhere(curve < 0)[0]
        raise UserInputError(
            name,
            "non-negative numbers",
            float(curve[provider, level]),
            note=f"provider index {provider}, level index {level}",
        )
    curve.setflags(write=False)
    return curve


@dataclass(frozen=True, eq=False)
class TTCGame:
    """A test-time compute game (Section 2): providers, shared levels and per-level curves.

    Attributes:
        providers: The N provider names (N >= 2).
        levels: The shared ordered compute levels Theta (theta values, strictly increasing).
        quality: ``(N, L)`` average output quality ``q_i(theta)``.
        cost: ``(N, L)`` average generation cost ``c_i(theta)``.
        price: ``(N, L)`` average price ``p_i(theta)``; must exceed the cost everywhere (the
            paper's footnote 6; the potential of Theorem 1 takes ``log(p - c)``).
        v0: Abstention value ``V_0``.
        beta: User rationality; ``math.inf`` (``PERFECT``) means perfectly rational users.
        approximate: True when built from digitised curves; outputs must say so.
        level_labels: Optional display names of the levels (e.g. ``("low", "high")``).

    References:
        Velasco et al. (2026), Section 2, Eqs. 1-5 and Table 1.
    """

    providers: tuple[str, ...]
    levels: tuple[float, ...]
    quality: np.ndarray
    cost: np.ndarray
    price: np.ndarray
    v0: float = 0.0
    beta: float = PERFECT
    approximate: bool = False
    level_labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        providers = tuple(str(p) for p in self.providers)
        if len(providers) < 2:
            raise UserInputError("providers", "at least two providers", len(providers))
        if len(set(providers)) != len(providers):
            raise UserInputError("providers", "unique provider names", providers)
        levels = tuple(float(t) for t in self.levels)
        if len(levels) < 1 or not all(math.isfinite(t) for t in levels):
            raise UserInputError("levels", "at least one finite compute level", self.levels)
        if any(b <= a for a, b in itertools.pairwise(levels)):
            raise UserInputError("levels", "strictly increasing compute levels", levels)
        shape = (len(providers), len(levels))
        quality = _curve("quality", self.quality, shape)
        cost = _curve("cost", self.cost, shape)
        price = _curve("price", self.price, shape)
        if np.any(price <= cost):
            provider, level = np.argwhere(price <= cost)[0]
            raise UserInputError(
                "price",
                "a price above the cost at every level (positive profit)",
                float(price[provider, level]),
                note=f"provider {providers[provider]!r} at level {levels[level]:g} "
                f"costs {cost[provider, level]:g}",
            )
        v0 = float(self.v0)
        if not math.isfinite(v0):
            raise UserInputError("v0", "a finite abstention value", self.v0)
        labels = self.level_labels
        if labels is not None:
            labels = tuple(str(x) for x in labels)
            if len(labels) != len(levels):
                raise UserInputError("level_labels", f"{len(levels)} labels", len(labels))
        for name, value in (
            ("providers", providers),
            ("levels", levels),
            ("quality", quality),
            ("cost", cost),
            ("price", price),
            ("v0", v0),
            ("beta", validate_beta(self.beta)),
            ("approximate", bool(self.approximate)),
            ("level_labels", labels),
        ):
            object.__setattr__(self, name, value)
        for name, derived in (
            ("_value", quality - price),
            ("_profit", price - cost),
            ("_contribution", quality - cost),
        ):
            derived.setflags(write=False)
            object.__setattr__(self, name, derived)
        log_profit = np.log(price - cost)
        log_profit.setflags(write=False)
        object.__setattr__(self, "_log_profit", log_profit)

    @property
    def n_providers(self) -> int:
        """Number of providers N."""
        return len(self.providers)

    @property
    def n_levels(self) -> int:
        """Number of compute levels L = |Theta|."""
        return len(self.levels)

    @property
    def value(self) -> np.ndarray:
        """``(N, L)`` user value ``V_i(theta) = q_i(theta) - p_i(theta)`` (Eq. 3)."""
        return self._value

    @property
    def profit(self) -> np.ndarray:
        """``(N, L)`` per-query profit ``p_i(theta) - c_i(theta)`` (Eq. 2)."""
        return self._profit

    @property
    def contribution(self) -> np.ndarray:
        """``(N, L)`` welfare contribution ``W_i(theta) = q_i(theta) - c_i(theta)`` (Eq. 5)."""
        return self._contribution

    @property
    def log_profit(self) -> np.ndarray:
        """``(N, L)`` ``log(p_i(theta) - c_i(theta))`` (the potential's first term, Eq. 7)."""
        return self._log_profit

    @property
    def is_perfect(self) -> bool:
        """Whether users are perfectly rational (``beta = inf``)."""
        return is_perfect(self.beta)

    def with_beta(self, beta: float) -> TTCGame:
        """The same providers facing users of rationality ``beta``."""
        return dataclasses.replace(self, beta=beta)

    def with_v0(self, v0: float) -> TTCGame:
        """The same game with abstention value ``v0``."""
        return dataclasses.replace(self, v0=v0)

    def level_label(self, level: int) -> str:
        """Display name of level index ``level``."""
        if self.level_labels is not None:
            return self.level_labels[level]
        return f"{self.levels[level]:g}"

    def profit_violations(self) -> list[tuple[str, float, float]]:
        """Adjacent level pairs where profit does not strictly increase (assumption 2, Eq. 2).

        Returns:
            ``(provider, theta_low, theta_high)`` for each violation; empty when Eq. 2 holds.
        """
        steps = np.diff(self.profit, axis=1)
        return [
            (self.providers[i], self.levels[k], self.levels[k + 1])
            for i, k in np.argwhere(steps <= 0)
        ]


# --- market shares (Table 1) -------------------------------------------------------------------


def logit_market_shares(values: np.ndarray, v0: float, beta: float) -> np.ndarray:
    """Boundedly rational shares ``exp(beta V_i) / (exp(beta V_0) + sum_j exp(beta V_j))``.

    Computed with the largest exponent subtracted (values and ``V_0`` together), so nothing
    overflows and the best option keeps a share of at least ``1 / (N + 1)`` even for beta = 1e6
    and values of order 1e-3.

    Args:
        values: ``(..., N)`` offered values.
        v0: Abstention value.
        beta: Finite rationality > 0.

    Returns:
        ``(..., N)`` market shares.

    References:
        Velasco et al. (2026), Table 1 (bounded rationality).
    """
    z = beta * np.asarray(values, dtype=float)
    z0 = beta * v0
    top = np.maximum(z.max(axis=-1, keepdims=True), z0)
    weights = np.exp(z - top)
    total = weights.sum(axis=-1, keepdims=True) + np.exp(z0 - top)
    return weights / total


def perfect_market_shares(values: np.ndarray, v0: float) -> np.ndarray:
    """Perfectly rational shares: the highest value takes all (Bertrand, Table 1).

    Ties at the top are split equally among the tied options, abstention included (the limit
    of the logit shares as beta grows); nobody is served when every value is below ``V_0``.
    The paper assumes no ties (Section 2); the split only makes ties well defined.

    Args:
        values: ``(..., N)`` offered values.
        v0: Abstention value.

    Returns:
        ``(..., N)`` market shares.

    References:
        Velasco et al. (2026), Table 1 (perfect rationality).
    """
    values = np.asarray(values, dtype=float)
    top = values.max(axis=-1, keepdims=True)
    best = np.maximum(top, v0)
    at_top = values == best
    n_tied = at_top.sum(axis=-1, keepdims=True) + (best == v0)
    return at_top / n_tied


def market_shares(values: np.ndarray, v0: float, beta: float) -> np.ndarray:
    """Market shares of Table 1: logit for finite ``beta``, winner-takes-all for ``inf``.

    ``beta`` is not checked here (a :class:`TTCGame` checked it when it was built, with
    :func:`validate_beta`).

    Args:
        values: ``(..., N)`` offered values ``V_i``.
        v0: Abstention value ``V_0``.
        beta: Rationality > 0; ``math.inf`` for perfectly rational users.

    Returns:
        ``(..., N)`` shares; ``1 - sum`` is the abstention share.

    References:
        Velasco et al. (2026), Table 1.
    """
    if is_perfect(beta):
        return perfect_market_shares(values, v0)
    return logit_market_shares(values, v0, beta)


def abstention_share(values: np.ndarray, v0: float, beta: float) -> np.ndarray:
    """``(...)`` share of queries where users abstain, ``s_0`` (Section 2)."""
    values = np.asarray(values, dtype=float)
    if is_perfect(beta):
        best = np.maximum(values.max(axis=-1), v0)
        n_tied = (values == best[..., None]).sum(axis=-1) + (best == v0)
        return (best == v0) / n_tied
    z = beta * values
    z0 = beta * v0
    top = np.maximum(z.max(axis=-1), z0)
    return np.exp(z0 - top) / (np.exp(z - top[..., None]).sum(axis=-1) + np.exp(z0 - top))


def log_sum_exp(z: np.ndarray, z0: float) -> np.ndarray:
    """``log(exp(z0) + sum_j exp(z_j))`` over the last axis, computed stably."""
    top = np.maximum(z.max(axis=-1), z0)
    return top + np.log(np.exp(z - top[..., None]).sum(axis=-1) + np.exp(z0 - top))


# --- the game at profiles ----------------------------------------------------------------------


def check_profiles(game: TTCGame, profiles: Any) -> np.ndarray:
    """Profiles as an int array ``(..., N)`` with every index inside ``[0, L)``."""
    profiles = np.asarray(profiles)
    if profiles.ndim == 0 or profiles.shape[-1] != game.n_providers:
        raise UserInputError(
            "profile", f"one level index per provider ({game.n_providers})", profiles.shape
        )
    if profiles.dtype.kind not in "iu":
        if not np.all(np.equal(np.mod(profiles, 1), 0)):
            raise UserInputError("profile", "integer level indices", profiles.tolist())
        profiles = profiles.astype(np.int64)
    if profiles.size and (profiles.min() < 0 or profiles.max() >= game.n_levels):
        raise UserInputError(
            "profile", f"level indices in 0..{game.n_levels - 1}", profiles.tolist()
        )
    return profiles


def at_profiles(curve: np.ndarray, profiles: np.ndarray) -> np.ndarray:
    """Gather ``curve[i, profiles[..., i]]`` for every provider: ``(N, L)`` -> ``(..., N)``."""
    return curve[np.arange(curve.shape[0]), profiles]


def provider_utilities(game: TTCGame, profiles: Any) -> np.ndarray:
    """Provider utilities ``U_i = s_i (p_i - c_i)`` (Eq. 4) at each profile.

    Args:
        game: The game.
        profiles: ``(..., N)`` level indices.

    Returns:
        ``(..., N)`` utilities.

    References:
        Velasco et al. (2026), Eq. 4.
    """
    profiles = check_profiles(game, profiles)
    shares = market_shares(at_profiles(game.value, profiles), game.v0, game.beta)
    return shares * at_profiles(game.profit, profiles)


def welfare_from_shares(
    contribution: np.ndarray, shares: np.ndarray, abstention: np.ndarray | float, v0: float
) -> np.ndarray:
    """Eq. 5 from shares: ``sum_i s_i W_i + s_0 V_0`` over the last axis.

    Args:
        contribution: ``(..., N)`` contributions ``W_i(theta_i) = q_i - c_i`` at the profiles.
        shares: ``(..., N)`` market shares ``s_i``.
        abstention: ``(...)`` abstention shares ``s_0``.
        v0: Abstention value ``V_0``.

    Returns:
        ``(...)`` welfare values.

    References:
        Velasco et al. (2026), Eq. 5.
    """
    return (shares * contribution).sum(axis=-1) + abstention * v0


def welfare(game: TTCGame, profiles: Any) -> np.ndarray:
    """Social welfare ``W = sum_i s_i W_i + s_0 V_0`` (Eq. 5) at each profile.

    Args:
        game: The game.
        profiles: ``(..., N)`` level indices.

    Returns:
        ``(...)`` welfare values.

    References:
        Velasco et al. (2026), Eq. 5.
    """
    profiles = check_profiles(game, profiles)
    values = at_profiles(game.value, profiles)
    shares = market_shares(values, game.v0, game.beta)
    s0 = abstention_share(values, game.v0, game.beta)
    return welfare_from_shares(at_profiles(game.contribution, profiles), shares, s0, game.v0)


def check_provider(game: TTCGame, i: int) -> int:
    """Provider index ``i`` as an int, or a ``UserInputError`` when it is out of range."""
    if not 0 <= int(i) < game.n_providers:
        raise UserInputError("provider", f"an index in 0..{game.n_providers - 1}", i)
    return int(i)
