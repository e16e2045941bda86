"""No page parameter shows a server file, one parameter at a time (headless, no browser).

Every URL parameter of every page (each page's settings: its text fields and selects) is set in
turn to a planted secret file and to ``/proc/self/environ`` (this process's environment), and
each setting that names a file also to a path through ``..``; the page is rendered and its
session built, and no widget of the page may hold the secret or any entry of the environment.
The browser test (``test_app_browser_secrets.py``) repeats the file parameters every way on a
real server.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

import ipywidgets
import pytest
import solara
from test_app_pages import Harness

from app.pages import delegation, metagame, rosa, ttc

PAGES = (delegation, ttc, rosa, metagame)
SETTINGS = {
    delegation: delegation.game.DelegationSettings,
    ttc: ttc.game.TTCSettings,
    rosa: rosa.game.RosaSettings,
    metagame: metagame.game.MetagameSettings,
}


def environment_entries() -> list[str]:
    """This process's environment as ``/proc/self/environ`` holds it (long entries only)."""
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return []
    return [e for e in raw.decode(errors="replace").split("\0") if len(e) >= 12]


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory):
    """Payoff tables of the strategy-dynamics page go to a temporary cache, not ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory):
    """A secret file: a TOML whose name and an unknown key are the secret."""
    secret = f"FILE-{secrets.token_hex(8)}"
    path = tmp_path_factory.mktemp("planted") / "secret.toml"
    path.write_text(f'name = "{secret}"\n{secret} = 1\n')
    return path, secret


def widget_states(widget, seen: set[int]) -> list[str]:
    """The synced state of ``widget`` and of every widget it holds, depth first."""
    if id(widget) in seen:
        return []
    seen.add(id(widget))
    try:
        states = [str(widget.get_state())]
    except AttributeError:  # closed by a render on another thread meanwhile
        return []
    for name in widget.keys:
        value = getattr(widget, name, None)
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, ipywidgets.Widget):
                states += widget_states(item, seen)
    return states


def page_state(rc) -> str:
    """Everything the page's widgets hold (what a browser could be sent)."""
    return "\n".join(widget_states(rc.find(ipywidgets.Widget).widget, set()))


#: How often a settling page is looked at (seconds).
POLL_SECONDS = 0.02
#: How long a page's widgets must stay unchanged, once the session settled, to count as drawn:
#: the last widgets of the same render come within it (seconds). A page still changing (a play
#: loop's counter) counts as drawn :data:`BUSY_SECONDS` after the session settled.
QUIET_SECONDS = 0.1
BUSY_SECONDS = 1.0


def rendered(page, url: str):
    """The page at ``url`` once its session has settled (built, or failed in one line).

    Settled: the step counter, a user error or an alert is shown, and no widget has changed for
    :data:`QUIET_SECONDS` since (the last widgets of the same render), or it has been shown for
    :data:`BUSY_SECONDS`.
    """
    _box, rc = solara.render(Harness(page, url), handle_error=False)
    deadline = time.monotonic() + 60
    state, quiet_since, shown_since = page_state(rc), None, None
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        now, clock = page_state(rc), time.monotonic()
        if not ("step-counter" in now or "user-error" in now or "v-alert" in now):
            state, quiet_since, shown_since = now, None, None
            continue
        shown_since = shown_since or clock
        if quiet_since is None or now != state:
            state, quiet_since = now, clock
        if clock - quiet_since >= QUIET_SECONDS or clock - shown_since >= BUSY_SECONDS:
            return rc
    return rc


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[p.PATH for p in PAGES])
def test_each_parameter_alone_shows_no_server_file(page, secret_file, private_cache):
    path, secret = secret_file
    hidden = [secret, *environment_entries()]
    for field in dataclasses.fields(SETTINGS[page]):
        ways = [str(path), "/proc/self/environ"]
        if field.name in ("preset", "curves"):  # the settings that name a file
            ways.append("../" * 12 + str(path).lstrip("/"))
        for way in ways:
            fast = {"T": "200000", "batch": "100000"} if page is delegation else {}
            extra = {} if field.name in fast else fast
            url = f"/{page.PATH}?{urlencode({field.name: way, **extra})}"
            rc = rendered(page, url)
            state = page_state(rc)
            leaked = [h for h in hidden if h in state]
            assert not leaked, f"{url} shows {leaked[0][:20]}..."
            rc.close()
