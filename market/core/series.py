"""Bounding a recorded series: which rows a plot or a snapshot keeps of a long history.

A run's DataCollector may record a row per step for as long as the dynamics wander; a figure
needs only a few hundred points to show the shape. :func:`evenly_spaced_rows` picks them.
"""

from __future__ import annotations

import numpy as np


def evenly_spaced_rows(n: int, limit: int) -> np.ndarray:
    """At most ``limit`` row indices of ``n`` recorded rows, evenly spaced, ends kept.

    Args:
        n: rows recorded.
        limit: the most rows wanted (at least 2 when ``n >= 2``: the first and last are kept).

    Returns:
        Increasing indices: all of ``0..n-1`` when ``n <= limit``, else ``limit`` points
        spaced evenly from 0 to ``n - 1``, rounded to the nearest row (repeats dropped).
    """
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))
