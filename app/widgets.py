"""Building blocks every game page shares: URL settings, SVG plots, run controls, the pump.

Each tab's model is stepped by its :class:`~app.session.Session`'s own worker, which publishes
views; the page draws the latest view at a bounded rate through a *pump* thread
(:func:`use_session_view`) that never hands over a view before the last one was drawn, so a
render never races the worker and renders never pile up. A plot or table that fails to draw is
one line in its own panel (:func:`drawn`, :func:`Guarded`); the page stays.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import reacton.ipyvuetify as ipyvuetify_components
import solara
from ipyvuetify.extra import FileInput
from solara.components.input import use_change

from app.charts import svg as svg_markup
from app.export import charts_png, table_csv
from app.files import MAX_UPLOAD_BYTES, too_large
from app.prose import Prose
from app.session import SPEEDS, Session, View, user_message
from app.tours import Tour, tour_named
from app.urlstate import page_url, parse_query
from market.core.datafiles import DataFile
from market.core.errors import UserInputError

logger = logging.getLogger(__name__)

#: The most views a tab draws per second (fewer when drawing takes longer).
FRAMES_PER_SECOND = 20
#: A tab's pump waits at least this many times its last render before the next one, so one
#: tab's drawing leaves the server's other work a share of its time.
RENDER_SHARE = 1.25


@dataclass(frozen=True)
class UrlSettings:
    """A page's settings read from its URL, the tour it is on, and how to change them."""

    settings: Any
    tour: Tour | None
    change: Callable[..., None]


def use_url_settings(settings_class, path: str) -> UrlSettings:
    """The page's settings (a frozen record with ``from_query``/``to_query``) from its URL.

    ``change(field=value, ...)`` pushes a new URL with those fields changed, so every setting
    lives in the address bar and a link reproduces the run; a tour's name stays in the URL
    while its settings are changed, so its text stays beside the plots.
    """
    router = solara.use_router()
    query = parse_query(router.search)
    settings = solara.use_memo(lambda: settings_class.from_query(query), [router.search or ""])

    def make_change():
        def change(**fields):
            kept = {"tour": query["tour"]} if "tour" in query else {}
            router.push(page_url(path, {**replace(settings, **fields).to_query(), **kept}))

        return change

    # the same function while the URL stays: forms given it are not redrawn with every frame
    change = solara.use_memo(make_change, [router.search or ""])

    return UrlSettings(settings, tour_named(query.get("tour")), change)


@solara.component
def Downloads(name: str, session: Session, table_of, charts_of, title: str):
    """CSV of the run's data and PNG of its plots, from the newest frame when asked for.

    ``table_of(frame)`` and ``charts_of(frame)`` build them; the arguments stay the same while
    the run plays, so the buttons are not redrawn with every frame.
    """
    with solara.Row():
        solara.FileDownload(
            lambda: table_csv(table_of(session.view().frame)),
            filename=f"{name}.csv",
            label="Data (CSV)",
            mime_type="text/csv",
        )
        solara.FileDownload(
            lambda: charts_png(charts_of(session.view().frame), title),
            filename=f"{name}.png",
            label="Plots (PNG)",
            mime_type="image/png",
        )


@solara.component
def Svg(svg: str, test_id: str = "plot"):
    """An SVG string from :mod:`app.charts`, shown as is (no script needed)."""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=svg,
        attributes={"data-testid": f"{test_id}-box"},
        style="width:100%;",
    )


def panel_failure(what: str, error: BaseException) -> str:
    """The one line a panel shows instead of what failed to draw (markup)."""
    logger.error("a dashboard panel failed to draw", exc_info=error)
    text = html.escape(f"{what} could not be drawn: {user_message(error)}")
    style = "color:#b00020;font-size:13px"
    return f'<div class="panel-error" role="alert" style="{style}">{text}</div>'


def drawn(charts: Callable[[], list]) -> list[tuple[str, str]]:
    """Each chart's ``(test id, SVG markup)``; one that fails to draw is one line in its panel."""
    try:
        built = list(charts())
    except Exception as error:
        return [("plot-failed", panel_failure("The plots", error))]
    svgs = []
    for chart in built:
        try:
            svgs.append((chart.test_id, svg_markup(chart)))
        except Exception as error:
            svgs.append((chart.test_id, panel_failure("This plot", error)))
    return svgs


