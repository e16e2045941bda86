"""The test-time compute game G and the reverse second-price scoring auction G~.

N providers each choose a test-time compute level from one shared ordered set Theta; users
split their queries across providers by the value ``V_i = q_i - p_i`` each offers (Table 1 of
the paper); providers earn ``U_i = s_i (p_i - c_i)`` (Eq. 4) and the market's welfare is
``W = sum_i s_i (q_i - c_i) + s_0 V_0`` (Eq. 5). The auction lets providers bid quality and price,
gives the task to the highest bid value and charges the user the second-price payment of Eq. 10.

Everything here is vectorised over profiles: a profile is one level index per provider, and
arrays of profiles have shape ``(..., N)``.

References:
    Velasco, Rontogiannis, Tsirtsis, Gomez-Rodriguez (2026), "Test-Time Compute Games",
    Sections 2 and 4, Table 1, Eqs. 3-5, 7, 10-13, Theorems 1 and 5.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from market.core.errors import UserInputError
from market.core.registry import Registry

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

    Args:
        values: ``(..., N)`` offered values ``V_i``.
        v0: Abstention value ``V_0``.
        beta: Rationality > 0; ``math.inf`` for perfectly rational users.

    Returns:
        ``(..., N)`` shares; ``1 - sum`` is the abstention share.

    References:
        Velasco et al. (2026), Table 1.
    """
    beta = validate_beta(beta)
    if is_perfect(beta):
        return perfect_market_shares(values, v0)
    return logit_market_shares(values, v0, beta)


def abstention_share(values: np.ndarray, v0: float, beta: float) -> np.ndarray:
    """``(...)`` share of queries where users abstain, ``s_0`` (Section 2)."""
    beta = validate_beta(beta)
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


def _check_profiles(game: TTCGame, profiles: Any) -> np.ndarray:
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


def profile_shares(game: TTCGame, profiles: Any) -> np.ndarray:
    """``(..., N)`` market shares at each profile."""
    profiles = _check_profiles(game, profiles)
    return market_shares(at_profiles(game.value, profiles), game.v0, game.beta)


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
    profiles = _check_profiles(game, profiles)
    shares = market_shares(at_profiles(game.value, profiles), game.v0, game.beta)
    return shares * at_profiles(game.profit, profiles)


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
    profiles = _check_profiles(game, profiles)
    values = at_profiles(game.value, profiles)
    shares = market_shares(values, game.v0, game.beta)
    s0 = abstention_share(values, game.v0, game.beta)
    return (shares * at_profiles(game.contribution, profiles)).sum(axis=-1) + s0 * game.v0


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
    return _potential(game, _check_profiles(game, profiles))


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


@dataclass(frozen=True, eq=False)
class MarketOutcome:
    """The pay-for-compute market at one profile (Section 2).

    Attributes:
        profile: Level index per provider.
        shares: ``(N,)`` market shares ``s_i``.
        abstention: Abstention share ``s_0``.
        user_value: Average user value ``sum_i s_i V_i + s_0 V_0``.
        price: Share-weighted price paid per query ``sum_i s_i p_i``.
        provider_utility: ``(N,)`` utilities ``U_i`` (Eq. 4).
        welfare: Social welfare ``W`` (Eq. 5).
        potential: The potential ``Phi`` of Theorem 1 (Eq. 7).
    """

    profile: tuple[int, ...]
    shares: np.ndarray
    abstention: float
    user_value: float
    price: float
    provider_utility: np.ndarray
    welfare: float
    potential: float


def market_outcome(game: TTCGame, profile: Sequence[int]) -> MarketOutcome:
    """Shares, user value, price, utilities, welfare and potential at one profile.

    References:
        Velasco et al. (2026), Table 1, Eqs. 3-5 and 7.
    """
    profile_arr = _check_profiles(game, np.asarray(profile))
    values = at_profiles(game.value, profile_arr)
    shares = market_shares(values, game.v0, game.beta)
    s0 = float(abstention_share(values, game.v0, game.beta))
    utility = shares * at_profiles(game.profit, profile_arr)
    return MarketOutcome(
        profile=tuple(int(x) for x in profile_arr),
        shares=shares,
        abstention=s0,
        user_value=float((shares * values).sum() + s0 * game.v0),
        price=float((shares * at_profiles(game.price, profile_arr)).sum()),
        provider_utility=utility,
        welfare=float((shares * at_profiles(game.contribution, profile_arr)).sum() + s0 * game.v0),
        potential=float(_potential(game, profile_arr)),
    )


# --- unilateral deviations ---------------------------------------------------------------------


def deviation_log_utilities(game: TTCGame, profile: Sequence[int], i: int) -> np.ndarray:
    """``(L,)`` log-utility of provider ``i`` at each of its levels, the others fixed.

    Exact in log space, so shares far below the float range (beta = 1e6) still compare
    correctly: ``log U_i = log(p_i - c_i) + beta V_i - log(e^{beta V_0} + sum_j e^{beta V_j})``
    (Eq. 22). Under perfect rationality it is ``log`` of the utilities (``-inf`` off the top).
    """
    profile_arr = _check_profiles(game, np.asarray(profile))
    return _deviation_log_utilities(game, profile_arr, _check_provider(game, i))


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
    profile_arr = _check_profiles(game, np.asarray(profile))
    return _deviation_utilities(game, profile_arr, _check_provider(game, i))


