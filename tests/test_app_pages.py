"""Headless render tests of every dashboard page and guided tour (solara.render, no browser).

Each page is rendered inside a small router harness (the URL is its settings), then driven as
a user would: Step, Play (the play thread runs to the end), Reset, and changing a parameter.
"""

from __future__ import annotations

import time

import ipyvuetify as v
import pytest
import solara
import solara.routing
import solara.widgets

from app.pages import PAGES, delegation, home, metagame, page_routes, rosa, site_pages, ttc
from app.tours import TOURS
from market.games import BUILTIN_GAMES

FAST = "batch=200000"  # five steps for T = 1e6: keeps Play short


@solara.component
def Harness(page, url: str):
    """A page under a router whose path (with the query string) is state."""
    path, set_path = solara.use_state(url)
    router = solara.routing.Router(path, routes=[solara.Route("/")], set_path=set_path)
    solara.routing.router_context.provide(router)
    page.Page()


def wait_for(condition, timeout: float = 30.0):
    """Poll ``condition`` until it returns a truthy value (the play loop is a thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def html_with(rc, marker: str) -> list[str]:
    """The inner HTML of every HTML widget containing ``marker``."""
    found = []
    for element in rc.find(solara.widgets.HTML):
        text = element.widget.unsafe_innerHTML or ""
        if marker in text:
            found.append(text)
    return found


def counter(rc) -> int | None:
    """The step counter's value (None before the model is built)."""
    texts = html_with(rc, 'data-testid="step-counter"')
    if not texts:
        return None
    return int(texts[0].split('data-testid="step-counter">')[1].split("<")[0])


def run_state(rc) -> str:
    """playing, running or finished."""
    text = html_with(rc, 'data-testid="run-state"')[0]
    return text.split('data-testid="run-state">')[1].split("<")[0]


def plots(rc) -> list[str]:
    """Every SVG plot on the page."""
    return html_with(rc, "<svg")


def errors(rc) -> list[str]:
    """Error alerts shown in the page."""
    return [
        str(e.widget.children) for e in rc.find(v.Alert) if getattr(e.widget, "type", "") == "error"
    ]


def click(rc, label: str) -> None:
    """Click the button labelled ``label``."""
    rc.find(v.Btn, children=[label]).widget.click()


def open_page(page, url: str, timeout: float = 30.0):
    """Render ``page`` at ``url`` and wait until its model is built and its plots drawn.

    A page whose model is built in a background thread is rendered from that thread: wait
    until two looks 50 ms apart find the same plots (no render half done).
    """
    _box, rc = solara.render(Harness(page, url), handle_error=False)
    wait_for(lambda: counter(rc) is not None and plots(rc), timeout=timeout)
    settled(rc)
    return rc


def settled(rc, quiet: float = 0.05) -> None:
    """Until the plots look the same twice in a row, ``quiet`` seconds apart."""

    def unchanged():
        before = plots(rc)
        time.sleep(quiet)
        return plots(rc) == before

    wait_for(unchanged)


def play_to_end(rc) -> None:
    """Press Play and wait for the run to finish."""
    click(rc, "Play")
    wait_for(lambda: run_state(rc) == "finished", timeout=60)


def test_routes_are_one_per_page_module():
    routes = page_routes()
    assert [r.path for r in routes][: len(PAGES)] == ["/", "delegation", "metagame", "ttc", "rosa"]
    assert len(routes) == len(site_pages())


def test_every_shipped_game_names_its_page():
    assert [page for _, page in home.game_pages()][: len(BUILTIN_GAMES)] == [delegation, ttc, rosa]
    assert [game for game, _ in home.game_pages()][: len(BUILTIN_GAMES)] == list(BUILTIN_GAMES)


def test_home_has_a_card_per_game_and_per_tour():
    _box, rc = solara.render(Harness(home, "/"), handle_error=False)
    # every game with a page (the three shipped ones here), and strategy dynamics next to
    # the delegation game
    assert len(rc.find(v.Btn, children=["Open"])) == len(home.game_pages()) + 1
    assert len(rc.find(v.Btn, children=["Start the tour"])) == len(TOURS)


