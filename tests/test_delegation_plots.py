"""Figures 2 and 3 are placed by fixed margins (market.core.figures.panel_grid), not a layout
engine: every text must still be inside the figure and off the other panels, whatever the
strategy names and the size or sign of the numbers.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from agents.delegation.strategies import STRATEGIES
from market.delegation import plots

ALL_NAMES = STRATEGIES.names()
LONGEST = max(ALL_NAMES, key=len)


def table(names: list[str], scale: float, providers=(1, 2, 3)) -> pd.DataFrame:
    """Made-up Figure 2/3 means: alternating signs, up to ``scale`` in size."""
    rows = []
    for provider, (i, name) in itertools.product(providers, enumerate(names)):
        sign = -1 if (i + provider) % 3 == 0 else 1
        rows.append(
            {
                "provider": provider,
                "strategy": name,
                "provider_utility": sign * scale * (i + 1) / len(names),
                "user_utility": scale * 0.7 * (len(names) - i) / len(names),
                "delegations": scale * 0.01 * (i + 1),
            }
        )
    return pd.DataFrame(rows)


def texts_of(figure):
    """Every visible text drawn in the figure, with the axes it belongs to (None: the figure)."""
    figure.canvas.draw()
    found = [(None, t) for t in figure.texts]
    for ax in figure.axes:
        labels = [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.title, *ax.texts]
        labels.append(ax.yaxis.get_offset_text())
        found.extend((ax, t) for t in labels if t.get_visible() and t.get_text())
    return found


def check_layout(figure) -> None:
    renderer = figure.canvas.get_renderer()
    inside = figure.bbox
    for owner, text in texts_of(figure):
        box = text.get_window_extent(renderer)
        assert box.x0 >= inside.x0 - 1 and box.x1 <= inside.x1 + 1, f"{text} leaves the figure"
        assert box.y0 >= inside.y0 - 1 and box.y1 <= inside.y1 + 1, f"{text} leaves the figure"
        for other in figure.axes:
            if other is not owner:
                assert not box.overlaps(other.bbox), f"{text!r} overlaps another panel"


@pytest.mark.parametrize("scale", [0.4, 950.0, 87_654.0, 3.2e6, 4.5e9])
@pytest.mark.parametrize("names", [ALL_NAMES, [LONGEST, "ours"], ["ours"]])
def test_figure2_keeps_every_text_inside_and_off_the_other_panels(names, scale):
    check_layout(plots.figure2(table(names, scale), 1, "Provider 1\nsecond line"))


@pytest.mark.parametrize("scale", [0.4, 87_654.0, 3.2e6])
@pytest.mark.parametrize("providers", [(2,), (2, 3), (2, 3, 4)])
def test_figure3_keeps_every_text_inside_and_off_the_other_panels(providers, scale):
    names = [LONGEST, *ALL_NAMES[:3]]
    check_layout(plots.figure3(table(names, scale, providers), "Providers\nsecond line"))


def test_the_check_catches_a_figure_whose_margins_are_too_small(monkeypatch):
    """The layout check is not vacuous: with no room below the panels it fails."""
    real = plots.sweep_margins

    def cramped(*args):
        return real(*args).__class__(**{**vars(real(*args)), "bottom": 0.05, "down": 0.05})

    monkeypatch.setattr(plots, "sweep_margins", cramped)
    with pytest.raises(AssertionError):
        check_layout(plots.figure3(table(ALL_NAMES, 1e4, (2, 3)), "cramped"))


def test_tick_label_sample_is_as_wide_as_the_axis_numbers():
    assert plots.tick_label_sample(np.array([0.5, 0.25])) == "8888"
    assert plots.tick_label_sample(np.array([172_284.0, 0.0])) == "888888"
    assert plots.tick_label_sample(np.array([-5.0e7, 1.0])) == "-888888"
