"""Which rows of a long recorded history a plot keeps (:mod:`market.core.series`)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from market.core.series import evenly_spaced_rows


def test_known_answers():
    assert list(evenly_spaced_rows(10, 4)) == [0, 3, 6, 9]
    assert list(evenly_spaced_rows(5, 3)) == [0, 2, 4]
    assert list(evenly_spaced_rows(3, 5)) == [0, 1, 2]  # fewer rows than the limit: all
    assert list(evenly_spaced_rows(0, 5)) == []


@given(st.integers(1, 5000), st.integers(2, 500))
def test_thinning_keeps_ends_and_order_within_the_limit(n, limit):
    rows = evenly_spaced_rows(n, limit)
    assert rows[0] == 0 and rows[-1] == n - 1
    assert len(rows) <= limit
    assert np.all(np.diff(rows) > 0)
