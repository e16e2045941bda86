"""The dashboard's pieces without a page: charts, URL state, adapters, session, command."""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.charts import LineChart, svg
from app.export import charts_png, table_csv
from app.games import delegation as dg
from app.games import ttc as tg
from app.offline import FRONT_END, missing_assets
from app.plots import delegation as dplots
from app.plots import ttc as tplots
from app.svg import Frame, Series, nice_ticks, polyline_points
from app.tours import TOURS, tour_named
from app.urlstate import page_url, parse_query
from market import dashboard
from market.core.errors import UserInputError
from market.games import main

# ---- charts -------------------------------------------------------------------------------


@given(
    st.floats(-1e9, 1e9, allow_nan=False),
    st.floats(1e-6, 1e9, allow_nan=False),
)
def test_nice_ticks_are_round_evenly_spaced_and_inside_the_range(low, span):
    assume(span > abs(low) * 1e-6)  # plotted ranges are never narrower than that
    high = low + span
    ticks = nice_ticks(low, high)
    assert 1 <= len(ticks) <= 12
    tolerance = span * 1e-6
    assert all(low - tolerance <= t <= high + tolerance for t in ticks)
    if len(ticks) > 2:
        steps = np.diff(ticks)
        assert np.allclose(steps, steps[0], rtol=1e-6)
        mantissa = steps[0] / 10 ** math.floor(math.log10(steps[0]))
        assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 2.5, 5, 10))


def test_nice_ticks_known_answer():
    assert nice_ticks(0, 10) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0, 1_000_000) == [0, 200_000, 400_000, 600_000, 800_000, 1_000_000]


def test_points_map_data_corners_to_the_plot_corners():
    frame = Frame(200, 100, (0.0, 10.0), (0.0, 5.0), left=10, right=10, top=10, bottom=10)
    # x 0 -> 10 px, x 10 -> 190 px; y 0 -> 90 px (bottom), y 5 -> 10 px (top)
    assert (
        polyline_points(frame, np.array([0, 10]), np.array([0, 5]), False) == "10.0,90.0 190.0,10.0"
    )
    # a step holds the first value until the next x
    assert polyline_points(frame, np.array([0, 10]), np.array([0, 5]), True) == (
        "10.0,90.0 190.0,90.0 190.0,10.0"
    )


def test_non_finite_points_are_left_out():
    frame = Frame(200, 100, (0.0, 10.0), (0.0, 5.0), left=10, right=10, top=10, bottom=10)
    assert polyline_points(frame, np.array([0, 5, 10]), np.array([0, np.nan, 5]), False) == (
        "10.0,90.0 190.0,10.0"
    )


def test_svg_escapes_labels():
    chart = LineChart("a<b", "x", "y", (Series("p&q", np.arange(3), np.arange(3)),), "t")
    text = svg(chart)
    assert "a&lt;b" in text and "p&amp;q" in text and "a<b" not in text


# ---- URL state and tours ------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=60)
@given(TEXT, st.lists(st.sampled_from(dg.strategy_names()), min_size=1, max_size=4), TEXT, TEXT)
def test_delegation_settings_survive_the_url(preset, strategies, T, seed):
    chosen = dg.DelegationSettings(
        preset=preset.strip() or "cao2026", strategies=tuple(strategies), T=T.strip(), seed=seed
    )
    url = page_url("delegation", chosen.to_query())
    path, _, search = url.partition("?")
    assert path == "/delegation"
    assert dg.DelegationSettings.from_query(parse_query(search)) == chosen


@settings(max_examples=40)
@given(TEXT, TEXT, TEXT)
def test_ttc_settings_survive_the_url(beta, v0, seed):
    chosen = tg.TTCSettings(beta=beta, v0=v0, seed=seed)
    _, _, search = page_url("ttc", chosen.to_query()).partition("?")
    assert tg.TTCSettings.from_query(parse_query(search)) == chosen


