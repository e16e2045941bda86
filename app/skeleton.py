"""The one page every game fills: settings in the URL, a per-tab run, two columns.

:func:`GamePage` lays a game's page out the same way for every game: the title; on the left the
guided tour's text, the game's settings form, the run controls and the downloads; on the right
the session's status (what the run waits for, or why not), the game's explanation and its
panels (numbers, plots, studies). A game passes its parts in: its settings record, a session
factory, a form, panels, what to download, and optionally a preparation that must finish before
a run can be built (e.g. a payoff table computed in the background). Every tab holds its own
uploads (:class:`TabUploads`); a form that offers uploads adds to them and the run is rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import solara

from app.files import Uploads
from app.session import Session
from app.tours import Tour
from app.widgets import (
    Downloads,
    ErrorMessage,
    Explanation,
    RunControls,
    SessionStatus,
    TourExplanation,
    use_simulation,
    use_url_settings,
)
from market.core.datafiles import DataFile


@dataclass(frozen=True)
class TabUploads:
    """The files uploaded in this tab, and how a form adds one (the run is then rebuilt).

    Attributes:
        files: the tab's uploads (held in memory, never on the server's disk).
        version: changes with every upload (what the run is rebuilt on).
        add: keeps a file in :attr:`files` and bumps :attr:`version`.
    """

    files: Uploads
    version: int
    add: Callable[[DataFile], None]


def use_tab_uploads() -> TabUploads:
    """The tab's uploads (a hook: call it inside a component)."""
    files = solara.use_memo(Uploads, [])
    version, set_version = solara.use_state(0)

    def make_add():
        def add(file: DataFile) -> None:
            files.add(file)
            set_version(files.version)

        return add

    add = solara.use_memo(make_add, [])
    return TabUploads(files, version, add)


@dataclass(frozen=True)
class Tab:
    """What a page's parts are given: the settings, how to change them, the tour, the uploads.

    Attributes:
        settings: the page's settings record, read from the URL.
        change: ``change(field=value, ...)`` pushes a URL with those fields changed.
        tour: the guided tour the page was opened on (None without one).
        uploads: the tab's uploads.
    """

    settings: Any
    change: Callable[..., None]
    tour: Tour | None
    uploads: TabUploads


@dataclass(frozen=True)
class DownloadSpec:
    """What the page offers for download from its newest frame.

    Attributes:
        name_of: the file name (without extension) for a frame.
        table_of: the frame's data as a DataFrame (the CSV).
        charts_of: the frame's charts (the PNG).
        title_of: the PNG's title for a frame.
    """

    name_of: Callable[[Any], str]
    table_of: Callable[[Any], Any]
    charts_of: Callable[[Any], list]
    title_of: Callable[[Any], str]


@dataclass(frozen=True)
class Preparation:
    """Where a page's preparation stands: what the run is built from once it is ready.

    Attributes:
        ready: what the session is configured with (None while preparing or on a mistake).
        problem: a one-line mistake ("" if none).
        waiting: a component shown below the explanation while preparing (None: nothing).
    """

    ready: Any
    problem: str = ""
    waiting: Callable[[], Any] | None = None


def steps_taken(frame) -> int:
    """The step counter of a frame (most games count steps)."""
    return frame.steps


@solara.component
def Columns(left: Callable[[], None], right: Callable[[], None]):
    """The page's two responsive columns: settings on the left, what they produce on the right."""
    with solara.ColumnsResponsive(12, medium=[4, 8], large=[3, 9]):
        with solara.Column():
            left()
        with solara.Column():
            right()


@solara.component
def Waiting(tab: Tab, intro: str, form, preparation: Preparation):
    """The page while its preparation runs (or shows a mistake): settings, status, explanation."""

    def left():
        TourExplanation(tab.tour)
        form(tab)

    def right():
        ErrorMessage(preparation.problem)
        Explanation(intro)
        if preparation.waiting is not None and not preparation.problem:
            preparation.waiting()

    Columns(left, right)


@solara.component
def Live(tab: Tab, intro: str, parts: GameParts, ready: Any):
    """The page with its run: settings, controls and downloads; status, explanation, panels."""
    sim = use_simulation(lambda: parts.session(tab), ready, rebuild_on=tab.uploads.version)
    frame = sim.frame
    downloads = parts.downloads

    def left():
        TourExplanation(tab.tour)
        parts.form(tab)
        if frame is not None:
            RunControls(sim, parts.steps_of(frame), unit=parts.unit)
            Downloads(
                downloads.name_of(frame),
                sim.session,
                downloads.table_of,
                downloads.charts_of,
                downloads.title_of(frame),
            )

    def right():
        SessionStatus(sim)  # where the eye goes first: what the run is waiting for, or why not
        Explanation(intro)
        if frame is not None:
            parts.panels(tab, frame, ready)

    Columns(left, right)


@dataclass(frozen=True)
class GameParts:
    """The parts a game fills the page skeleton with.

    Attributes:
        session: ``session(tab)`` the tab's session (built once per tab, never at module level).
        form: ``form(tab)`` the settings form (a component).
        panels: ``panels(tab, frame, ready)`` what the run shows below the explanation (a
            component); ``ready`` is what the run was built from.
        downloads: what the page offers for download.
        unit: what one step of the run is called ("step", "iteration", "play").
        steps_of: the step counter of a frame.
        prepare: ``prepare(tab) -> Preparation``, a hook run on every render when the run
            needs something computed first (None: the run is built from the settings).
    """

    session: Callable[[Tab], Session]
    form: Callable[[Tab], Any]
    panels: Callable[[Tab, Any, Any], Any]
    downloads: DownloadSpec
    unit: str = "step"
    steps_of: Callable[[Any], int] = steps_taken
    prepare: Callable[[Tab], Preparation] | None = None


@solara.component
def GamePage(settings_class: type, path: str, title: str, intro: str, parts: GameParts):
    """A game's page: its settings from the URL at ``path``, its ``title``, ``intro`` and parts."""
    url = use_url_settings(settings_class, path)
    tab = Tab(url.settings, url.change, url.tour, use_tab_uploads())
    preparation = parts.prepare(tab) if parts.prepare is not None else Preparation(tab.settings)
    solara.Title(f"llm-market: {title}")
    if preparation.ready is None:
        Waiting(tab, intro, parts.form, preparation)
    else:
        Live(tab, intro, parts, preparation.ready)
