"""The suite's lanes and Hypothesis profile, and the browser tests' fixtures.

Two lanes: ``pytest -n auto -m "not slow"`` for the edit loop, and the whole suite
(``pytest -n auto``) before a commit and in CI. Browser tests count as slow: every ``browser``
item is also marked ``slow`` here. The Hypothesis profile (``dev`` or ``ci``) is chosen in
``hypothesis_profiles.py``. Run in parallel (pytest-xdist), each test file, and all the browser
files together, go to one worker (:func:`shared_setup`).

Fixtures of the browser tests: the dashboard as a user runs it, and Debian's Chromium. No
plugin is loaded (see below).

Browser tests (marked ``browser``) skip, saying why, only when Chromium or Playwright is absent
(``.ci/run`` installs both). Pages refuse every request that leaves the dashboard's own
server, so a front end fetched from a CDN fails the test. Screenshots go to
``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis_profiles import profile_name

settings.load_profile(profile_name())

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# The suite tests the package as shipped: plugins a developer has installed (for instance
# examples/plugins/llm-market-extras) are not loaded, in this process or the commands it
# starts; tests/test_plugins.py turns loading back on around its own fake packages.
os.environ.setdefault("LLM_MARKET_DISABLE_PLUGIN_AUTOLOAD", "1")


def browser_missing() -> str:
    """Why browser tests cannot run here ("" when they can)."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if shutil.which("chromium") is None:
        return "no chromium on PATH (apt-get install -y --no-install-recommends chromium)"
    return ""


def pytest_collection_modifyitems(config, items):
    """Browser tests are slow tests: ``-m "not slow"`` leaves them out too.

    Every browser test lives in a ``test_app_browser*.py`` file, where a parallel run keeps it
    with the others (:func:`shared_setup`); one elsewhere stops the run.
    """
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)
            if not item.path.name.startswith(BROWSER_FILES):
                raise pytest.UsageError(
                    f"{item.nodeid}: a browser test belongs in tests/{BROWSER_FILES}*.py"
                )


#: The files of the browser tests: one worker of a parallel run takes them all.
BROWSER_FILES = "test_app_browser"


def shared_setup(nodeid: str) -> str:
    """The unit of work ``nodeid`` belongs to in a parallel run (one worker takes a unit).

    A unit is a test file, so a module- or session-scoped fixture (a paper-scale run checked
    several ways, the abuse corpus, a dashboard with planted files) is built once, as in a
    serial run; and all the browser files make one unit, sharing one dashboard server and one
    Chromium (the classroom test counts that server's sessions).
    """
    path = nodeid.split("::", 1)[0]
    return "browser" if Path(path).name.startswith(BROWSER_FILES) else path


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist picks its own default ("load")
def pytest_cmdline_main(config):
    """Run in parallel (``-n``), the suite distributes by :func:`shared_setup` (``loadfile``).

    A ``--dist`` given on the command line wins.
    """
    if getattr(config.option, "numprocesses", None) and config.option.dist == "no":
        config.option.dist = "loadfile"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with every browser file in one unit (:func:`shared_setup`)."""
    if config.option.dist != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedSetupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return shared_setup(nodeid)

        def _assign_work_unit(self, node) -> None:
            if "browser" in self.workqueue:  # the longest unit first, the rest beside it
                self.workqueue.move_to_end("browser", last=False)
            super()._assign_work_unit(node)

    return SharedSetupScheduling(config, log)


def pytest_report_header(config):
    """Name the Hypothesis profile in the session header."""
    return f"hypothesis profile: {profile_name()}"


@pytest.fixture(scope="session")
def dashboard_url(tmp_path_factory):
    """The base URL of ``llm-market dashboard`` started for this test session.

    The server keeps its payoff tables in a cache folder of the session's own (through
    ``XDG_CACHE_HOME``), never in the user's.
    """
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from app.serve import start_dashboard, stop_dashboard

    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    try:
        process, url = start_dashboard()
    finally:
        if saved is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = saved
    yield url
    stop_dashboard(process)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never ``playwright install``)."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    from app.serve import CHROMIUM_FLAGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=list(CHROMIUM_FLAGS)
        )
        yield browser
        browser.close()


class OfflineTab:
    """A browser tab that refuses every request leaving the dashboard (and records them)."""

    def __init__(self, context, base: str):
        from app.serve import is_local

        self.base = base
        self.refused: list[str] = []
        self.page = context.new_page()

        def refuse(route):
            self.refused.append(route.request.url)
            route.abort()

        # only off-machine requests are routed: the tab's own (its close beacon included) go
        # straight to the dashboard
        self.page.route(lambda url: not is_local(url, base), refuse)

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot under test-artifacts/."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path


@pytest.fixture
def new_tab(chromium, dashboard_url):
    """Open offline tabs in fresh browser contexts (like separate users or devices)."""
    contexts = []

    def open_tab(context=None) -> OfflineTab:
        if context is None:
            context = chromium.new_context(viewport={"width": 1400, "height": 1800})
            contexts.append(context)
        return OfflineTab(context, dashboard_url)

    yield open_tab
    for context in contexts:
        for page in context.pages:
            # Leaving the page sends its close beacon, which ends its session now rather than
            # after the server's 60 s of silence; closing the page (and its context) right away
            # could drop the beacon in flight, leaving a session for the next test to wait out.
            page.goto("about:blank")
            page.close()
        context.close()
