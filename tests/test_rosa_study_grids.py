"""The grids the ROSA studies play: bids over the cost support, horizons on a log scale.

Both are shared by the CLI (``rosa truthfulness``, ``rosa regret``) and the dashboard's studies;
the answers are worked by hand.
"""

from __future__ import annotations

import numpy as np

from market.core.values import log_spaced_counts
from market.rosa.scenarios import get_setting


def test_bid_grid_spans_the_cost_support_evenly():
    setting = get_setting("patra2026")
    grid = setting.bid_grid(3)
    assert grid[0] == setting.cost_lo and grid[-1] == setting.cost_hi
    assert grid[1] == (setting.cost_lo + setting.cost_hi) / 2
    assert len(setting.bid_grid(11)) == 11 and np.all(np.diff(setting.bid_grid(11)) > 0)


def test_log_spaced_counts_known_answers():
    assert log_spaced_counts(500, 8000, 5) == (500, 1000, 2000, 4000, 8000)
    assert log_spaced_counts(1, 100, 3) == (1, 10, 100)
    # 1, 1.41, 2 rounds to 1, 1, 2: the repeat is dropped
    assert log_spaced_counts(1, 2, 3) == (1, 2)
    assert all(type(v) is int for v in log_spaced_counts(10, 1000, 4))