@pytest.fixture(scope="module")
def private_payoff_cache(tmp_path_factory):
    """Payoff tables of the strategy-dynamics tours go to a temporary cache, not ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.mark.slow
@pytest.mark.parametrize("tour", TOURS, ids=[t.name for t in TOURS])
def test_every_tour_steps_plays_and_resets(tour, private_payoff_cache):
    pages = {"delegation": delegation, "ttc": ttc, "rosa": rosa, "metagame": metagame}
    page = pages[tour.page]
    url = tour.url + {"delegation": f"&{FAST}", "rosa": "&batch=500"}.get(tour.page, "")
    rc = open_page(page, url, timeout=90)
    assert counter(rc) == 0
    assert errors(rc) == []
    before = plots(rc)
    assert len(before) >= 5
    click(rc, "Step")
    wait_for(lambda: counter(rc) == 1)
    # the counter may be redrawn before the plots (a render from the play thread): a step
    # must change the plots within the timeout, and Reset must bring the first ones back
    wait_for(lambda: plots(rc) != before)
    play_to_end(rc)
    assert counter(rc) >= 1
    assert errors(rc) == []
    click(rc, "Reset")
    wait_for(lambda: counter(rc) == 0)
    wait_for(lambda: plots(rc) == before)  # Reset rebuilds the same run from the same settings


def test_the_tour_text_shows_on_its_page():
    tour = TOURS[0]
    rc = open_page(delegation, tour.url)
    titles = [c.widget.children for c in rc.find(v.CardTitle)]
    assert any(tour.title in str(t) for t in titles)


def test_changing_a_parameter_rebuilds_the_model():
    rc = open_page(delegation, f"/delegation?{FAST}")
    field = rc.find(v.TextField, label="T: queries (blank: the scenario's)").widget
    field.v_model = "200000"
    field.fire_event("focusout", None)
    wait_for(lambda: "of T = 200,000" in numbers_text(rc))
    assert counter(rc) == 0


def numbers_text(rc) -> str:
    """The mechanism's live numbers table."""
    for element in rc.find(solara.widgets.HTML):
        if (element.widget.attributes or {}).get("data-testid") == "mechanism-numbers":
            return element.widget.unsafe_innerHTML
    return ""


def test_a_bad_value_is_one_line_in_the_page_not_a_traceback():
    _box, rc = solara.render(Harness(delegation, "/delegation?T=100"), handle_error=False)
    shown = wait_for(lambda: errors(rc))
    assert len(shown) == 1
    assert "T: expected a horizon long enough" in shown[0]
    assert "Traceback" not in shown[0]
    assert rc.find(v.Btn, children=["Play"]).widgets == []


def test_an_invalid_combination_is_a_message():
    url = "/ttc?mechanism=second-price-auction&users=identical+agents"
    _box, rc = solara.render(Harness(ttc, url), handle_error=False)
    shown = wait_for(lambda: errors(rc))
    assert "no user population under this mechanism" in shown[0]


def test_an_unknown_strategy_in_a_link_is_a_message():
    _box, rc = solara.render(
        Harness(delegation, "/delegation?strategies=sneaky"), handle_error=False
    )
    shown = wait_for(lambda: errors(rc))
    assert "sneaky" in shown[0]


def test_each_page_instance_has_its_own_model():
    first = open_page(delegation, f"/delegation?{FAST}")
    second = open_page(delegation, f"/delegation?{FAST}")
    click(first, "Step")
    wait_for(lambda: counter(first) == 1)
    click(first, "Step")
    wait_for(lambda: counter(first) == 2)
    assert counter(second) == 0


def test_ttc_heterogeneous_users_and_curves_choice_render():
    rc = open_page(ttc, "/ttc?preset=gsm8k-reasoning&beta=100&users=heterogeneous+agents")
    play_to_end(rc)
    assert errors(rc) == []
    assert any("plot-response-graph" in p for p in plots(rc))
    _box, rc = solara.render(Harness(ttc, "/ttc?preset=&curves=no-such.csv"), handle_error=False)
    assert "no-such.csv" in wait_for(lambda: errors(rc))[0]


def test_a_failing_plot_or_table_is_one_line_in_its_own_panel(monkeypatch):
    import app.widgets

    real_svg = app.widgets.svg_markup

    def broken_timeline(chart):
        if chart.test_id == "plot-timeline":
            raise ValueError("no phases to draw")
        return real_svg(chart)

    def broken_rows(frame):
        raise KeyError("B")

    monkeypatch.setattr(app.widgets, "svg_markup", broken_timeline)
    monkeypatch.setattr(delegation, "mechanism_rows", broken_rows)
    rc = open_page(delegation, f"/delegation?{FAST}")
    failed = html_with(rc, "panel-error")
    assert len(failed) == 2
    assert any("This plot could not be drawn: ValueError: no phases to draw" in f for f in failed)
    assert any("This panel could not be drawn: KeyError" in f for f in failed)
    assert len(plots(rc)) >= 4  # the other plots are drawn
    click(rc, "Step")
    wait_for(lambda: counter(rc) == 1)  # and the page still plays


def test_a_redraw_never_undoes_what_is_being_typed():
    from app.widgets import SettingText

    committed = []

    @solara.component
    def Form():
        frames, set_frames = solara.use_state(0)
        solara.Button("frame", on_click=lambda: set_frames(frames + 1))
        SettingText("Queries per step", "10000", committed.append)
        solara.Text(f"frame {frames}")

    _box, rc = solara.render(Form(), handle_error=False)
    box = rc.find(v.TextField, label="Queries per step").widget
    box.v_model = "30000"  # typed, not yet applied
    click(rc, "frame")  # the page redraws meanwhile
    assert box.v_model == "30000"
    assert committed == []
    box.fire_event("keyup.enter", None)
    assert committed == ["30000"]