@solara.component
def Guarded(component, *args):
    """``component(*args)``, or one line in its place if it fails to render.

    An error boundary: the failure stays inside this panel, and the panel tries again when its
    arguments change (the next frame).
    """
    failure, clear = solara.use_exception()
    solara.use_effect(lambda: clear() if failure is not None else None, [id(a) for a in args])
    if failure is not None:
        solara.HTML(tag="div", unsafe_innerHTML=panel_failure("This panel", failure))
    else:
        component(*args)


@solara.component
def Figures(svgs: list[tuple[str, str]]):
    """Plots in a responsive grid, two per row on wide screens."""
    with solara.Div(style="display:flex;flex-wrap:wrap;gap:12px;"):
        for test_id, svg in svgs:
            with solara.Div(style="flex:1 1 460px;min-width:320px;max-width:640px;"):
                Svg(svg, test_id)


@solara.component
def Explanation(markdown: str, title: str | None = None):
    """A short explanatory text in a card (teaching texts)."""
    with solara.Card(title=title, style="margin-bottom:8px;"):
        Prose(markdown)


@solara.component
def TourExplanation(tour: Tour | None):
    """The text of the guided tour the page was opened on (nothing without a tour)."""
    if tour is not None:
        Explanation(tour.text, title=f"Tour: {tour.title}")


@dataclass(frozen=True)
class Simulation:
    """A page's view of its session and the requests its controls make (they return at once).

    Attributes:
        view: the latest view the page draws.
        session: the tab's session.
    """

    view: View
    session: Session

    @property
    def frame(self):
        """The latest snapshot (None before a model is built)."""
        return self.view.frame

    @property
    def error(self) -> str:
        """The session's one-line error ("" if none)."""
        return self.view.error


def use_session_view(session: Session) -> View:
    """The session's latest view, drawn at most :data:`FRAMES_PER_SECOND` times a second.

    A thread per tab (the *pump*) waits for the session to publish, waits until the page has
    drawn the view it handed over last (acknowledged by an effect, which runs after a render),
    then hands over the newest one: views published meanwhile are dropped, never queued, and a
    slow render slows the pump instead of piling renders up. Must be called inside a component.
    """
    view, set_view = solara.use_state(session.view())
    solara.use_effect(lambda: session.shown(view.version), [view.version])

    def pump(cancel: threading.Event) -> None:
        handed, gap, last = view.version, 1 / FRAMES_PER_SECOND, 0.0
        while not cancel.is_set():
            if session.wait_newer(handed, timeout=0.25) is None:
                if session.closed:
                    return
                continue
            session.wait_shown(handed, timeout=2.0)
            if cancel.wait(max(0.0, last + gap - time.perf_counter())):
                return
            latest = session.view()
            started = time.perf_counter()
            try:
                set_view(latest)
            except Exception:  # the tab is closing under us
                logger.debug("a view could not be handed to a closing page", exc_info=True)
                return
            handed, last = latest.version, time.perf_counter()
            gap = max(1 / FRAMES_PER_SECOND, RENDER_SHARE * (last - started))

    solara.use_thread(pump, dependencies=[session], intrusive_cancel=False)
    return view


def use_simulation(
    make_session: Callable[[], Session], settings: Any, rebuild_on: Any = None
) -> Simulation:
    """The tab's session, rebuilt whenever ``settings`` (or ``rebuild_on``) change.

    Must be called inside a component (it uses hooks). The session is made once per tab; when
    the tab closes or reloads, the page unmounts and the session ends its worker and drops its
    model and the memory it held. ``rebuild_on`` is anything else the model is built from
    (e.g. the version of the tab's uploads).
    """
    session: Session = solara.use_memo(make_session, [])
    solara.use_effect(lambda: session.close, [])
    solara.use_effect(lambda: session.configure(settings), [settings, rebuild_on])
    return Simulation(use_session_view(session), session)


def speed_label(speed: float, unit: str) -> str:
    """How a play speed reads in the select."""
    return "as fast as possible" if speed <= 0 else f"{speed:g} {unit}s a second"


