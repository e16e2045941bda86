"""Nothing on the server leaks into a page, whatever a URL or a text field names (a browser).

A dashboard served to a room must not be a way to read the server's files. The server here
runs with a planted secret file, a planted secret environment variable (readable on Linux as
``/proc/self/environ``) and a data folder (``--data-dir``) holding a good scenario and links
that point out of it, at the secret file and at ``/proc/self/environ``. Every parameter of
every page that names a file is pointed in turn at the secret file, at ``/proc/self/environ``,
through ``..``, ``file://``, ``upload:`` and the data folder's links, and every other URL
parameter (each page's settings, which are also its text fields and selects) at the secret
file and ``/proc/self/environ``; neither secret may appear in the page's text or markup.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest
from test_app_browser import LOAD

from app.games.delegation import DelegationSettings
from app.games.metagame import MetagameSettings
from app.games.rosa import RosaSettings
from app.games.ttc import TTCSettings

pytestmark = pytest.mark.browser

PAGES = {
    "delegation": DelegationSettings,
    "ttc": TTCSettings,
    "rosa": RosaSettings,
    "metagame": MetagameSettings,
}
#: The settings of each page whose value names a file (also tried through ``..`` and links).
FILE_FIELDS = {("delegation", "preset"), ("ttc", "curves"), ("metagame", "preset")}
SCENARIO = Path(__file__).parent / "data" / "my-market"
SETTLED = "[data-testid=step-counter], .user-error, .panel-error"


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A server with a secret file, a secret variable and a data folder with links out."""
    from conftest import browser_missing

    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from app.serve import start_dashboard, stop_dashboard

    root = tmp_path_factory.mktemp("planted")
    file_secret, env_secret = f"FILE-{secrets.token_hex(8)}", f"ENV-{secrets.token_hex(8)}"
    secret = root / "secret.toml"
    secret.write_text(f'name = "{file_secret}"\n{file_secret} = 1\n')
    folder = root / "served"
    folder.mkdir()
    shutil.copy(SCENARIO / "my-market.toml", folder)
    shutil.copy(SCENARIO / "records.csv", folder)
    (folder / "leak.toml").symlink_to(secret)
    (folder / "environ.csv").symlink_to("/proc/self/environ")
    env = {**os.environ, "LLM_MARKET_PLANTED_SECRET": env_secret}
    env["XDG_CACHE_HOME"] = str(root / "cache")
    process, url = start_dashboard(env=env, args=("--data-dir", str(folder)))
    yield {"url": url, "secret": secret, "secrets": (file_secret, env_secret)}
    stop_dashboard(process)


def pointers(secret: Path, file_field: bool) -> list[str]:
    """What a field is pointed at: the secret file and the environment, several ways."""
    ways = [str(secret), "/proc/self/environ"]
    if file_field:
        ways += [
            "../" * 12 + str(secret).lstrip("/"),
            f"file://{secret}",
            f"upload:{secret}",
            "leak.toml",
            "environ.csv",
        ]
    return ways


def shows_nothing_secret(tab, url: str, hidden: tuple[str, ...]) -> None:
    """Load ``url`` and check neither secret is in the page once it has settled."""
    tab.page.goto(url)
    tab.page.locator(SETTLED).first.wait_for(timeout=LOAD)
    tab.page.wait_for_timeout(300)
    text, markup = tab.page.inner_text("body"), tab.page.content()
    for secret in hidden:
        assert secret not in text and secret not in markup, f"{secret} shown at {url}"
    assert "Traceback" not in text


@pytest.fixture
def new_tab(chromium, planted):
    """Offline tabs on the planted server, each in a fresh browser context."""
    from conftest import OfflineTab

    contexts = []

    def open_tab():
        contexts.append(chromium.new_context(viewport={"width": 1400, "height": 1200}))
        return OfflineTab(contexts[-1], planted["url"])

    yield open_tab
    for context in contexts:
        context.close()


@pytest.mark.parametrize("page", list(PAGES))
def test_no_parameter_of_a_page_shows_a_server_file(new_tab, planted, page):
    """File parameters one at a time, every way; all the others at once.

    Every parameter one at a time is checked without a browser, faster, in
    ``test_app_secrets.py``.
    """
    tab = new_tab()
    fields = [f.name for f in dataclasses.fields(PAGES[page])]
    for field in fields:
        if (page, field) in FILE_FIELDS:
            for pointer in pointers(planted["secret"], file_field=True):
                query = urlencode({field: pointer, "T": "200000", "batch": "100000"})
                shows_nothing_secret(tab, f"{planted['url']}/{page}?{query}", planted["secrets"])
    for pointer in pointers(planted["secret"], file_field=False):
        query = urlencode({f: pointer for f in fields if (page, f) not in FILE_FIELDS})
        shows_nothing_secret(tab, f"{planted['url']}/{page}?{query}", planted["secrets"])


def test_the_data_folder_offers_its_files_and_nothing_through_its_links(new_tab, planted):
    tab = new_tab()
    tab.page.goto(planted["url"] + "/delegation?preset=my-market.toml")
    tab.page.get_by_role("button", name="Play", exact=True).wait_for(timeout=LOAD)
    assert tab.page.locator(".user-error").count() == 0
    assert "my-market.toml (server's data folder)" in tab.page.inner_text("body")
    tab.page.goto(planted["url"] + "/delegation?preset=leak.toml")
    message = tab.page.locator(".user-error").first
    message.wait_for(timeout=LOAD)
    assert message.inner_text().startswith("scenario: expected one of cao2026, cao2026-paper")
    assert "leak.toml" not in message.inner_text().split("got")[0]  # a link is not offered
