"""The context map of ROSA's service: the projection of contexts and the sampled rounds.

Known answers worked by hand, and the property that makes the map honest: with three providers
the projection keeps every quality difference, so who is best at a context is unchanged.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.rosa.contexts import (
    empty_service_sample,
    project_service_map,
    quality_contrast_axes,
    service_sample,
)
from market.rosa.model import RosaMarket


def test_axes_known_answer_the_wider_spread_comes_first():
    # theta at the corners of a 4 x 1 box: centred (+-2, +-0.5), so x varies most, then y
    box = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 1.0], [4.0, 1.0]])
    np.testing.assert_allclose(quality_contrast_axes(box), [[1.0, 0.0], [0.0, 1.0]], atol=1e-12)
    # the same box turned on its side: y first
    np.testing.assert_allclose(
        quality_contrast_axes(box[:, ::-1]), [[0.0, 1.0], [1.0, 0.0]], atol=1e-12
    )


def test_axes_signs_are_fixed_to_a_non_negative_sum():
    # two providers differing along (1, -2)/sqrt(5): one direction; sum 1 - 2 < 0 flips it
    thetas = np.array([[0.0, 0.0], [1.0, -2.0]])
    axes = quality_contrast_axes(thetas)
    np.testing.assert_allclose(axes[:, 0], [-1 / math.sqrt(5), 2 / math.sqrt(5)], atol=1e-12)
    assert np.all(axes[:, 1] == 0)


def test_identical_providers_have_no_direction():
    assert np.all(quality_contrast_axes(np.ones((3, 4))) == 0)


def test_one_dimensional_contexts_have_one_direction():
    axes = quality_contrast_axes(np.array([[0.2], [0.9]]))
    assert axes.shape == (1, 2) and np.all(axes[:, 1] == 0) and abs(axes[0, 0]) == 1


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_with_three_providers_the_map_loses_nothing(d, seed):
    """Three providers' centred qualities span at most two directions: the map keeps them.

    So who is best at a context (the differences theta_i . x - theta_j . x) depends on its
    projection only: ``(theta_i - theta_j) . x == (theta_i - theta_j) . (A A' x)``.
    """
    rng = np.random.default_rng(seed)
    thetas = rng.random((3, d))
    axes = quality_contrast_axes(thetas)
    x = rng.random((20, d))
    differences = thetas[:, None, :] - thetas[None, :, :]
    np.testing.assert_allclose(differences @ x.T, differences @ (axes @ (axes.T @ x.T)), atol=1e-10)


@given(st.integers(2, 8), st.integers(2, 8), st.integers(0, 2**32 - 1))
def test_map_directions_are_orthonormal(n, d, seed):
    axes = quality_contrast_axes(np.random.default_rng(seed).random((n, d)))
    used = [k for k in range(2) if np.any(axes[:, k])]
    np.testing.assert_allclose(axes[:, used].T @ axes[:, used], np.eye(len(used)), atol=1e-10)
    assert len(used) == min(2, n - 1, d)


def test_projection_known_answer():
    table = pd.DataFrame(
        {
            "round": [3, 7],
            "served": ["P2", "P1"],
            "best": ["P2", "P3"],
            "x1": [1.0, 3.0],
            "x2": [2.0, 4.0],
        }
    )
    # axis 1 = x1, axis 2 = (x1 + x2)
    sample = project_service_map(table, np.array([[1.0, 1.0], [0.0, 1.0]]))
    assert list(sample.rounds) == [3, 7]
    assert list(sample.x) == [1.0, 3.0] and list(sample.y) == [3.0, 7.0]
    assert list(sample.served) == [1, 0] and list(sample.best) == [1, 2]
    assert sample.agreement == 0.5  # round 3 served by the clairvoyant choice, round 7 not


def test_an_empty_sample_has_no_agreement():
    assert math.isnan(empty_service_sample().agreement)
    assert empty_service_sample().rounds.size == 0


def test_the_model_sample_is_its_service_map_projected():
    model = RosaMarket("patra2026", T=600, batch=600, rng=3)
    assert service_sample(model, np.eye(5)[:, :2], 10).rounds.size == 0  # nothing played yet
    model.step()
    axes = quality_contrast_axes(model.thetas)
    sample = service_sample(model, axes, limit=40)
    table = model.service_map().tail(40)
    assert list(sample.rounds) == list(table["round"])
    assert [f"P{i + 1}" for i in sample.served] == list(table["served"])
    contexts = table[[f"x{k + 1}" for k in range(model.setting.dim)]].to_numpy()
    np.testing.assert_allclose(sample.y, contexts @ axes[:, 1])
    assert sample.agreement == pytest.approx(np.mean(table["served"] == table["best"]))
