"""The ROSA page (reconstructed): its adapter, plots and studies, and the page rendered headless.

The adapter's arithmetic is checked against hand-worked answers and properties; the page is
driven as a user would (Step, Play, Reset, a parameter change, mistakes, a study on demand).
"""

from __future__ import annotations

import math

import ipyvuetify as v
import numpy as np
import pytest
import solara
import solara.widgets
from hypothesis import given, settings
from hypothesis import strategies as st
from test_app_pages import Harness, click, counter, errors, open_page, plots, wait_for

from app.charts import svg
from app.export import charts_png
from app.games import rosa as game
from app.games import rosa_studies as studies
from app.pages import rosa as page
from app.plots import rosa as rplots
from app.urlstate import page_url, parse_query
from market.core.errors import UserInputError
from market.rosa import runs
from market.rosa.results import TruthfulnessCurve, regret_sqrt_scale
from market.rosa.scenarios import get_setting

SMALL = "T=600&batch=150&study_T=300&bids=3&runs=4&horizons=100:400:3&regret_runs=2"

# ---- settings and the chosen provider -------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10)


@settings(max_examples=40)
@given(TEXT, TEXT, st.sampled_from(game.bidding_names()), TEXT)
def test_rosa_settings_survive_the_url(T, factor, bidding, seed):
    chosen = game.RosaSettings(T=T, factor=factor, bidding=bidding, seed=seed)
    path, _, search = page_url(page.PATH, chosen.to_query()).partition("?")
    assert path == "/rosa"
    assert game.RosaSettings.from_query(parse_query(search)) == chosen


def test_one_provider_deviates_and_the_others_bid_truthfully():
    chosen = game.RosaSettings(provider="4", bidding="inflate", factor="1.5")
    assert game.strategy_text(chosen, 5) == "truthful,truthful,truthful,inflate:1.5,truthful"
    # a blank factor keeps the strategy's default; truthful takes no factor
    assert game.strategy_text(game.RosaSettings(bidding="shade"), 3) == "shade,truthful,truthful"
    truthful = game.RosaSettings(bidding="truthful", factor="0.5")
    assert game.strategy_text(truthful, 2) == "truthful,truthful"
    with pytest.raises(UserInputError, match="provider: expected a provider from 1 to 5"):
        game.strategy_text(game.RosaSettings(provider="6"), 5)


def test_the_model_bids_what_the_strategy_says():
    run = game.build_run(game.RosaSettings(provider="2", bidding="inflate", factor="1.5"))
    providers = run.model.providers
    assert providers[1].bid == pytest.approx(min(1.5 * providers[1].cost, 0.5))
    assert all(p.bid == p.cost for i, p in enumerate(providers) if i != 1)
    assert run.chosen == 1


# ---- the sqrt(t) fit and snapshots ----------------------------------------------------------


def test_sqrt_fit_known_answers():
    t = np.array([1.0, 4.0, 9.0])
    assert regret_sqrt_scale(t, 2 * np.sqrt(t)) == pytest.approx(2.0)
    # regret 1, 1, 1 at sqrt(t) = 1, 2, 3: c = (1 + 2 + 3) / (1 + 4 + 9) = 6/14
    assert regret_sqrt_scale(t, np.ones(3)) == pytest.approx(6 / 14)
    assert regret_sqrt_scale(np.zeros(1), np.zeros(1)) == 0.0


def finished(settings_: game.RosaSettings) -> game.RosaRun:
    run = game.build_run(settings_)
    while run.model.running:
        run.model.step()
    return run


def test_stepping_round_by_round_or_all_at_once_gives_the_same_run():
    one = finished(game.RosaSettings(T="300", batch="1", bidding="shade"))
    all_ = finished(game.RosaSettings(T="300", batch="300", bidding="shade"))
    assert game.snapshot(one).result == game.snapshot(all_).result


def test_service_sample_is_the_model_service_map_projected():
    run = finished(game.RosaSettings(T="1000", batch="1000"))
    sample = game.service_sample(run, limit=50)
    table = run.model.service_map().tail(50)
    assert list(sample.rounds) == list(table["round"])
    assert [f"P{i + 1}" for i in sample.served] == list(table["served"])
    assert [f"P{i + 1}" for i in sample.best] == list(table["best"])
    contexts = table[[f"x{k + 1}" for k in range(5)]].to_numpy()
    np.testing.assert_allclose(sample.x, contexts @ run.axes[:, 0])
    assert sample.agreement == pytest.approx(np.mean(table["served"] == table["best"]))


