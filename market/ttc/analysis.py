"""Exact analysis of test-time compute games: equilibria, price of anarchy, Theorem 2.

- :func:`pure_equilibria` finds every pure Nash equilibrium exactly, vectorised over the grid of
  all ``L^N`` profiles (one provider and one slice at a time, so memory stays modest).
- :func:`price_of_anarchy` is Eq. 9, with the exact maximum welfare of
  :func:`mechanisms.ttc.optimum.max_welfare`.
- :func:`theorem_2_conditions` is the full Theorem 2 characterisation (parts (i) and (ii);
  :func:`dominant_provider_level` is part (i) alone).
- :func:`better_response_graph` is the better-response graph of a small game.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 3: Eqs. 6, 8, 9, Theorems 1-2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from mechanisms.ttc.game import TTCGame, at_profiles, check_profiles, welfare
from mechanisms.ttc.optimum import (
    DEFAULT_MAX_PROFILES,
    check_enumerable,
    inefficiency,
    max_welfare,
    profile_chunks,
)
from mechanisms.ttc.responses import DEFAULT_RTOL, improving_levels, potential

GRAPH_MAX_PROFILES = 50_000
"""Largest game whose better-response graph is built (one node per profile)."""

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
    game: TTCGame, rtol: float = DEFAULT_RTOL, max_profiles: int = DEFAULT_MAX_PROFILES
) -> np.ndarray:
    """Boolean grid of shape ``(L,) * N``: True where the profile is a pure Nash equilibrium.

    A profile is an equilibrium when no provider has a level with ``U_i' > U_i (1 + rtol)``
    (Eq. 6, with the same tolerance as :func:`mechanisms.ttc.responses.improving_levels`).
    Computed one provider at a time, in ``L`` slices of ``L^(N-1)`` profiles.

    References:
        Velasco et al. (2026), Eq. 6.
    """
    check_enumerable(game, max_profiles, "exact equilibrium enumeration")
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


def is_equilibrium(game: TTCGame, profile: Sequence[int], rtol: float = DEFAULT_RTOL) -> bool:
    """Whether no provider has a strictly improving level at ``profile`` (Eq. 6)."""
    return all(improving_levels(game, profile, i, rtol).size == 0 for i in range(game.n_providers))


# --- maximum welfare ---------------------------------------------------------------------------


def price_of_anarchy(game: TTCGame, profile: Sequence[int]) -> float:
    """``PoA = max_theta W(theta) / W(profile)`` (Eq. 9); ``inf`` when ``W(profile) <= 0``.

    References:
        Velasco et al. (2026), Eq. 9.
    """
    return inefficiency(max_welfare(game).welfare, float(welfare(game, np.asarray(profile))))


# --- Theorem 2 and the better-response graph ---------------------------------------------------


def dominant_provider_level(game: TTCGame) -> tuple[int, int]:
    """Theorem 2 (perfect rationality): the dominant provider and its equilibrium level.

    The dominant provider has the highest ``V_i* = max_theta V_i(theta)`` (Eq. 8); in every
    pure equilibrium it serves all queries at ``max{theta : V_1(theta) > V_2*}``. With an
    abstention value the threshold is ``max(V_2*, V_0)`` (nobody else can serve above it).

    Returns:
        ``(provider index, level index)``, both 0-based (the provider is ``Provider i + 1``).

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
        dominant: 0-based index of the dominant provider (highest ``V_i*``, Eq. 8).
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
        profile_arr = check_profiles(game, np.asarray(profile))
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
    game: TTCGame, rtol: float = DEFAULT_RTOL, max_profiles: int = GRAPH_MAX_PROFILES
) -> nx.DiGraph:
    """The better-response graph: an edge for every strictly improving unilateral move.

    Nodes are profiles (tuples of level indices) with their welfare and potential; an edge
    ``theta -> (theta_i', theta_-i)`` carries the mover ``i``. By Theorem 1 the graph is
    acyclic and its sinks are exactly the pure Nash equilibria.

    References:
        Velasco et al. (2026), Section 3 (better-response dynamics), Theorem 1.
    """
    check_enumerable(game, max_profiles, "the better-response graph")
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
