"""A classroom on one dashboard server, in a real browser (Debian's Chromium), network off.

Several tabs (each its own browser context, like separate students) play long delegation runs
at once and all reach the end with no error text; a closed tab's session is released (the
home page's server line counts open simulations).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

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


def no_sessions_left(new_tab, dashboard_url) -> int:
    """Wait until the server holds no simulation (0), and return it.

    Tabs of earlier tests are closed but may still hold their sessions a while: a page that
    goes with its browser context sends no close beacon, and is released after the server's
    60 s of silence.
    """
    deadline = time.monotonic() + 120
    while (count := open_sessions(new_tab, dashboard_url)) != 0:
        assert time.monotonic() < deadline, f"{count} sessions of earlier tabs never released"
        time.sleep(1)
    return count


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
    before = no_sessions_left(new_tab, dashboard_url)
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


SCENARIO = Path(__file__).parent / "data" / "my-market"
CURVES = Path(__file__).parent.parent / "market" / "ttc" / "data" / "ttc_curves.csv"


def test_an_uploaded_scenario_and_its_records_play_to_the_end(new_tab, dashboard_url):
    tab = new_tab()
    tab.page.goto(dashboard_url + "/delegation?preset=upload:&batch=50000")
    choosers = tab.page.locator("input[type=file]")
    choosers.first.wait_for(state="attached", timeout=LOAD)
    choosers.nth(0).set_input_files(str(SCENARIO / "my-market.toml"))
    tab.page.wait_for_url("**preset=upload%3Amy-market.toml**", timeout=LOAD)
    # it names records.csv, which is not uploaded yet: one line, no file content
    message = tab.page.locator(".user-error", has_text="data: expected")
    message.wait_for(timeout=LOAD)
    assert message.inner_text() == "data: expected the name of an uploaded file"
    choosers.nth(1).set_input_files(str(SCENARIO / "records.csv"))
    wait_built(tab)
    assert tab.page.get_by_text("of T = 200,000").count() == 1  # the scenario's own T
    tab.page.get_by_role("button", name="Play", exact=True).click()
    tab.page.wait_for_function(
        "document.querySelector('[data-testid=run-state]').textContent === 'finished'",
        timeout=120_000,
    )
    assert_no_error(tab)
    tab.screenshot("upload-scenario")
    reader = new_tab()  # the link does not carry the upload: it says so
    reader.page.goto(tab.page.url)
    note = reader.page.locator(".user-error").first
    note.wait_for(timeout=LOAD)
    assert "uploads stay in the tab that made them" in note.inner_text()


def choose(tab, label: str, option: str) -> None:
    """Pick ``option`` in the page's select labelled ``label``."""
    tab.page.locator(".v-select", has_text=label).first.click()
    tab.page.get_by_role("option", name=option, exact=True).click()


def test_uploaded_curves_offer_their_benchmarks_and_build_a_game(new_tab, dashboard_url):
    tab = new_tab()
    tab.page.goto(dashboard_url + "/ttc?preset=&curves=upload:")
    chooser = tab.page.locator("input[type=file]").first
    chooser.wait_for(state="attached", timeout=LOAD)
    chooser.set_input_files(str(CURVES))
    tab.page.wait_for_url("**curves=upload%3Attc_curves.csv**", timeout=LOAD)
    choose(tab, "Benchmark", "GSM8K")
    tab.page.wait_for_url("**benchmark=GSM8K**", timeout=LOAD)
    choose(tab, "Method", "best_of_n")
    wait_built(tab)
    assert "approximate" in tab.page.inner_text("body").lower()
    assert_no_error(tab)
    tab.screenshot("upload-curves")
