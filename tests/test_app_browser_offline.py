"""The dashboard with the outside unreachable: no page asks for anything beyond this machine.

``llm-market dashboard`` runs with ``offline_sitecustomize.py`` as its ``sitecustomize``, so in
the server's process every outside host fails at once (as with no internet) and is logged.
Headless Chromium then opens every page, guided tour and an unknown address, pressing Step,
Play and Compute, with every request leaving the server refused (``OfflineTab``). The test
asserts: the server tried no outside host, the browser saw no failing ``/_solara/cdn/``
response, and the server's stderr has no "Could not load URL" (solara's CDN proxy giving up)
nor anything else: browsing keeps the terminal quiet.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import OfflineTab, browser_missing
from test_app_browser import LOAD, RUN, wait_built

from app.tours import TOURS

pytestmark = pytest.mark.browser

GUARD = Path(__file__).with_name("offline_sitecustomize.py")

#: The ROSA page with a study small enough to compute here.
QUICK_STUDY = "/rosa?T=2000&batch=500&study_T=500&runs=10"

#: Every page with quick settings, then every guided tour as its link sets it.
PAGES = (
    "/delegation?batch=200000",
    "/ttc",
    QUICK_STUDY,
    "/metagame?T=30000&seeds=1&seed=8",
    *(tour.url for tour in TOURS),
)


@pytest.fixture(scope="module")
def guarded_dashboard(tmp_path_factory):
    """``llm-market dashboard`` whose process logs (and fails) every outside host."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from app.serve import start_dashboard, stop_dashboard

    folder = tmp_path_factory.mktemp("offline")
    (folder / "guard").mkdir()
    shutil.copy(GUARD, folder / "guard" / "sitecustomize.py")
    python_path = [str(folder / "guard"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(python_path),
        "LLM_MARKET_OUTSIDE_LOG": str(folder / "outside.log"),
        "XDG_CACHE_HOME": str(folder / "cache"),
    }
    stderr = folder / "stderr.txt"
    with stderr.open("w") as sink:
        process, url = start_dashboard(env=env, stderr=sink)
    server = SimpleNamespace(url=url, outside=folder / "outside.log", stderr=stderr)
    yield server
    stop_dashboard(process)


@pytest.fixture
def guarded_tab(chromium, guarded_dashboard):
    """An offline tab on the guarded dashboard that records failing /_solara/cdn responses."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1800})
    tab = OfflineTab(context, guarded_dashboard.url)
    tab.cdn_failures = []

    def check(response):
        if "/_solara/cdn/" in response.url and not 200 <= response.status < 400:
            tab.cdn_failures.append(f"{response.status} {response.url}")

    def failed(request):
        # a request cut short because the test moved on to the next page is not a failure
        if "/_solara/cdn/" in request.url and request.failure != "net::ERR_ABORTED":
            tab.cdn_failures.append(f"{request.failure} {request.url}")

    tab.page.on("response", check)
    tab.page.on("requestfailed", failed)
    yield tab
    context.close()


def press(tab, name: str) -> bool:
    """Click the first enabled button called ``name`` (False when there is none)."""
    button = tab.page.get_by_role("button", name=name, exact=True).first
    if button.count() == 0 or not button.is_enabled():
        return False
    button.click()
    return True


def use_page(tab, compute: bool) -> None:
    """Wait for the page's run, step it, play it to the end, and compute a study if asked."""
    wait_built(tab)
    if press(tab, "Step"):
        tab.page.wait_for_function(
            "Number(document.querySelector('[data-testid=step-counter]').textContent) >= 1",
            timeout=RUN,
        )
    if press(tab, "Play"):
        tab.page.wait_for_function(
            "document.querySelector('[data-testid=run-state]').textContent === 'finished'",
            timeout=RUN,
        )
    if compute and press(tab, "Compute"):
        tab.page.get_by_text("Computed in").first.wait_for(timeout=RUN)


def test_no_page_reaches_beyond_this_machine(guarded_dashboard, guarded_tab):
    tab, server = guarded_tab, guarded_dashboard
    tab.page.goto(server.url + "/")
    tab.page.get_by_role("heading", name="Guided tours").wait_for(timeout=LOAD)
    for path in PAGES:
        tab.page.goto(server.url + path)
        use_page(tab, compute=path == QUICK_STUDY)
    tab.page.goto(server.url + "/no-such-page")
    tab.page.get_by_text("There is no page at /no-such-page.").wait_for(timeout=LOAD)
    assert Path(str(server.outside) + ".loaded").is_file(), "the guard did not load"
    outside = server.outside.read_text() if server.outside.exists() else ""
    assert outside == "", f"the server tried to reach outside hosts:\n{outside}"
    assert tab.cdn_failures == [], f"/_solara/cdn requests failed: {tab.cdn_failures}"
    assert tab.refused == [], f"the page asked for outside URLs: {tab.refused}"
    stderr = server.stderr.read_text()
    assert "Could not load URL" not in stderr
    assert stderr == "", f"the server's terminal was not quiet while browsing:\n{stderr}"


def test_an_unknown_address_shows_not_found_in_the_layout_and_links_home(
    guarded_dashboard, guarded_tab
):
    tab, server = guarded_tab, guarded_dashboard
    response = tab.page.goto(server.url + "/no-such-page")
    assert tab.page.url.endswith("/?missing=%2Fno-such-page")
    assert response.request.redirected_from.url.endswith("/no-such-page")
    tab.page.get_by_text("There is no page at /no-such-page.").wait_for(timeout=LOAD)
    assert tab.page.get_by_role("tab", name="delegation").count() == 1  # the site's layout
    tab.screenshot("not-found")
    tab.page.get_by_role("button", name="Go to the home page").click()
    tab.page.get_by_role("heading", name="Guided tours").wait_for(timeout=LOAD)
    # the home page may draw before the notice's redraw lands: wait for it to go, then check
    tab.page.get_by_text("Page not found").wait_for(state="detached", timeout=LOAD)
    assert "Page not found" not in tab.page.inner_text("body")
