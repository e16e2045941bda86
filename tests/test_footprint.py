"""Memory estimates against measured peaks: each bounds the measurement, and not absurdly.

Known answers are measurements: the ``tracemalloc`` peak (numpy reports its buffers to it) of
building and playing a model, or computing a study, exactly as the dashboard does. Each test
asserts ``measured <= estimate <= TIGHTNESS * measured + fixed``, ``fixed`` being the
function's own fixed overhead. The estimates are sized to bound resident-set growth too, which
runs ahead of ``tracemalloc`` (in-memory SQLite, heap fragmentation); that is measured in
subprocesses by ``benchmarks/bench_footprint.py``, not here. Hypothesis checks that no
estimate decreases when a size grows (the budget bisects over sizes).
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from traced_peaks import traced_peak

from app.games import delegation as delegation_page
from app.games import rosa as rosa_page
from app.games import rosa_studies
from app.games import ttc as ttc_page
from market.delegation import footprint as delegation
from market.delegation import model as delegation_model
from market.delegation.empirical import metagame
from market.rosa import footprint as rosa
from market.rosa.engine import state_bytes
from market.rosa.scenarios import get_setting
from market.ttc import footprint as ttc
from market.ttc.population import BYTES_PER_USER_OFFER, USER_MEMORY_BUDGET, check_user_memory
from market.ttc.scenarios import get_scenario

#: An estimate may exceed the measured peak by this factor (plus the fixed overhead).
TIGHTNESS = 4


def assert_bounds(measured: int, estimate: int, fixed: int) -> None:
    assert measured <= estimate, f"estimate {estimate:,} below the measured peak {measured:,}"
    assert estimate <= TIGHTNESS * measured + fixed, (
        f"estimate {estimate:,} above {TIGHTNESS} x the measured peak {measured:,} + {fixed:,}"
    )


def play_to_the_end(build, snapshot, settings_):
    """Build the page's run and step it with a snapshot after every step, as the page does."""

    def work():
        run = build(settings_)
        snapshot(run)
        while run.model.running:
            run.model.step()
            snapshot(run)
        return run

    return work


def fresh_query_streams() -> None:
    """Forget cached query ids and running sums, so the measurement pays for its own."""
    delegation_model.seeded_query_stream.cache_clear()
    delegation_model._shared_sums.clear()


