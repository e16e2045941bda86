"""The grid files shipped under ``examples/grids`` describe the experiments their comments say."""

from __future__ import annotations

from pathlib import Path

import pytest

from market.core.grids import read_grid
from market.games import GAMES

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "grids").glob("*.toml"))
RUNS = {  # what each file's comment promises
    "delegation-mechanisms.toml": 216 * 2 * 2 * 5,
    "ttc-rationality.toml": 2 * 4 * 2,
    "rosa-learners.toml": 2 * 2 * 10,
}


def test_every_example_is_counted():
    assert sorted(p.name for p in EXAMPLES) == sorted(RUNS)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_grid_builds_its_experiment(path):
    grid = read_grid(path)
    module = {g.name: g for g in GAMES}[grid.game].experiments
    experiment = module.grid_experiment(grid)
    assert len(experiment.runs) == RUNS[path.name]
    assert len({run.key for run in experiment.runs}) == len(experiment.runs)
    assert f"{len(experiment.runs):,} runs" in path.read_text()