@solara.component
def RunControls(sim: Simulation, steps_done: int, unit: str = "step"):
    """Step, Play/Pause and Reset, the play speed, and the step counter."""
    view, session = sim.view, sim.session
    busy = bool(view.busy)
    with solara.Row(style="align-items:center;flex-wrap:wrap;gap:4px;"):
        solara.Button(
            "Step",
            on_click=session.step,
            disabled=view.playing or not view.running or busy,
            color="primary",
        )
        if view.playing:
            solara.Button("Pause", on_click=session.pause, color="warning")
        else:
            solara.Button(
                "Play", on_click=session.play, disabled=not view.running or busy, color="success"
            )
        solara.Button("Reset", on_click=session.reset, outlined=True)
    labels = {speed_label(s, unit): s for s in SPEEDS}
    solara.Select(
        label="Speed",
        value=speed_label(view.speed, unit),
        values=list(labels),
        on_value=lambda text: session.set_speed(labels[text]),
    )
    if busy:
        state = "building"
    elif view.playing:
        state = "playing"
    else:
        state = "running" if view.running else "finished"
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f'{unit.capitalize()}s: <b data-testid="step-counter">{steps_done}</b> '
            f'&middot; <span data-testid="run-state">{state}</span>'
        ),
        style="margin-top:6px;",
    )


@solara.component
def SessionStatus(sim: Simulation):
    """What the session is busy with (its place in the server's line), or its error."""
    if sim.view.busy:
        solara.ProgressLinear(True)
        solara.Text(sim.view.busy, style="font-size:13px;color:#555")
    ErrorMessage(sim.view.error)


def named_select(label: str, name: str, choices: list[tuple[str, str]], choose) -> None:
    """A Select showing each ``(name, label)`` choice's label; ``choose`` gets the chosen name."""
    labels = dict(choices)
    solara.Select(
        label=label,
        value=labels.get(name, name),
        values=[shown for _, shown in choices],
        on_value=lambda v: choose(next(n for n, shown in choices if shown == v)),
    )


@solara.component
def SettingText(label: str, value: str, commit: Callable[[str], None]):
    """A text box for one setting, applied on Enter or on leaving the box.

    What is typed is kept in the component's state at every keystroke, so a redraw of the page
    meanwhile (another setting applied, a frame drawn) never undoes it; the box follows the
    setting when it changes elsewhere (a link, a tour).
    """
    typed, set_typed = solara.use_state(value)
    solara.use_effect(lambda: set_typed(value), [value])
    box = ipyvuetify_components.TextField(
        v_model=typed, on_v_model=set_typed, label=label, hide_details="auto"
    )
    use_change(box, lambda text: commit(str(text or "").strip()))


def text_field(settings, change, name: str, label: str) -> None:
    """A :class:`SettingText` bound to one settings field."""
    SettingText(label, getattr(settings, name), lambda text: change(**{name: text}))


@solara.component
def ErrorMessage(text: str):
    """A user mistake in one line (never a traceback)."""
    if text:
        solara.Error(text, classes=["user-error"])


@solara.component
def UploadField(label: str, accept: str, on_file: Callable[[DataFile], None]):
    """A file chooser (click or drop); the chosen file is read into memory, size-capped.

    ``on_file`` gets the :class:`DataFile` (called from a thread). A file above
    :data:`MAX_UPLOAD_BYTES` is refused before any of it is sent.
    """
    info, set_info = solara.use_state([])
    files, set_files = solara.use_state([])
    problem, set_problem = solara.use_state("")
    chooser = FileInput.element(label=label, accept=accept, multiple=False, on_file_info=set_info)

    def wire():
        if info:
            widget = solara.get_widget(chooser)
            widget.version += 1
            widget.reset_stats()
            set_files(widget.get_files())

    solara.use_effect(wire, [info])

    def read():
        if not files:
            return
        chosen = files[0]
        if chosen["size"] > MAX_UPLOAD_BYTES:
            set_problem(too_large(chosen["size"]))
            return
        try:
            on_file(DataFile(chosen["name"], chosen["file_obj"].read()))
            set_problem("")
        except UserInputError as error:
            set_problem(error.without_values())
        except Exception as error:  # a broken transfer: one line, never a traceback
            set_problem(f"upload: the file could not be received ({type(error).__name__})")

    solara.use_thread(read, [files], intrusive_cancel=False)
    if problem:
        solara.Error(problem, classes=["user-error"])