def test_tours_are_links_to_their_page_with_their_settings():
    for tour in TOURS:
        path, _, search = tour.url.partition("?")
        query = parse_query(search)
        assert path == f"/{tour.page}"
        assert query["tour"] == tour.name
        assert tour_named(tour.name) is tour
    assert tour_named("nope") is None


# ---- the delegation adapter ---------------------------------------------------------------


def finished(settings_: dg.DelegationSettings) -> dg.DelegationRun:
    run = dg.build_run(settings_)
    while run.model.running:
        run.model.step()
    return run


PROFILES = [
    ("dishonest-length,ours,honest", "second-best"),
    ("dishonest-length,ours,honest", "explore-then-commit"),
    ("ours,ours,ours", "second-best-artifact"),
    ("dishonest-all,honest,dishonest-model", "second-best"),
]


@pytest.mark.parametrize(("strategies", "mechanism"), PROFILES)
def test_served_delegations_tile_the_queries_and_match_the_model(strategies, mechanism):
    run = finished(
        dg.DelegationSettings(
            preset="cao2026-paper",
            strategies=tuple(strategies.split(",")),
            mechanism=mechanism,
            T="200000",
            batch="7000",
        )
    )
    served = run.served()
    assert served[0].start == 0
    assert all(a.end == b.start for a, b in itertools.pairwise(served))
    assert served[-1].end == run.model.platform.used
    for k, provider in enumerate(run.model.providers, start=1):
        assert sum(s.end - s.start for s in served if s.provider == k) == provider.delegations


def test_the_service_log_does_not_depend_on_the_batch_size():
    base = dict(preset="cao2026-paper", strategies=("dishonest-length", "ours", "honest"))
    logs = [
        finished(dg.DelegationSettings(**base, T="200000", batch=b)).served()
        for b in ("1000", "200000")
    ]
    assert logs[0] == logs[1]


def test_service_kinds_follow_table_1_of_the_paper():
    run = finished(
        dg.DelegationSettings(
            preset="cao2026-paper",
            strategies=("dishonest-length", "honest", "honest"),
            mechanism="explore-then-commit",
            T="200000",
        )
    )
    kinds = {(s.phase, s.provider): s.service for s in run.served()}
    # Table 1: honest and dishonest-length both explore honestly; in exploitation honest stays
    # honest and dishonest-length keeps its truthful model but bills L (inflated length).
    assert kinds[("exploration", 1)] == "honest"
    assert kinds[("exploration", 2)] == "honest"
    assert kinds[("exploration", 3)] == "honest"
    expected = {1: "inflated length", 2: "honest", 3: "honest"}
    chosen = run.model.result().chosen  # numbered from 1, as the served records are
    assert kinds[("exploitation", chosen)] == expected[chosen]


def test_snapshots_are_copies_the_play_loop_cannot_change():
    run = dg.build_run(dg.DelegationSettings(batch="100000"))
    run.model.step()
    frame = dg.snapshot(run)
    rows = len(frame.series["queries"])
    run.model.step()
    assert len(frame.series["queries"]) == rows
    assert dg.snapshot(run).steps == frame.steps + 1


def test_pace_lines_end_at_u_sb_and_u_fb_times_the_share_of_t():
    run = finished(dg.DelegationSettings(T="200000", batch="50000"))
    frame = dg.snapshot(run)
    chart = dplots.user_utility_chart(frame)
    sb, fb = chart.series[1], chart.series[2]
    used = frame.series["queries"][-1]
    assert sb.y[-1] == pytest.approx(run.model.economy.second_best(200_000) * used / 200_000)
    assert fb.y[-1] == pytest.approx(run.model.economy.first_best(200_000) * used / 200_000)


def test_delegation_png_export_draws_every_plot():
    run = finished(dg.DelegationSettings(T="200000", batch="50000"))
    png = charts_png(dplots.all_charts(dg.snapshot(run)), "test")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