def test_an_unplayed_run_has_an_empty_map():
    frame = game.snapshot(game.build_run(game.RosaSettings()))
    assert frame.service.rounds.size == 0 and math.isnan(frame.service.agreement)
    assert all(svg(c).startswith("<svg") for c in rplots.all_charts(frame))


def test_snapshots_are_copies_the_play_loop_cannot_change():
    run = game.build_run(game.RosaSettings(T="1000", batch="100"))
    run.model.step()
    frame = game.snapshot(run)
    rows = len(frame.series["queries"])
    run.model.step()
    assert len(frame.series["queries"]) == rows and frame.rounds == 100


def test_live_charts_and_png_export():
    frame = game.snapshot(finished(game.RosaSettings(T="500", batch="500")))
    charts = rplots.all_charts(frame)
    assert [c.test_id for c in charts] == [
        "plot-regret",
        "plot-regret-per-round",
        "plot-provider-utility",
        "plot-rounds",
        "plot-served",
        "plot-best",
    ]
    assert "reconstructed" in charts[0].title
    assert charts_png(charts, "t")[:4] == b"\x89PNG"
    table = game.frame_table(frame)
    assert set(table["note"]) == {game.RECONSTRUCTED}
    assert table["queries"].iloc[-1] == 500


# ---- studies --------------------------------------------------------------------------------


def test_horizon_grid_known_answer_and_mistakes():
    assert studies.horizon_grid("500:8000:5") == (500, 1000, 2000, 4000, 8000)
    for bad in ("8000:500:5", "500:8000:1", "500:8000", "a:b:3"):
        with pytest.raises(UserInputError, match="horizons"):
            studies.horizon_grid(bad)


def test_a_study_too_large_for_the_page_is_refused():
    with pytest.raises(UserInputError, match="runs: expected a study of at most"):
        studies.truthfulness_request(game.RosaSettings(study_T="1000000", runs="1000"), 1)
    with pytest.raises(UserInputError, match="regret runs"):
        studies.regret_request(game.RosaSettings(horizons="1000:1000000:5", regret_runs="500"), 1)


def test_the_bid_study_is_about_the_live_run_provider():
    """The study uses the live run's seed, so its true cost is that provider's cost."""
    chosen = game.RosaSettings(provider="3", study_T="300", bids="3", runs="3")
    run = game.build_run(chosen)
    request = studies.truthfulness_request(chosen, run.model.root_seed)
    curve = studies.truthfulness(request)
    assert curve.true_cost == run.model.providers[2].cost
    assert curve.bids == (0.0, 0.25, 0.5)
    direct = runs.truthfulness_curve(request.setting, run.model.root_seed, 3, [0, 0.25, 0.5], 3)
    assert curve.expected_utility == direct.expected_utility


def curve_with(utilities, truthful, errors_, setting=None) -> TruthfulnessCurve:
    n = len(utilities)
    return TruthfulnessCurve(
        setting=setting or get_setting("patra2026"),
        seed=1,
        provider=0,
        true_cost=0.1,
        bids=tuple(np.linspace(0, 0.5, n)),
        expected_utility=tuple(utilities),
        standard_error=(1.0,) * n,
        difference_error=tuple(errors_),
        expected_rounds=(1.0,) * n,
        expected_payment=(1.0,) * n,
        truthful_utility=truthful,
        truthful_standard_error=1.0,
        min_truthful_run_utility=0.0,
        runs=10,
        simulated_rows=10,
    )


def test_truthfulness_verdicts():
    assert studies.truthfulness_verdict(curve_with([1, 2], 3, [1, 1])).startswith("No bid")
    # a flat stretch equal to the truthful utility up to rounding is no gain, even at zero error
    tie = curve_with([1, 3 + 4e-16], 3, [1, 0.0])
    assert studies.truthfulness_verdict(tie).startswith("No bid")
    within = studies.truthfulness_verdict(curve_with([1, 5], 4, [1, 0.6]))
    assert "within two standard errors" in within and "0.500" in within
    beyond = studies.truthfulness_verdict(curve_with([1, 5], 4, [1, 0.4]))
    assert "beyond two standard errors" in beyond and "try more runs" in beyond
    naive = get_setting("patra2026", learner="linucb")
    assert "do not make truthful" in studies.truthfulness_verdict(
        curve_with([1, 5], 4, [1, 0.4], naive)
    )


def test_only_rosa_with_a_monotone_learner_is_guaranteed():
    assert studies.guaranteed_truthful(get_setting("patra2026"))
    assert studies.guaranteed_truthful(get_setting("patra2026", learner="explore-then-commit"))
    assert not studies.guaranteed_truthful(get_setting("patra2026", learner="linucb"))
    assert not studies.guaranteed_truthful(get_setting("patra2026", mechanism="pay-as-bid"))


