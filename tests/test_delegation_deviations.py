"""What each provider would earn with each strategy, and the user's share of u_SB, by hand.

A two-provider table with strategies ``a`` and ``b`` (provider 1 varying slowest): rows
``(a,a), (a,b), (b,a), (b,b)``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from market.delegation.metagame import deviation_utilities
from market.delegation.payoffs import PayoffTable

TABLE = PayoffTable(
    settings={},
    strategies=("a", "b"),
    providers=("P1", "P2"),
    profiles=(("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")),
    provider_mean=np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]),
    provider_se=np.zeros((4, 2)),
    user_mean=np.array([10.0, 20.0, 30.0, 40.0]),
    user_se=np.zeros(4),
    u_sb=40.0,
    u_fb=50.0,
)


def test_deviation_utilities_known_answer():
    # at (a, b): provider 1 playing a -> row (a,b) = 3, playing b -> row (b,b) = 7;
    # provider 2 playing a -> row (a,a) = 2, playing b -> row (a,b) = 4
    np.testing.assert_array_equal(deviation_utilities(TABLE, ("a", "b")), [[3, 7], [2, 4]])
    # at (b, a): provider 1: rows (a,a) = 1 and (b,a) = 5; provider 2: rows (b,a) = 6, (b,b) = 8
    np.testing.assert_array_equal(deviation_utilities(TABLE, ("b", "a")), [[1, 5], [6, 8]])


def test_user_share_of_the_second_best():
    assert TABLE.user_share(("a", "b")) == 0.5  # 20 / 40
    assert TABLE.user_share(("b", "b")) == 1.0
    assert math.isnan(dataclasses.replace(TABLE, u_sb=0.0).user_share(("a", "b")))
    assert math.isnan(dataclasses.replace(TABLE, u_sb=math.nan).user_share(("a", "b")))
