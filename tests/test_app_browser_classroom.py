"""A classroom on one dashboard server, in a real browser (Debian's Chromium), network off.

Several tabs (each its own browser context, like separate students) play long delegation runs
at once and all reach the end with no error text; a closed tab's session is released (the
home page's server line counts open simulations).
"""

from __future__ import annotations

import re
import time

import pytest
from test_app_browser import LOAD, assert_no_error, counter, wait_built

pytestmark = pytest.mark.browser

LONG_RUN = "/delegation?preset=cao2026-paper&T=1000000&batch=5000"  # 200 steps, ~10 s to play
TABS = 4


def open_sessions(new_tab, dashboard_url) -> int:
    """The number of open simulations the home page reports."""
    tab = new_tab()
    tab.page.goto(dashboard_url + "/")
    text = tab.page.get_by_test_id("server-status").inner_text(timeout=LOAD)
    tab.page.context.close()
    return int(re.search(r"(\d+) open simulation", text).group(1))


def test_several_tabs_play_long_runs_at_once_to_the_end(new_tab, dashboard_url):
    tabs = [new_tab() for _ in range(TABS)]
    for tab in tabs:
        tab.page.goto(dashboard_url + LONG_RUN)
    for tab in tabs:
        wait_built(tab)
    for tab in tabs:
        tab.page.get_by_role("button", name="Play", exact=True).click()
    for tab in tabs:
        tab.page.wait_for_function(
            "document.querySelector('[data-testid=run-state]').textContent === 'finished'",
            timeout=240_000,
        )
    numbers = "[data-testid=mechanism-numbers]"
    for tab in tabs:  # the same settings and seed: the same run to the end in every tab
        assert counter(tab) == counter(tabs[0]) > 100
        assert tab.page.inner_text(numbers) == tabs[0].page.inner_text(numbers)
        assert tab.page.locator(".panel-error").count() == 0
        assert_no_error(tab)
    tabs[0].screenshot("classroom-tabs")


def test_a_closed_tab_releases_its_session(new_tab, dashboard_url):
    before = open_sessions(new_tab, dashboard_url)
    tab = new_tab()
    tab.page.goto(dashboard_url + LONG_RUN)
    wait_built(tab)
    tab.page.get_by_role("button", name="Play", exact=True).click()
    assert open_sessions(new_tab, dashboard_url) == before + 1
    tab.page.close()  # the page's close beacon ends its kernel, and the session with it
    deadline = time.monotonic() + 60
    while open_sessions(new_tab, dashboard_url) != before:
        assert time.monotonic() < deadline, "the closed tab's session was not released"
        time.sleep(1)