def test_study_charts_mark_the_true_cost_and_the_sqrt_fit():
    chosen = game.RosaSettings(study_T="300", bids="3", runs="3", horizons="100:400:3")
    curve = studies.truthfulness(studies.truthfulness_request(chosen, 5))
    chart = rplots.truthfulness_chart(curve)
    cost_line = next(s for s in chart.series if s.label.startswith("true cost"))
    assert list(cost_line.x) == [curve.true_cost, curve.true_cost]
    regret = studies.regret(studies.regret_request(chosen, 5))
    fit = rplots.regret_against_t_chart(regret).series[-1]
    assert fit.y[-1] == pytest.approx(regret.sqrt_scale * math.sqrt(400))
    assert charts_png([chart, rplots.regret_per_round_against_t_chart(regret)], "t")[:4] == (
        b"\x89PNG"
    )


# ---- the page, headless ---------------------------------------------------------------------


def status(rc) -> str:
    """The status line under the introduction ("" while there is none)."""
    return next(
        (
            str(t.widget.children[0])
            for t in rc.find(v.Html, tag="span")
            if t.widget.children and str(t.widget.children[0]).startswith("Round ")
        ),
        "",
    )


def markdown(rc) -> str:
    """Every Markdown text on the page (rendered to HTML on the server)."""
    texts = (w.widget.unsafe_innerHTML for w in rc.find(solara.widgets.HTML))
    return " ".join(t for t in texts if isinstance(t, str))


def test_page_steps_plays_resets_and_changes_a_parameter():
    rc = open_page(page, f"/rosa?{SMALL}")
    assert counter(rc) == 0 and errors(rc) == []
    before = plots(rc)
    assert len(before) == 6
    click(rc, "Step")
    wait_for(lambda: counter(rc) == 1)
    wait_for(lambda: plots(rc) != before)  # the counter may be redrawn before the plots
    click(rc, "Play")
    wait_for(lambda: counter(rc) == 4)
    wait_for(lambda: "Round 600 of 600" in status(rc))
    click(rc, "Reset")
    wait_for(lambda: counter(rc) == 0)
    wait_for(lambda: plots(rc) == before)
    field = rc.find(v.TextField, label="T: query rounds").widget
    field.v_model = "300"
    field.fire_event("focusout", None)
    wait_for(lambda: "of 300" in status(rc))
    assert errors(rc) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("providers=1", "providers: expected an integer from 2 to 64"),
        ("bidding=inflate&factor=0.5", "inflate:F with a finite F > 1"),
        ("mu=2", "mu"),
        ("batch=0", "rounds per step"),
    ],
)
def test_a_mistake_is_one_line_in_the_page(query, message):
    _box, rc = solara.render(Harness(page, f"/rosa?{query}"), handle_error=False)
    shown = wait_for(lambda: errors(rc))
    assert len(shown) == 1 and message in shown[0] and "Traceback" not in shown[0]
    assert rc.find(v.Btn, children=["Play"]).widgets == []


def test_two_page_instances_do_not_share_a_model():
    first, second = open_page(page, f"/rosa?{SMALL}"), open_page(page, f"/rosa?{SMALL}")
    click(first, "Step")
    wait_for(lambda: counter(first) == 1)
    assert counter(second) == 0


def compute_buttons(rc):
    return rc.find(v.Btn, children=["Compute"]).widgets


def test_a_study_is_computed_on_demand_and_dropped_when_settings_change():
    rc = open_page(page, f"/rosa?{SMALL}")
    assert not any("plot-truthfulness" in p for p in plots(rc))
    compute_buttons(rc)[0].click()
    wait_for(lambda: any("plot-truthfulness" in p for p in plots(rc)))
    assert "true cost is" in markdown(rc) and "universal ex-post IR" in markdown(rc)
    compute_buttons(rc)[1].click()
    wait_for(lambda: any("plot-regret-against-t" in p for p in plots(rc)))
    field = rc.find(v.TextField, label="Runs").widget
    field.v_model = "5"
    field.fire_event("focusout", None)
    wait_for(lambda: not any("plot-truthfulness" in p for p in plots(rc)))
    assert errors(rc) == []


def test_a_bad_study_setting_is_a_message_and_disables_its_button():
    rc = open_page(page, f"/rosa?{SMALL}&runs=0")
    shown = wait_for(lambda: errors(rc))
    assert "runs: expected an integer >= 1" in shown[0]
    assert compute_buttons(rc)[0].disabled and not compute_buttons(rc)[1].disabled
