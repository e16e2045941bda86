"""Exact analysis of test-time compute games: equilibria, maximum welfare, price of anarchy.

- :func:`pure_equilibria` finds every pure Nash equilibrium exactly, vectorised over the grid of
  all ``L^N`` profiles (one provider and one slice at a time, so memory stays modest).
- :func:`max_welfare` finds the exact maximum welfare without enumerating profiles: by
  Dinkelbach's fractional programming under bounded rationality (welfare is a ratio of sums
  that are separable across providers) and by the winner argument under perfect rationality.
  :func:`brute_force_max_welfare` enumerates every profile (small games, tests, benchmark).
- :func:`theorem_2_conditions` is the full Theorem 2 characterisation (parts (i) and (ii);
  :func:`dominant_provider_level` is part (i) alone); :func:`price_of_anarchy` is Eq. 9;
  :func:`better_response_graph` is the better-response graph of a small game.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 3: Eqs. 6, 8, 9, Theorems 1-2.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from market.core.errors import UserInputError
from mechanisms.ttc.game import (
    TTCGame,
    _check_profiles,
    at_profiles,
    improving_levels,
    welfare,
)

DEFAULT_MAX_PROFILES = 20_000_000
GRAPH_MAX_PROFILES = 50_000
BRUTE_FORCE_CHUNK = 1 << 18


def n_profiles(game: TTCGame) -> int:
    """Number of pure profiles ``L^N``."""
    return game.n_levels**game.n_providers


def _check_enumerable(game: TTCGame, max_profiles: int, what: str) -> None:
    total = n_profiles(game)
    if total > max_profiles:
        raise UserInputError(
            "game",
            f"at most {max_profiles:,} profiles for {what}",
            f"{game.n_levels}^{game.n_providers} = {total:,} profiles",
            note="use fewer providers or levels, or raise max_profiles",
        )


# --- pure Nash equilibria ----------------------------------------------------------------------


def _axis_view(row: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """``row`` (length L or 1) reshaped to lie along ``axis`` of an ``ndim``-d grid."""
    shape = [1] * ndim
    shape[axis] = row.shape[0]
    return row.reshape(shape)


def _slice_rows(game: TTCGame, curve: np.ndarray, fixed_axis: int, index: int) -> list[np.ndarray]:
    """Per-provider rows of ``curve`` with provider ``fixed_axis`` pinned to level ``index``."""
    rows = []
    for j in range(game.n_providers):
        row = curve[j, index : index + 1] if j == fixed_axis else curve[j]
        rows.append(_axis_view(row, j, game.n_providers))
    return rows


def _no_improvement_logit(
    game: TTCGame, i: int, z_rows: list[np.ndarray], rtol: float
) -> np.ndarray:
    """Grid mask: provider ``i`` has no strictly improving level (bounded rationality).

    ``log U_i(l; theta_-i) = log(p_i - c_i)(l) + z_i(l) - logaddexp(z_i(l), log S_-i)`` with
    ``z = beta V`` and ``S_-i = e^{beta V_0} + sum_{j != i} e^{z_j}`` (Eq. 22), in log space.
    """
    others = [z for j, z in enumerate(z_rows) if j != i]
    z0 = game.beta * game.v0
    top = others[0]
    for z in others[1:]:
        top = np.maximum(top, z)
    top = np.maximum(top, z0)
    total = np.exp(z0 - top)
    for z in others:
        total = total + np.exp(z - top)
    log_rest = top + np.log(total)
    z_i = z_rows[i]
    log_u = np.log(_axis_view(game.profit[i], i, game.n_providers)) + z_i
    log_u = log_u - np.logaddexp(z_i, log_rest)
    best = log_u.max(axis=i, keepdims=True)
    return best <= log_u + math.log1p(rtol)


def _no_improvement_perfect(
    game: TTCGame, i: int, v_rows: list[np.ndarray], rtol: float
) -> np.ndarray:
    """Grid mask: provider ``i`` has no strictly improving level (perfect rationality).

    Provider ``i`` at level ``l`` serves everything when ``V_i(l)`` beats the best other option
    ``M_-i`` (other providers and ``V_0``), a ``1 / (k + 1)`` share on a ``k``-way tie, else 0.
    """
    others = [v for j, v in enumerate(v_rows) if j != i]
    best_other = others[0]
    for v in others[1:]:
        best_other = np.maximum(best_other, v)
    best_other = np.maximum(best_other, game.v0)
    n_tied = (best_other == game.v0).astype(float)
    for v in others:
        n_tied = n_tied + (v == best_other)
    v_i = v_rows[i]
    share = np.where(v_i > best_other, 1.0, np.where(v_i == best_other, 1.0 / (n_tied + 1), 0.0))
    utility = share * _axis_view(game.profit[i], i, game.n_providers)
    best = utility.max(axis=i, keepdims=True)
    return best <= utility + rtol * np.abs(utility)


def equilibrium_mask(
    game: TTCGame, rtol: float = 1e-8, max_profiles: int = DEFAULT_MAX_PROFILES
) -> np.ndarray:
    """Boolean grid of shape ``(L,) * N``: True where the profile is a pure Nash equilibrium.

    A profile is an equilibrium when no provider has a level with ``U_i' > U_i (1 + rtol)``
    (Eq. 6, with the same tolerance as :func:`mechanisms.ttc.improving_levels`). Computed one
    provider at a time, in ``L`` slices of ``L^(N-1)`` profiles.

    References:
        Velasco et al. (2026), Eq. 6.
    """
    _check_enumerable(game, max_profiles, "exact equilibrium enumeration")
    n, levels = game.n_providers, game.n_levels
    mask = np.ones((levels,) * n, dtype=bool)
    curve = game.value if game.is_perfect else game.beta * game.value
    for i in range(n):
        fixed_axis = 1 if i == 0 else 0
        for k in range(levels):
            rows = _slice_rows(game, curve, fixed_axis, k)
            if game.is_perfect:
                ok = _no_improvement_perfect(game, i, rows, rtol)
            else:
                ok = _no_improvement_logit(game, i, rows, rtol)
            index = [slice(None)] * n
            index[fixed_axis] = slice(k, k + 1)
            mask[tuple(index)] &= ok
    return mask


def pure_equilibria(game: TTCGame, max_profiles: int = DEFAULT_MAX_PROFILES) -> np.ndarray:
    """Every pure Nash equilibrium of the game, exactly.

    Args:
        game: The game.
        max_profiles: Refuse (``UserInputError``) when ``L^N`` exceeds this.

    Returns:
        ``(n_eq, N)`` level indices, in lexicographic order.

    References:
        Velasco et al. (2026), Eq. 6; existence by Theorem 1.
    """
    mask = equilibrium_mask(game, max_profiles=max_profiles)
    return np.argwhere(mask).astype(np.int64)


def is_equilibrium(game: TTCGame, profile: Sequence[int], rtol: float = 1e-8) -> bool:
    """Whether no provider has a strictly improving level at ``profile`` (Eq. 6)."""
    return all(improving_levels(game, profile, i, rtol).size == 0 for i in range(game.n_providers))


# --- maximum welfare ---------------------------------------------------------------------------


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
    _check_enumerable(game, max_profiles, "brute-force maximum welfare")
    best_value, best_profile = -math.inf, None
    for profiles in profile_chunks(game, chunk):
        values = welfare(game, profiles)
        k = int(np.argmax(values))
        if values[k] > best_value:
            best_value, best_profile = float(values[k]), profiles[k]
    assert best_profile is not None
    return WelfareOptimum(welfare=best_value, profile=tuple(int(x) for x in best_profile))


def price_of_anarchy(game: TTCGame, profile: Sequence[int]) -> float:
    """``PoA = max_theta W(theta) / W(profile)`` (Eq. 9); ``inf`` when ``W(profile) <= 0``.

    References:
        Velasco et al. (2026), Eq. 9.
    """
    at = float(welfare(game, np.asarray(profile)))
    if at <= 0:
        return math.inf
    return max_welfare(game).welfare / at


# --- Theorem 2 and the better-response graph ---------------------------------------------------


def dominant_provider_level(game: TTCGame) -> tuple[int, int]:
    """Theorem 2 (perfect rationality): the dominant provider and its equilibrium level.

    The dominant provider has the highest ``V_i* = max_theta V_i(theta)`` (Eq. 8); in every
    pure equilibrium it serves all queries at ``max{theta : V_1(theta) > V_2*}``. With an
    abstention value the threshold is ``max(V_2*, V_0)`` (nobody else can serve above it).

    Returns:
        ``(provider index, level index)``.

    Raises:
        ValueError: When the two best ``V*`` tie, or no level beats the threshold (Theorem 2
            assumes no ties).

    References:
        Velasco et al. (2026), Theorem 2, Eqs. 8 and 33.
    """
    best_values = game.value.max(axis=1)
    order = np.argsort(-best_values, kind="stable")
    dominant, runner_up = int(order[0]), int(order[1])
    threshold = max(float(best_values[runner_up]), game.v0)
    above = np.flatnonzero(game.value[dominant] > threshold)
    if above.size == 0:
        raise ValueError(
            "Theorem 2 needs a dominant provider strictly above the runner-up's best value "
            f"and V_0 (V_1* = {best_values[dominant]:g}, threshold = {threshold:g})"
        )
    return dominant, int(above.max())


@dataclass(frozen=True)
class Theorem2Conditions:
    """What Theorem 2 says every pure equilibrium under perfect rationality looks like.

    Attributes:
        dominant: index of the dominant provider (highest ``V_i*``, Eq. 8).
        level: its equilibrium level index ``max{theta : V_1(theta) > V_2*}`` (part (i), Eq. 33).
        rival_value_bound: the right-hand side of part (ii): the highest value
            ``V_1(theta)`` among the dominant provider's levels with ``V_1(theta) < V_2*`` and a
            higher profit than at ``level`` (``-inf`` when there is none). Some other provider
            must offer more than this, or the dominant provider would undercut to it.

    References:
        Velasco et al. (2026), Theorem 2, Eqs. 33-34.
    """

    dominant: int
    level: int
    rival_value_bound: float

    def satisfied_by(self, game: TTCGame, profile: Sequence[int]) -> bool:
        """Whether ``profile`` meets parts (i) and (ii) of Theorem 2."""
        profile_arr = _check_profiles(game, np.asarray(profile))
        values = at_profiles(game.value, profile_arr)
        rivals = np.delete(values, self.dominant)
        part_i = int(profile_arr[self.dominant]) == self.level and bool(
            values[self.dominant] > max(rivals.max(), game.v0)
        )
        part_ii = bool(rivals.max() > self.rival_value_bound)
        return part_i and part_ii


def theorem_2_conditions(game: TTCGame) -> Theorem2Conditions:
    """Theorem 2 in full: the dominant provider's level (i) and the rivals' value bound (ii).

    (i) The dominant provider serves all queries at ``theta_1 = max{theta : V_1(theta) > V_2*}``.
    (ii) Some provider ``i != 1`` offers ``V_i(theta_i) > max{V_1(theta) : V_1(theta) < V_2*,
    p_1(theta) - c_1(theta) > p_1(theta_1) - c_1(theta_1)}`` (``-inf`` over an empty set).

    With an abstention value ``V_0`` (the paper has none here) the threshold of (i) is
    ``max(V_2*, V_0)`` and part (ii) only counts levels with ``V_1(theta) > V_0``: a deviation
    below ``V_0`` serves nobody, so it cannot tempt the dominant provider.

    Raises:
        ValueError: When the two best ``V*`` tie, or no level beats the threshold (Theorem 2
            assumes no ties).

    References:
        Velasco et al. (2026), Theorem 2, Eqs. 8, 33 and 34 (Appendix B.2).
    """
    dominant, level = dominant_provider_level(game)
    best_values = np.delete(game.value.max(axis=1), dominant)
    runner_up_best = float(best_values.max())
    values, profit = game.value[dominant], game.profit[dominant]
    tempting = (values < runner_up_best) & (values > game.v0) & (profit > profit[level])
    bound = float(values[tempting].max()) if tempting.any() else -math.inf
    return Theorem2Conditions(dominant=dominant, level=level, rival_value_bound=bound)


def better_response_graph(
    game: TTCGame, rtol: float = 1e-8, max_profiles: int = GRAPH_MAX_PROFILES
) -> nx.DiGraph:
    """The better-response graph: an edge for every strictly improving unilateral move.

    Nodes are profiles (tuples of level indices) with their welfare and potential; an edge
    ``theta -> (theta_i', theta_-i)`` carries the mover ``i``. By Theorem 1 the graph is
    acyclic and its sinks are exactly the pure Nash equilibria.

    References:
        Velasco et al. (2026), Section 3 (better-response dynamics), Theorem 1.
    """
    _check_enumerable(game, max_profiles, "the better-response graph")
    from mechanisms.ttc.game import potential

    graph = nx.DiGraph()
    for profiles in profile_chunks(game):
        welfares = welfare(game, profiles)
        potentials = potential(game, profiles)
        for profile, w, phi in zip(profiles, welfares, potentials, strict=True):
            node = tuple(int(x) for x in profile)
            graph.add_node(node, welfare=float(w), potential=float(phi))
            for i in range(game.n_providers):
                for level in improving_levels(game, profile, i, rtol):
                    target = list(node)
                    target[i] = int(level)
                    graph.add_edge(node, tuple(target), mover=i)
    return graph


def graph_sinks(graph: nx.DiGraph) -> list[tuple[int, ...]]:
    """Nodes without outgoing edges (the pure equilibria of a better-response graph)."""
    return sorted(node for node in graph.nodes if graph.out_degree(node) == 0)


def contribution_at(game: TTCGame, profile: Sequence[int]) -> np.ndarray:
    """``(N,)`` welfare contributions ``W_i(theta_i)`` at ``profile``."""
    return at_profiles(game.contribution, _check_profiles(game, np.asarray(profile)))