# ---- the TTC adapter ----------------------------------------------------------------------


def test_intro_example_table_2_by_hand():
    """Section 1: q = (1.4, 1.8 | 1, 1.9), c = (0.25, 1 | 0.5, 10): W = q - c.

    The market's equilibrium has provider 1 at high compute: W = 1.8 - 1 = 0.8. Truthful
    bidding makes provider 1 win at low compute: W = 1.4 - 0.25 = 1.15.
    """
    run = tg.build_run(tg.TTCSettings())
    while run.model.running:
        run.model.step()
    frame = tg.snapshot(run)
    assert frame.profile == (1, 0)
    assert frame.comparison.market[3] == pytest.approx(0.8)
    assert frame.comparison.auction[3] == pytest.approx(1.15)
    assert frame.inefficiency[-1] == pytest.approx(1.15 / 0.8)
    assert set(frame.graph.sinks) == {(1, 0), (1, 1)}


@pytest.mark.slow
def test_ttc_charts_and_export():
    run = tg.build_run(tg.TTCSettings(preset="gsm8k-reasoning", beta="100"))
    run.model.step()
    frame = tg.snapshot(run)
    charts = tplots.all_charts(frame)
    assert {c.test_id for c in charts} >= {"plot-levels", "plot-values", "plot-comparison"}
    assert charts_png(charts, "t")[:4] == b"\x89PNG"


def finished_ttc_csv(settings_: tg.TTCSettings):
    """The TTC page's CSV download after the run ends, and the model's own records."""
    run = tg.build_run(settings_)
    while run.model.running:
        run.model.step()
    text = table_csv(tg.frame_table(tg.snapshot(run))).decode()
    return text, run.model.datacollector.get_model_vars_dataframe(), run.model.seed


def test_the_csv_download_has_the_pages_columns_without_a_browser():
    text, recorded, _seed = finished_ttc_csv(tg.TTCSettings())  # the page's default run
    header = "step,theta[Provider 1],share[Provider 1],theta[Provider 2],share[Provider 2],"
    assert text.splitlines()[0] == header + "inefficiency,seed"
    assert len(text.splitlines()) == 1 + len(recorded)  # header, step 0, each iteration


def test_the_csv_download_is_the_models_own_data_without_a_browser():
    text, recorded, seed = finished_ttc_csv(tg.TTCSettings(preset="gsm8k-reasoning", beta="100"))
    table = pd.read_csv(io.StringIO(text))
    assert len(recorded) > 2 and table["step"].tolist() == recorded["step"].tolist()
    assert set(table["seed"]) == {seed}
    for prefix in (r"theta\[", r"share\[", "inefficiency"):  # the CSV names providers by model
        ours, theirs = table.filter(regex="^" + prefix), recorded.filter(regex="^" + prefix)
        assert ours.shape == theirs.shape and ours.shape[1] in (1, 3)
        assert ours.to_numpy() == pytest.approx(theirs.to_numpy(), rel=1e-15)


# ---- session and command ------------------------------------------------------------------


def test_the_front_end_assets_are_installed():
    assert missing_assets() == [], f"reinstall: {FRONT_END} must come from solara-assets"


def test_dashboard_port_checks():
    assert dashboard.port_number("8765", "127.0.0.1") == 8765
    assert 0 < dashboard.port_number(None, "127.0.0.1") < 65536
    for bad in ("abc", "0", "70000"):
        with pytest.raises(UserInputError, match="port"):
            dashboard.port_number(bad, "127.0.0.1")
    assert "--no-open" in dashboard.solara_arguments("h", 1, open_browser=False)
    assert dashboard.solara_arguments("h", 1, open_browser=True)[:2] == ["run", "app.app"]


def test_dashboard_command_bad_port_is_one_line_exit_2(capsys):
    assert main(["dashboard", "--port", "abc"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "port" in err
