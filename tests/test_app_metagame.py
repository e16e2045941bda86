"""The strategy-dynamics page: its adapter, its graph and plots, and the page rendered headless.

Small real payoff tables (cao2026 at T = 30,000, one seed) go to a temporary cache. The
dynamics the page steps are checked against :func:`market.delegation.empirical.metagame` (the
CLI's), and the path it draws against the better-response graph.
"""

from __future__ import annotations

import itertools
import threading

import ipyvuetify as v
import numpy as np
import pytest
import solara
from hypothesis import given, settings
from hypothesis import strategies as st
from test_app_pages import Harness, click, counter, errors, open_page, plots, wait_for

from app.charts import svg
from app.export import charts_png
from app.games import metagame as game
from app.pages import metagame as page
from app.plots import metagame as mplots
from app.plots.profile_graph import SHARE_COLOURS, share_colour
from app.urlstate import page_url, parse_query
from market.core.errors import UserInputError

SMALL = "T=30000&seeds=1"


@pytest.fixture(scope="module", autouse=True)
def private_payoff_cache(tmp_path_factory):
    """Payoff tables go to a temporary cache, not ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


def prepared(**fields) -> game.Prepared:
    chosen = game.MetagameSettings(**{"T": "30000", "seeds": "1", **fields})
    return page.prepare(game.game_request(chosen, 42))


def finished(ready: game.Prepared) -> game.MetagameFrame:
    run = game.build_run(ready)
    while run.model.running:
        run.model.step()
    return game.snapshot(run)


# ---- settings and requests ------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10)


@settings(max_examples=40)
@given(TEXT, st.lists(st.sampled_from(game.strategy_names()), min_size=1, max_size=3), TEXT)
def test_metagame_settings_survive_the_url(T, start, tolerance):
    chosen = game.MetagameSettings(T=T, start=tuple(start), tolerance=tolerance)
    path, _, search = page_url(page.PATH, chosen.to_query()).partition("?")
    assert path == "/metagame"
    assert game.MetagameSettings.from_query(parse_query(search)) == chosen


def test_request_fills_the_start_profile_and_resolves_the_mechanism():
    request = game.game_request(game.MetagameSettings(start=("ours",)), 7)
    assert request.start == ("ours", "honest", "honest")
    assert request.mechanism is None and request.seed == 7 and request.profiles == 216


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"T": "5000000"}, "T: expected at most 2,000,000 on the dashboard"),
        ({"seeds": "50"}, "seeds: expected at most 10"),
        ({"T": "abc"}, "T: expected an integer"),
        ({"start": ("sneaky", "ours", "ours")}, "start: expected one of ours"),
        ({"tolerance": "-1"}, "tolerance: expected a number >= 0"),
        ({"rule": "worst"}, "rule: expected one of best, random"),
        ({"mechanism": "magic"}, "mechanism"),
        ({"preset": "nowhere"}, "preset"),
    ],
)
def test_bad_settings_name_their_field(fields, message):
    with pytest.raises(UserInputError, match=message):
        game.game_request(game.MetagameSettings(**fields), 1)


# ---- the dynamics, the path and the graph ---------------------------------------------------


@pytest.fixture(scope="module")
def small_game():
    return prepared()


def test_the_page_plays_the_same_dynamics_as_the_cli(small_game):
    frame = finished(small_game)
    trace = small_game.game.trace
    assert small_game.stored
    assert ["|".join(p) for p in frame.played] == list(trace["profile"])
    np.testing.assert_allclose(frame.user_utility, trace["user_utility"])
    assert frame.stop_reason == small_game.game.dynamics.stop_reason
    assert frame.profile == small_game.game.dynamics.end


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"rule": "random", "seed": "3"},
        {"start": ("dishonest-all", "dishonest-all", "dishonest-all")},
        {"mechanism": "explore-then-commit", "start": ("ours", "honest", "dishonest-model")},
    ],
)
def test_every_step_of_the_path_is_an_improving_move_of_the_graph(fields):
    ready = prepared(**fields)
    frame = finished(ready)
    graph = ready.game.graph
    assert frame.path[0] == ready.request.start and frame.path[-1] == frame.profile
    for a, b in itertools.pairwise(frame.path):
        assert sum(x != y for x, y in zip(a, b, strict=True)) == 1
        assert graph.has_edge("|".join(a), "|".join(b))
    # the dynamics stop at a sink: no provider's alternative beats its current strategy
    if frame.stop_reason.startswith("no provider can improve"):
        assert graph.out_degree("|".join(frame.profile)) == 0
        table = ready.game.table
        row = table.index(frame.profile)
        for k in range(table.K):
            assert frame.alternatives[k].max() <= table.provider_mean[row, k]


def test_alternatives_are_the_payoffs_of_unilateral_deviations(small_game):
    run = game.build_run(small_game)
    frame = game.snapshot(run)
    table = small_game.game.table
    for k, strategy in itertools.product(range(table.K), range(len(table.strategies))):
        deviation = list(frame.profile)
        deviation[k] = table.strategies[strategy]
        assert frame.alternatives[k, strategy] == table.provider_mean[table.index(deviation), k]


def test_the_graph_marks_sinks_path_start_and_now(small_game):
    run = game.build_run(small_game)
    run.model.step()
    frame = game.snapshot(run)
    text = svg(mplots.graph_chart(frame))
    assert text.count("<circle") >= 216
    assert text.count('data-role="sink"') == len(small_game.game.sinks)
    assert text.count('data-role="path"') == len(frame.path) - 1 >= 1
    assert text.count('data-role="start"') == 1 and text.count('data-role="current"') == 1
    assert f"{small_game.game.graph.number_of_edges()} improving moves" in text


def test_share_colours_known_answers():
    assert share_colour(0.0) == SHARE_COLOURS[0]
    assert share_colour(1.0) == share_colour(1.7) == SHARE_COLOURS[-1]
    assert share_colour(-0.3) == SHARE_COLOURS[0]
    assert share_colour(0.5) in SHARE_COLOURS[2:4]
    assert share_colour(float("nan")) == "#bbbbbb"


def test_plots_tables_and_downloads(small_game):
    frame = finished(small_game)
    charts = mplots.all_charts(frame)
    assert [c.test_id for c in charts] == [
        "plot-strategies",
        "plot-alternatives",
        "plot-provider-utility",
        "plot-user-utility",
    ]
    u_sb = next(s for s in charts[3].series if s.label == "u_SB")
    assert set(u_sb.y) == {small_game.game.table.u_sb}
    assert charts_png([*charts, mplots.graph_chart(frame)], "t")[:4] == b"\x89PNG"
    table = game.frame_table(frame)
    assert list(table["play"]) == list(range(1, frame.plays + 1))
    assert table["user_utility_over_u_sb"].iloc[0] == pytest.approx(
        frame.user_utility[0] / small_game.game.table.u_sb
    )
    basins = [float(b.rstrip("%")) for _, b, _, _ in mplots.sink_rows(frame)]
    assert basins == sorted(basins, reverse=True)


def test_an_unwritable_cache_folder_is_not_fatal(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    request = game.game_request(game.MetagameSettings(T="30000", seeds="1"), 9)
    result, stored = game.empirical_game(request)
    assert result.settings["payoffs_from_cache"] is False and not stored
    assert result.table.K == 3


# ---- the page, headless ---------------------------------------------------------------------


def status(rc) -> str:
    """The status line under the introduction ("" while there is none)."""
    return next(
        (
            str(t.widget.children[0])
            for t in rc.find(v.Html, tag="span")
            if t.widget.children and "plays" in str(t.widget.children[0])
        ),
        "",
    )


def test_page_steps_plays_resets_and_changes_a_parameter():
    rc = open_page(page, f"/metagame?{SMALL}")
    assert counter(rc) == 0 and errors(rc) == []
    before = plots(rc)
    assert len(before) == 5
    click(rc, "Step")
    wait_for(lambda: counter(rc) == 1)
    wait_for(lambda: plots(rc) != before)  # the counter may be redrawn before the plots
    click(rc, "Play")
    wait_for(lambda: "no provider can improve" in status(rc))
    click(rc, "Reset")
    wait_for(lambda: counter(rc) == 0)
    wait_for(lambda: plots(rc) == before)
    field = rc.find(v.TextField, label="T: queries per play").widget
    field.v_model = "40000"
    field.fire_event("focusout", None)
    wait_for(lambda: "T = 40,000" in status(rc), timeout=60)
    assert errors(rc) == []


def test_the_table_is_computed_in_the_background_with_a_visible_state(monkeypatch):
    release = threading.Event()
    prepare = page.prepare

    def slow(request):
        release.wait(30)
        return prepare(request)

    monkeypatch.setattr(page, "prepare", slow)
    _box, rc = solara.render(Harness(page, f"/metagame?{SMALL}&seed=5"), handle_error=False)
    titles = wait_for(lambda: [c.widget.children for c in rc.find(v.CardTitle)])
    assert any("Computing the payoff table" in str(t) for t in titles)
    assert rc.find(v.ProgressLinear).widgets and counter(rc) is None
    release.set()
    wait_for(lambda: counter(rc) == 0)
    # the counter can show a render pass before the session's status drops its progress bar
    wait_for(lambda: rc.find(v.ProgressLinear).widgets == [])


def test_the_second_visit_reads_the_table_from_the_cache():
    url = f"/metagame?{SMALL}&seed=11"
    first = open_page(page, url)
    wait_for(lambda: "computed in" in status(first))
    second = open_page(page, url)
    wait_for(lambda: "read from the cache" in status(second))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("T=9000000", "T: expected at most 2,000,000 on the dashboard"),
        ("T=100", "T: expected a horizon long enough"),
        ("start=sneaky", "start: expected one of"),
        ("seed=-3", "seed"),
    ],
)
def test_a_mistake_is_one_line_in_the_page(query, message):
    _box, rc = solara.render(Harness(page, f"/metagame?{query}"), handle_error=False)
    shown = wait_for(lambda: errors(rc), timeout=60)
    assert len(shown) == 1 and message in shown[0] and "Traceback" not in shown[0]
    assert rc.find(v.Btn, children=["Play"]).widgets == []


def test_two_page_instances_do_not_share_a_model():
    first, second = open_page(page, f"/metagame?{SMALL}"), open_page(page, f"/metagame?{SMALL}")
    click(first, "Step")
    wait_for(lambda: counter(first) == 1)
    assert counter(second) == 0
