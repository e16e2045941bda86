"""The ROSA and strategy-dynamics pages in a real browser (Debian's Chromium), network off.

Each page is loaded as a user would, played to the end (the plots must change), a study is
computed on demand, a shared URL reproduces the run, and a mistake is one line. Screenshots go
to ``test-artifacts/``. (The guided tours of both pages run in ``test_app_browser.py``.)
"""

from __future__ import annotations

import pytest
from test_app_browser import (
    LOAD,
    PLOTS_JS,
    RUN,
    assert_no_error,
    counter,
    play_to_end,
    plots_html,
    settle,
    wait_built,
    wait_plots_change,
)

pytestmark = pytest.mark.browser

ROSA = "/rosa?T=2000&batch=500&seed=7&study_T=500&runs=10"
METAGAME = "/metagame?T=30000&seeds=1&seed=8"


def test_rosa_page_plays_computes_a_study_and_a_link_reproduces_it(new_tab, dashboard_url):
    author = new_tab()
    author.page.goto(dashboard_url + ROSA)
    wait_built(author)
    before = plots_html(author)
    assert before.count("<svg") == 6
    play_to_end(author)
    assert counter(author) == 4
    wait_plots_change(author, before)
    settle(author)
    author.page.get_by_role("button", name="Compute", exact=True).first.click()
    author.page.locator("svg[data-testid=plot-truthfulness]").wait_for(timeout=RUN)
    assert "true cost is" in author.page.inner_text("body")
    with author.page.expect_download(timeout=LOAD) as download:
        author.page.get_by_role("button", name="Study data (CSV)").click()
    header = open(download.value.path()).read().splitlines()[0]
    assert header.startswith("bid,expected_utility,standard_error")
    author.screenshot("rosa")
    assert_no_error(author)
    live = "svg[data-testid=plot-regret]"
    reader = new_tab()
    reader.page.goto(author.page.url)
    wait_built(reader)
    play_to_end(reader)
    reader.page.wait_for_function(
        f"(expected) => document.querySelector('{live}').outerHTML === expected",
        arg=author.page.locator(live).evaluate("e => e.outerHTML"),
        timeout=RUN,
    )
    table = "[data-testid=providers-table]"
    assert reader.page.inner_text(table) == author.page.inner_text(table)
    assert_no_error(reader)


def test_metagame_page_plays_to_a_sink_and_a_link_reproduces_it(new_tab, dashboard_url):
    author = new_tab()
    author.page.goto(dashboard_url + METAGAME)
    wait_built(author)
    before = plots_html(author)
    assert before.count("<svg") == 5 and "plot-response-graph" in before
    play_to_end(author)
    assert counter(author) >= 1
    wait_plots_change(author, before)
    settle(author)
    assert "no provider can improve" in author.page.inner_text("body")
    author.page.locator("[data-testid=sinks-table]").wait_for(timeout=LOAD)
    author.screenshot("metagame")
    assert_no_error(author)
    reader = new_tab()
    reader.page.goto(author.page.url)
    wait_built(reader)
    assert "read from the cache" in reader.page.inner_text("body")
    play_to_end(reader)
    reader.page.wait_for_function(
        f"(expected) => {PLOTS_JS} === expected", arg=plots_html(author), timeout=RUN
    )
    assert_no_error(reader)


@pytest.mark.parametrize(
    ("path", "start"),
    [("/rosa?providers=1", "providers: expected"), ("/metagame?T=abc", "T: expected")],
)
def test_a_mistake_on_the_new_pages_is_one_line(new_tab, dashboard_url, path, start):
    tab = new_tab()
    tab.page.goto(dashboard_url + path)
    message = tab.page.locator(".user-error")
    message.wait_for(timeout=LOAD)
    assert message.inner_text().startswith(start)
    assert "\n" not in message.inner_text().strip()
    assert "Traceback" not in tab.page.inner_text("body")
    tab.page.wait_for_timeout(1000)  # let the page finish fading in before the screenshot
    tab.screenshot(f"mistake-{path.split('?')[0].strip('/')}")
