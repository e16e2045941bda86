"""Who serves which contexts: sampled rounds projected onto where the providers' qualities differ.

Provider i's quality at a context x is ``theta_i . x`` (the reconstructed linear model), so who
is best at x depends on x only through the differences ``(theta_i - theta_j) . x``. The two
directions in which the centred ``theta`` vary most (its top right singular vectors) carry
most of those differences, and all of them when there are at most three providers; projecting
each sampled round's context onto them shows regions where one provider serves. The
projection uses the hidden ``theta`` (the simulator knows it; the platform does not).

References:
    Patra et al. (2026), Setting (linear qualities) and Experiments;
    ``docs/rosa-reconstruction.md``.
    Reconstructed; the projection is ours, a way to look at the service map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Singular values at or below this are no direction (identical providers, d = 1).
NO_SPREAD = 1e-12


def quality_contrast_axes(thetas: np.ndarray) -> np.ndarray:
    """``(d, 2)``: the two directions in which the providers' qualities differ most.

    Args:
        thetas: ``(n, d)`` each provider's quality vector ``theta_i``.

    Returns:
        The top two right singular vectors of the centred ``theta`` matrix as columns, signs
        fixed so each has a non-negative sum; a missing direction (d = 1, or providers that do
        not differ in a second direction) is a zero column.
    """
    thetas = np.asarray(thetas, dtype=float)
    centred = thetas - thetas.mean(axis=0)
    _, singular, directions = np.linalg.svd(centred, full_matrices=True)
    axes = np.zeros((thetas.shape[1], 2))
    for k in range(min(2, directions.shape[0])):
        if k < singular.size and singular[k] > NO_SPREAD:
            sign = 1.0 if directions[k].sum() >= 0 else -1.0
            axes[:, k] = sign * directions[k]
    return axes


@dataclass(frozen=True)
class ServiceSample:
    """Sampled rounds with their projected context, who served and who was best.

    Attributes:
        rounds: the rounds (1-based).
        x: the context on the first direction of :func:`quality_contrast_axes`.
        y: the context on the second direction.
        served: the provider served (0-based).
        best: the clairvoyant auction's choice (true qualities and costs; 0-based).
    """

    rounds: np.ndarray
    x: np.ndarray
    y: np.ndarray
    served: np.ndarray
    best: np.ndarray

    @property
    def agreement(self) -> float:
        """Share of the sampled rounds served by the clairvoyant choice (NaN when empty)."""
        return float(np.mean(self.served == self.best)) if self.rounds.size else math.nan


def empty_service_sample() -> ServiceSample:
    """No rounds sampled yet."""
    nothing = np.empty(0)
    return ServiceSample(nothing, nothing, nothing, nothing.astype(int), nothing.astype(int))


def provider_numbers(names) -> np.ndarray:
    """``P3`` -> 2: provider names of the service map as 0-based indices."""
    return np.asarray([int(str(name)[1:]) - 1 for name in names], dtype=int)


def project_service_map(table, axes: np.ndarray) -> ServiceSample:
    """A service map (:meth:`~market.rosa.model.RosaMarket.service_map`) projected on ``axes``.

    Args:
        table: rows with ``round``, ``served``, ``best`` (provider names) and ``x1..xd``.
        axes: ``(d, 2)`` directions, e.g. :func:`quality_contrast_axes` of the instance.

    Returns:
        The rounds with each context's coordinates on the two directions.
    """
    if len(table) == 0:
        return empty_service_sample()
    contexts = table[[c for c in table.columns if c.startswith("x")]].to_numpy(float)
    projected = contexts @ np.asarray(axes, dtype=float)
    return ServiceSample(
        rounds=table["round"].to_numpy(int),
        x=projected[:, 0],
        y=projected[:, 1],
        served=provider_numbers(table["served"]),
        best=provider_numbers(table["best"]),
    )


def service_sample(model, axes: np.ndarray, limit: int) -> ServiceSample:
    """The last ``limit`` sampled rounds of a :class:`~market.rosa.model.RosaMarket`, projected.

    An unplayed model has an empty sample.
    """
    if model.platform.rounds == 0:
        return empty_service_sample()
    return project_service_map(model.service_map().tail(limit), axes)