def _deviation_utilities(game: TTCGame, profile: np.ndarray, i: int) -> np.ndarray:
    """:func:`deviation_utilities` on a checked profile and provider."""
    values = np.repeat(game.value[np.arange(game.n_providers), profile][None, :], game.n_levels, 0)
    values[:, i] = game.value[i]
    shares = market_shares(values, game.v0, game.beta)[:, i]
    return shares * game.profit[i]


def improving_levels(
    game: TTCGame, profile: Sequence[int], i: int, rtol: float = 1e-8
) -> np.ndarray:
    """Level indices that strictly improve provider ``i``'s utility, the others fixed.

    "Strictly" means ``U_i' > U_i (1 + rtol)`` (the authors' notebooks use ``rtol = 1e-8``),
    compared in log space so that it stays exact for very rational users.

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
    profile_arr = _check_profiles(game, np.asarray(profile))
    log_u = _deviation_log_utilities(game, profile_arr, _check_provider(game, i))
    current = log_u[profile_arr[i]]
    return np.flatnonzero(log_u > current + math.log1p(rtol))


def _check_provider(game: TTCGame, i: int) -> int:
    if not 0 <= int(i) < game.n_providers:
        raise UserInputError("provider", f"an index in 0..{game.n_providers - 1}", i)
    return int(i)


# --- the reverse second-price scoring auction (Section 4) --------------------------------------


@dataclass(frozen=True)
class Bid:
    """A provider's bid in the auction: a compute level (hence quality) and a price.

    Attributes:
        level: Level index ``theta_i``; the bid quality is ``q_i(theta_i)`` (truthful, fn. 11).
        price: Bid price ``p_i >= 0``.
    """

    level: int
    price: float


@dataclass(frozen=True, eq=False)
class AuctionOutcome:
    """The outcome of one reverse second-price scoring auction (Eqs. 10-11).

    Attributes:
        winner: Index of the provider with the highest bid value.
        runner_up: Index of the provider with the second-highest bid value.
        payment: ``P = q_winner - V_runner_up`` paid by the user (Eq. 10).
        user_value: ``q_winner - P = V_runner_up``.
        winner_utility: ``P - c_winner(theta_winner)`` (Eq. 11).
        welfare: ``W_winner(theta_winner) = q - c`` of the winner.
        utilities: ``(N,)`` provider utilities (zero for losers).
        bid_values: ``(N,)`` bid values ``q_i(theta_i) - p_i``.
    """

    winner: int
    runner_up: int
    payment: float
    user_value: float
    winner_utility: float
    welfare: float
    utilities: np.ndarray
    bid_values: np.ndarray


def bid_values(game: TTCGame, bids: Sequence[Bid]) -> np.ndarray:
    """``(N,)`` values ``V_i(theta_i, p_i) = q_i(theta_i) - p_i`` of the bids (Section 4)."""
    if len(bids) != game.n_providers:
        raise UserInputError("bids", f"one bid per provider ({game.n_providers})", len(bids))
    levels = _check_profiles(game, np.array([b.level for b in bids]))
    prices = np.array([b.price for b in bids], dtype=float)
    if not np.all(np.isfinite(prices)) or np.any(prices < 0):
        raise UserInputError("bids", "finite non-negative bid prices", prices.tolist())
    return at_profiles(game.quality, levels) - prices


def allocate_to_highest_value(values: np.ndarray) -> tuple[int, int]:
    """Winner and runner-up: the two highest bid values (ties go to the lower index)."""
    order = np.argsort(-values, kind="stable")
    return int(order[0]), int(order[1])


def second_price_payment(winner_quality: float, runner_up_value: float) -> float:
    """Eq. 10: the user pays the winner's quality minus the runner-up's offered value."""
    return winner_quality - runner_up_value


def run_auction(game: TTCGame, bids: Sequence[Bid]) -> AuctionOutcome:
    """Run the reverse second-price scoring auction on one bid per provider.

    The platform allocates the task to the highest bid value ``q_i(theta_i) - p_i``, the user
    pays ``P = q_winner - V_runner_up`` (Eq. 10), the winner earns ``P - c_winner`` and the
    others nothing (Eq. 11); the welfare is the winner's ``q - c``.

    Args:
        game: The providers' curves (``beta`` and ``V_0`` play no role in the auction).
        bids: One :class:`Bid` per provider, in provider order.

    Returns:
        The :class:`AuctionOutcome`.

    References:
        Velasco et al. (2026), Section 4, Eqs. 10-11.
    """
    values = bid_values(game, bids)
    winner, runner_up = allocate_to_highest_value(values)
    level = bids[winner].level
    payment = second_price_payment(float(game.quality[winner, level]), float(values[runner_up]))
    winner_utility = payment - float(game.cost[winner, level])
    utilities = np.zeros(game.n_providers)
    utilities[winner] = winner_utility
    return AuctionOutcome(
        winner=winner,
        runner_up=runner_up,
        payment=payment,
        user_value=float(game.quality[winner, level]) - payment,
        winner_utility=winner_utility,
        welfare=float(game.contribution[winner, level]),
        utilities=utilities,
        bid_values=values,
    )


def auction_utility(game: TTCGame, bids: Sequence[Bid], i: int) -> float:
    """Provider ``i``'s utility (Eq. 11) when everyone bids ``bids``."""
    return float(run_auction(game, bids).utilities[_check_provider(game, i)])


