"""The page in a real browser: ``llm-market dashboard`` serving the installed game.

Skips, saying why, when Playwright or Debian's Chromium is absent (never ``playwright
install``).
"""

from __future__ import annotations

import importlib.util
import shutil

import pytest

pytestmark = pytest.mark.browser


def browser_missing() -> str:
    """Why the browser test cannot run here ("" when it can)."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e 'llm-market[test]')"
    if shutil.which("chromium") is None:
        return "no chromium on PATH (apt-get install -y --no-install-recommends chromium)"
    return ""


def test_the_dashboard_serves_the_game_s_page_and_it_plays(tmp_path):
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from app.serve import CHROMIUM_FLAGS, start_dashboard, stop_dashboard
    from playwright.sync_api import expect, sync_playwright

    process, url = start_dashboard()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=list(CHROMIUM_FLAGS)
            )
            page = browser.new_page()
            page.goto(url + "/")
            expect(page.get_by_text("A reputation market (example plugin)")).to_be_visible(
                timeout=60_000
            )
            page.goto(url + "/reputation?preset=milking&rounds=10")
            counter = page.get_by_test_id("step-counter")
            expect(counter).to_have_text("0", timeout=60_000)
            page.get_by_role("button", name="Step").click()
            expect(counter).to_have_text("1", timeout=30_000)
            expect(page.get_by_test_id("plot-ratings-box")).to_be_visible()
            page.screenshot(path=str(tmp_path / "reputation.png"), full_page=True)
            browser.close()
    finally:
        stop_dashboard(process)
