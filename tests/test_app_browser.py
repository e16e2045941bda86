"""The dashboard in a real browser (Debian's Chromium), with the network off.

Loads the dashboard as a user would (``llm-market dashboard``), runs each guided tour from the
home page, and checks that the plots change and no error text appears; that two tabs do not
share a model; that a shared URL reproduces the run; that a mistake is one line in the page;
and that the data downloads. Screenshots are saved to ``test-artifacts/``.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from app.tours import TOURS

pytestmark = pytest.mark.browser

LOAD = 90_000  # ms: the first page of a session starts a kernel
RUN = 120_000


def wait_built(tab) -> None:
    """Until the page's model is built and drawn (its step counter and plots show, settled).

    Each widget's update arrives on its own: the counter may show before the plots do.
    """
    tab.page.get_by_test_id("step-counter").wait_for(timeout=LOAD)
    tab.page.locator("svg[data-testid^=plot]").first.wait_for(timeout=LOAD)
    settle(tab, quiet=0.3)


def counter(tab) -> int:
    """The visible step counter."""
    return int(tab.page.get_by_test_id("step-counter").inner_text())


PLOTS_JS = (
    "Array.from(document.querySelectorAll('svg[data-testid^=plot]')).map(e => e.outerHTML).join('')"
)


def plots_html(tab) -> str:
    """The markup of every plot on the page."""
    return tab.page.evaluate(f"() => {PLOTS_JS}")


def wait_plots_change(tab, before: str) -> None:
    """Until the plots differ from ``before`` (each widget's update arrives on its own)."""
    tab.page.wait_for_function(f"(before) => {PLOTS_JS} !== before", arg=before, timeout=RUN)


def settle(tab, quiet: float = 0.5, timeout: float = 30.0) -> None:
    """Until the plots stop changing for ``quiet`` seconds (the last updates have arrived)."""
    deadline = time.monotonic() + timeout
    last, since = plots_html(tab), time.monotonic()
    while time.monotonic() < deadline:
        tab.page.wait_for_timeout(100)
        now = plots_html(tab)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
    raise AssertionError("the plots kept changing")


def play_to_end(tab) -> None:
    """Press Play and wait until the run has finished."""
    tab.page.get_by_role("button", name="Play", exact=True).click()
    tab.page.wait_for_function(
        "document.querySelector('[data-testid=run-state]').textContent === 'finished'",
        timeout=RUN,
    )


def assert_no_error(tab) -> None:
    """No error alert, no traceback, nothing fetched from outside."""
    assert tab.page.locator(".user-error").count() == 0
    assert "Traceback" not in tab.page.inner_text("body")
    assert tab.refused == [], f"requests left the machine: {tab.refused}"


def test_home_page_renders_offline(new_tab, dashboard_url):
    tab = new_tab()
    tab.page.goto(dashboard_url + "/")
    tab.page.get_by_role("heading", name="Guided tours").wait_for(timeout=LOAD)
    assert tab.page.get_by_role("button", name="Start the tour").count() == len(TOURS)
    assert tab.page.get_by_role("button", name="Open").count() == 4
    tab.screenshot("home")
    assert_no_error(tab)


@pytest.mark.parametrize("index", range(len(TOURS)), ids=[t.name for t in TOURS])
def test_each_tour_from_the_home_page(new_tab, dashboard_url, index):
    tour = TOURS[index]
    tab = new_tab()
    tab.page.goto(dashboard_url + "/")
    tab.page.get_by_role("button", name="Start the tour").nth(index).click()
    wait_built(tab)
    tab.page.get_by_text(f"Tour: {tour.title}").wait_for(timeout=LOAD)
    assert f"/{tour.page}?" in tab.page.url and f"tour={tour.name}" in tab.page.url
    before = plots_html(tab)
    assert before.count("<svg") >= 5
    play_to_end(tab)
    assert counter(tab) >= 1
    wait_plots_change(tab, before)  # fails (times out) if playing leaves the plots unchanged
    tab.screenshot(f"tour-{tour.name}")
    assert_no_error(tab)


def test_two_tabs_do_not_share_a_model(new_tab, dashboard_url):
    first = new_tab()
    second = new_tab()
    url = dashboard_url + "/delegation?batch=100000"
    for tab in (first, second):
        tab.page.goto(url)
        wait_built(tab)
    for expected in (1, 2):
        first.page.get_by_role("button", name="Step", exact=True).click()
        first.page.get_by_test_id("step-counter").filter(has_text=str(expected)).wait_for()
    second.page.reload()
    wait_built(second)
    assert counter(second) == 0
    assert counter(first) == 2


def test_a_shared_url_reproduces_the_run(new_tab, dashboard_url):
    author = new_tab()
    author.page.goto(dashboard_url + "/delegation")
    wait_built(author)
    field = author.page.get_by_label("T: queries (blank: the scenario's)")
    field.fill("300000")
    field.press("Enter")
    author.page.wait_for_url("**T=300000**", timeout=LOAD)
    # as a reader of the page would: the next setting once the new horizon's model is drawn
    author.page.get_by_text("of T = 300,000").wait_for(timeout=LOAD)
    wait_built(author)
    box = author.page.get_by_label("Queries per step")
    box.fill("30000")
    expect(box).to_have_value("30000")
    box.press("Enter")
    author.page.wait_for_url("**batch=30000**", timeout=LOAD)
    author.page.get_by_text("of T = 300,000").wait_for(timeout=LOAD)
    play_to_end(author)
    settle(author)
    shared = author.page.url
    reader = new_tab()
    reader.page.goto(shared)
    wait_built(reader)
    play_to_end(reader)
    numbers = "[data-testid=mechanism-numbers]"
    reader.page.wait_for_function(
        f"(expected) => {PLOTS_JS} === expected", arg=plots_html(author), timeout=RUN
    )
    assert reader.page.inner_text(numbers) == author.page.inner_text(numbers)
    reader.screenshot("shared-url")
    assert_no_error(reader)


def test_a_mistake_is_one_line_in_the_page(new_tab, dashboard_url):
    tab = new_tab()
    tab.page.goto(dashboard_url + "/delegation?T=100")
    message = tab.page.locator(".user-error")
    message.wait_for(timeout=LOAD)
    text = message.inner_text()
    assert text.startswith("T: expected a horizon long enough")
    assert "Traceback" not in tab.page.inner_text("body")
    tab.screenshot("mistake")


def test_the_data_downloads_as_csv(new_tab, dashboard_url):
    tab = new_tab()
    tab.page.goto(dashboard_url + "/ttc")
    wait_built(tab)
    play_to_end(tab)
    with tab.page.expect_download(timeout=LOAD) as download:
        tab.page.get_by_role("button", name="Data (CSV)").click()
    text = open(download.value.path()).read()
    assert text.splitlines()[0].startswith("step,theta[Provider 1],share[Provider 1]")
    assert len(text.splitlines()) == 1 + counter(tab) + 1  # header, step 0, each iteration