@pytest.fixture(scope="module", autouse=True)
def warm_process():
    """One small run of each game first: what a server pays once is not the work's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for page, settings_ in (
            (delegation_page, delegation_page.DelegationSettings(T="100000", batch="50000")),
            (ttc_page, ttc_page.TTCSettings(users="heterogeneous agents", n_users="100")),
            (rosa_page, rosa_page.RosaSettings(T="300")),
        ):
            play_to_the_end(page.build_run, page.snapshot, settings_)()
        rosa_studies.regret(
            rosa_studies.regret_request(rosa_page.RosaSettings(horizons="100:200:2"), 1)
        )


# ---- delegation -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("preset", "T", "batch"),
    [("cao2026-paper", 200_000, 200_000), ("cao2026", 100_000, 10_000), ("cao2026", 30_000, 10)],
)
def test_delegation_model_estimate_bounds_its_measured_peak(preset, T, batch):
    settings_ = delegation_page.DelegationSettings(preset=preset, T=str(T), batch=str(batch))
    fresh_query_streams()
    work = play_to_the_end(delegation_page.build_run, delegation_page.snapshot, settings_)
    measured = traced_peak(work)
    providers = len(delegation_page.provider_names(preset))
    estimate = delegation.model_bytes(T, providers, batch)
    assert_bounds(measured, estimate, delegation.MODEL_FIXED_BYTES)


@pytest.mark.slow
@pytest.mark.parametrize(("T", "seeds"), [(20_000, 2), (100_000, 1)])
def test_payoff_table_estimate_bounds_its_measured_peak(T, seeds):
    fresh_query_streams()
    measured = traced_peak(
        lambda: metagame("cao2026", T=T, seeds=seeds, check_theorem=False, use_store=False)
    )
    estimate = delegation.payoff_table_bytes(T, seeds, providers=3)
    assert_bounds(measured, estimate, delegation.MODEL_FIXED_BYTES)


# ---- test-time compute ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "users", "n_users", "beta"),
    [
        ("gsm8k-best-of-n", "aggregate", 0, "10"),
        ("gsm8k-reasoning", "heterogeneous agents", 3_000, "inf"),
        ("intro-example", "identical agents", 20_000, "10"),
    ],
)
def test_ttc_model_estimate_bounds_its_measured_peak(preset, users, n_users, beta):
    settings_ = ttc_page.TTCSettings(
        preset=preset, users=users, n_users=str(max(n_users, 1)), spread="0.5", beta=beta
    )
    runs = []

    def work():
        runs.append(play_to_the_end(ttc_page.build_run, ttc_page.snapshot, settings_)())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        measured = traced_peak(work)
        game = get_scenario(preset).build()
    steps = runs[0].model.steps
    estimate = ttc.model_bytes(game.n_providers, game.n_levels, n_users, steps)
    assert_bounds(measured, estimate, ttc.MODEL_FIXED_BYTES)


def test_ttc_users_cost_the_population_check_figure():
    game = get_scenario("gsm8k-best-of-n").build()
    most = USER_MEMORY_BUDGET // (BYTES_PER_USER_OFFER * game.n_levels * (game.n_providers + 1))
    check_user_memory(most, game)  # the largest population the check lets through
    assert ttc.users_bytes(most, game.n_providers, game.n_levels) >= USER_MEMORY_BUDGET * 0.99


# ---- ROSA -----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("providers", "dim", "T", "batch"), [(5, 5, 3_000, 100), (20, 5, 300, 3), (4, 24, 400, 8)]
)
def test_rosa_model_estimate_bounds_its_measured_peak(providers, dim, T, batch):
    settings_ = rosa_page.RosaSettings(
        providers=str(providers), dim=str(dim), T=str(T), batch=str(batch)
    )
    work = play_to_the_end(rosa_page.build_run, rosa_page.snapshot, settings_)
    measured = traced_peak(work)
    assert_bounds(measured, rosa.model_bytes(providers, dim, T), rosa.MODEL_FIXED_BYTES)


@pytest.mark.parametrize(
    ("providers", "dim", "bids", "runs"), [(2, 1, 5, 20), (5, 20, 11, 50), (5, 5, 11, 50)]
)
@pytest.mark.slow
def test_truthfulness_estimate_bounds_its_measured_peak(providers, dim, bids, runs):
    settings_ = rosa_page.RosaSettings(
        providers=str(providers), dim=str(dim), study_T="200", bids=str(bids), runs=str(runs)
    )
    request = rosa_studies.truthfulness_request(settings_, 42)
    measured = traced_peak(lambda: rosa_studies.truthfulness(request))
    estimate = rosa.truthfulness_bytes(providers, dim, bids, runs)
    assert_bounds(measured, estimate, rosa.STUDY_FIXED_BYTES)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("providers", "dim", "horizons", "runs"),
    [(5, 5, "100:1000:3", 10), (20, 5, "100:1000:5", 30), (5, 20, "100:600:3", 40)],
)
def test_regret_estimate_bounds_its_measured_peak(providers, dim, horizons, runs):
    settings_ = rosa_page.RosaSettings(
        providers=str(providers), dim=str(dim), horizons=horizons, regret_runs=str(runs)
    )
    request = rosa_studies.regret_request(settings_, 42)
    measured = traced_peak(lambda: rosa_studies.regret(request))
    estimate = rosa.regret_bytes(providers, dim, len(request.horizons), runs)
    assert_bounds(measured, estimate, rosa.STUDY_FIXED_BYTES)


def test_rosa_learner_state_is_the_engines_figure():
    setting = get_setting("patra2026", providers=7, dim=11)
    assert rosa.learner_state_bytes(7, 11) == state_bytes(1, setting)


# ---- no estimate decreases when a size grows ------------------------------------------------

SIZE = st.integers(1, 10**7)
SMALL = st.integers(1, 64)


def never_decreases(estimate, sizes: list[int], which: int, more: int) -> None:
    grown = list(sizes)
    grown[which] += more
    assert estimate(*grown) >= estimate(*sizes)


@given(st.lists(SIZE, min_size=3, max_size=3), st.integers(0, 2), SIZE)
def test_delegation_model_estimate_never_decreases(sizes, which, more):
    never_decreases(delegation.model_bytes, sizes, which, more)


def test_delegation_model_estimate_of_a_whole_horizon_step_is_the_largest():
    assert delegation.model_bytes(10**6, 3, None) == delegation.model_bytes(10**6, 3, 10**6)
    assert delegation.model_bytes(10**6, 3, None) >= delegation.model_bytes(10**6, 3, 10**5)


@given(st.tuples(SIZE, st.integers(1, 20), st.integers(2, 6), st.integers(1, 6)))
@example((delegation.SHARED_LENGTH - 1, 2, 3, 6))  # where the shared sums begin
@settings(max_examples=200)
def test_payoff_table_estimate_never_decreases(sizes):
    for which in range(4):
        never_decreases(delegation.payoff_table_bytes, list(sizes), which, 1)
        never_decreases(delegation.payoff_table_bytes, list(sizes), which, sizes[which])


@given(SIZE, SIZE)
def test_process_cache_estimate_never_decreases(T, more):
    assert delegation.process_cache_bytes(T + more) >= delegation.process_cache_bytes(T)


@given(st.lists(SIZE, min_size=4, max_size=4), st.integers(0, 3), SIZE)
def test_ttc_model_estimate_never_decreases(sizes, which, more):
    never_decreases(ttc.model_bytes, sizes, which, more)


@given(st.tuples(SMALL, SMALL, SIZE), st.integers(0, 2), SIZE)
def test_rosa_model_estimate_never_decreases(sizes, which, more):
    never_decreases(rosa.model_bytes, list(sizes), which, more)


@given(st.lists(SIZE, min_size=4, max_size=4), st.integers(0, 3), SIZE)
def test_truthfulness_estimate_never_decreases(sizes, which, more):
    never_decreases(rosa.truthfulness_bytes, sizes, which, more)


@given(st.lists(SIZE, min_size=4, max_size=4), st.integers(0, 3), SIZE)
def test_regret_estimate_never_decreases(sizes, which, more):
    never_decreases(rosa.regret_bytes, sizes, which, more)
