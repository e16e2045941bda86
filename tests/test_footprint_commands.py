"""The estimates the CLI prices its commands with, against measured ``tracemalloc`` peaks.

Each bounds the measurement (and not absurdly: at most :data:`TIGHTNESS` times it plus the
function's fixed overhead), and none decreases when a size grows (the pricing bisects).
"""

from __future__ import annotations

import numpy as np
import pytest
from traced_peaks import traced_peak

from market.delegation import footprint as delegation
from market.rosa import footprint as rosa
from market.ttc import footprint as ttc

TIGHTNESS = 8


def test_the_driver_bookkeeping_of_delegation_runs():
    from market.delegation.experiments import profiles_experiment
    from market.delegation.model import prepare

    resolved, _ = prepare("cao2026", 100_000, None, None, 42)
    runs = 20_000
    items = [(100_000 + i, 0.1, "second-best", ("ours",) * 3, 42) for i in range(runs)]
    measured = traced_peak(lambda: profiles_experiment(resolved, items, {"command": "test"}))
    # runs are made on demand: the experiment costs next to nothing per run, and the per-run
    # bytes price what a sweep's driver still holds, the rows read back and the tidy table
    assert measured <= delegation.DRIVER_RUN_BYTES * runs


@pytest.mark.slow
def test_a_beta_sweep_in_one_process():
    from market.ttc import runs

    game = runs.build_game(preset="intro-example", beta=1.0).game
    betas = np.geomspace(1, 1e6, 300)
    measured = traced_peak(lambda: runs.sweep_beta(game, betas, jobs=1))
    driver = ttc.beta_sweep_bytes(300, game.n_providers, game.n_levels, 1)
    fixed = ttc.FIRST_USE_BYTES + ttc.model_bytes(game.n_providers, game.n_levels)
    fixed += ttc.PROCESS_BYTES
    assert measured <= driver <= TIGHTNESS * measured + fixed


@pytest.mark.slow
def test_the_monotonicity_survey():
    from market.rosa import runs
    from market.rosa.scenarios import get_setting

    setting = get_setting("patra2026", T=200)
    n, d = setting.providers, setting.dim

    def survey():
        runs.monotonicity_survey(setting, 1, 10, 11, ["elimination"])

    survey()  # warm: the first use loads modules
    measured = traced_peak(survey)
    estimate = rosa.monotonicity_bytes(n, d, 10, 11, 1)
    assert measured <= estimate <= TIGHTNESS * measured + rosa.STUDY_FIXED_BYTES


def test_a_log_spaced_grid_while_it_is_made():
    points = 1_000_000
    measured = traced_peak(lambda: np.unique(np.geomspace(1, 1e6, points).round().astype(int)))
    assert measured <= rosa.grid_bytes(points) <= TIGHTNESS * measured


@pytest.mark.parametrize("size", [1, 10, 1000, 10**6, 10**9])
def test_no_estimate_decreases_when_a_size_grows(size):
    larger = 2 * size + 1
    pairs = [
        (lambda s: delegation.runs_bytes(s, 1, 10**6, 3, 2)),
        (lambda s: delegation.runs_bytes(1, s, 10**6, 3, 2)),
        (lambda s: delegation.runs_bytes(1, 1, min(s, 10**8), 3, 2)),
        (lambda s: delegation.runs_bytes(1, 1, 10**6, 3, s)),
        (lambda s: ttc.beta_sweep_bytes(s, 3, 4, 2)),
        (lambda s: ttc.beta_sweep_bytes(10, 3, 4, s)),
        (lambda s: rosa.monotonicity_bytes(5, 5, s, 21, 4)),
        (lambda s: rosa.monotonicity_bytes(5, 5, 20, s, 4)),
        (lambda s: ttc.enumeration_seconds(1000, s)),
        (lambda s: delegation.queries_seconds(s)),
        (lambda s: ttc.beta_sweep_seconds(s, 2, 2)),
    ]
    for estimate in pairs:
        assert estimate(size) <= estimate(larger)