def truthful_bid(game: TTCGame, i: int) -> Bid:
    """The dominant bid of Theorem 5: the welfare-maximising level, priced at its cost.

    ``theta_i* = argmax_theta W_i(theta)`` (lowest level on ties) and ``p_i = c_i(theta_i*)``.

    References:
        Velasco et al. (2026), Theorem 5, Appendix B.5.
    """
    i = _check_provider(game, i)
    level = int(np.argmax(game.contribution[i]))
    return Bid(level=level, price=float(game.cost[i, level]))


def truthful_bids(game: TTCGame) -> list[Bid]:
    """Every provider's truthful bid (Theorem 5)."""
    return [truthful_bid(game, i) for i in range(game.n_providers)]


def auction_max_welfare(game: TTCGame) -> float:
    """``max_i max_theta W_i(theta)``: the best welfare any auction outcome can reach (Eq. 13)."""
    return float(game.contribution.max())


def auction_price_of_anarchy(game: TTCGame, outcome: AuctionOutcome) -> float:
    """Eq. 13: best achievable auction welfare over the outcome's welfare (1 when truthful)."""
    if outcome.welfare <= 0:
        return math.inf
    return auction_max_welfare(game) / outcome.welfare


# --- the mechanism registry --------------------------------------------------------------------


@dataclass(frozen=True)
class PayForComputeParams:
    """Parameters of the pay-for-compute market.

    Attributes:
        rtol: Relative tolerance on "strictly improving" moves (the authors use 1e-8).
    """

    rtol: float = 1e-8

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rtol) and 0 <= self.rtol < 1):
            raise UserInputError("rtol", "a relative tolerance in [0, 1)", self.rtol)


@dataclass(frozen=True)
class SecondPriceAuctionParams:
    """Parameters of the reverse second-price scoring auction: the paper's rule has none.

    Ties in bid value, which the paper assumes away, go to the lower provider index.
    """


MECHANISMS: Registry[Any] = Registry("mechanism")


@MECHANISMS.register
class PayForCompute:
    """The status-quo market: providers pick compute, users pay its price (game G).

    Phases: providers choose levels; users split their queries by offered value (Table 1);
    users pay ``p_i(theta_i)`` and providers earn ``s_i (p_i - c_i)``.

    References:
        Velasco et al. (2026), Section 2, Eqs. 3-5, Table 1.
    """

    name: ClassVar[str] = "pay-for-compute"
    classifier: ClassVar[dict[str, Any]] = {
        "game": "ttc",
        "kind": "market",
        "action": "level",
        "payment": "price per compute",
        "efficient": False,
        "reference": "Velasco et al. 2026, Section 2",
    }
    phases: ClassVar[tuple[str, ...]] = ("choose_levels", "split_demand", "pay")
    Params = PayForComputeParams

    def __init__(self, params: PayForComputeParams | None = None):
        self.params = params or PayForComputeParams()

    def split_demand(self, game: TTCGame, profile: Sequence[int]) -> np.ndarray:
        """Market shares at ``profile`` (Table 1)."""
        return profile_shares(game, profile)

    def outcome(self, game: TTCGame, profile: Sequence[int]) -> MarketOutcome:
        """The market outcome at ``profile``."""
        return market_outcome(game, profile)


@MECHANISMS.register
class SecondPriceAuction:
    """The reverse second-price scoring auction (game G~).

    Phases: providers bid ``(q_i(theta_i), p_i)``; the platform allocates the task to the
    highest value; the user pays the second-price payment of Eq. 10.

    References:
        Velasco et al. (2026), Section 4, Eqs. 10-13, Theorem 5.
    """

    name: ClassVar[str] = "second-price-auction"
    classifier: ClassVar[dict[str, Any]] = {
        "game": "ttc",
        "kind": "auction",
        "action": "bid",
        "payment": "second price (Eq. 10)",
        "efficient": True,
        "reference": "Velasco et al. 2026, Section 4",
    }
    phases: ClassVar[tuple[str, ...]] = ("bid", "allocate", "pay")
    Params = SecondPriceAuctionParams

    def __init__(self, params: SecondPriceAuctionParams | None = None):
        self.params = params or SecondPriceAuctionParams()

    def allocate(self, game: TTCGame, bids: Sequence[Bid]) -> tuple[int, int]:
        """Winner and runner-up of the bids."""
        return allocate_to_highest_value(bid_values(game, bids))

    def outcome(self, game: TTCGame, bids: Sequence[Bid]) -> AuctionOutcome:
        """The auction outcome for ``bids``."""
        return run_auction(game, bids)
