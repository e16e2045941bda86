"""Building blocks every game page shares: URL settings, SVG plots, run controls, the play loop.

The play loop runs in a thread per tab (``solara.use_thread``): it steps the tab's
:class:`~app.session.Session` ``every`` steps at a time, then hands the page one snapshot, so
the plots are redrawn once per ``every`` model steps (long runs stay responsive) and never read
a model that is being stepped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import solara

from app.export import charts_png, table_csv
from app.session import Outcome, Session
from app.tours import Tour, tour_named
from app.urlstate import page_url, parse_query

#: Pause between two rendered updates while playing (seconds): leaves the browser time to draw.
PLAY_PAUSE = 0.02
RENDER_EVERY_CHOICES = (1, 2, 5, 10, 20, 50, 100)


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

    def change(**fields):
        kept = {"tour": query["tour"]} if "tour" in query else {}
        router.push(page_url(path, {**replace(settings, **fields).to_query(), **kept}))

    return UrlSettings(settings, tour_named(query.get("tour")), change)


@solara.component
def Downloads(name: str, table: Callable[[], Any], charts: Callable[[], list], title: str):
    """CSV of the page's data and PNG of its plots (both built only when asked for)."""
    with solara.Row():
        solara.FileDownload(
            lambda: table_csv(table()),
            filename=f"{name}.csv",
            label="Data (CSV)",
            mime_type="text/csv",
        )
        solara.FileDownload(
            lambda: charts_png(charts(), title),
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
    from app.prose import Prose  # local: the import block is being rewritten on another branch

    with solara.Card(title=title, style="margin-bottom:8px;"):
        Prose(markdown)


@solara.component
def TourExplanation(tour: Tour | None):
    """The text of the guided tour the page was opened on (nothing without a tour)."""
    if tour is not None:
        Explanation(tour.text, title=f"Tour: {tour.title}")


@dataclass(frozen=True)
class Simulation:
    """A page's view of its run and the actions its controls call."""

    frame: Any
    error: str
    playing: bool
    every: int
    step: Callable[[], None]
    play: Callable[[], None]
    pause: Callable[[], None]
    reset: Callable[[], None]
    set_every: Callable[[int], None]


def use_simulation(make_session: Callable[[], Session], settings: Any) -> Simulation:
    """The tab's session, rebuilt whenever ``settings`` change, with step/play/pause/reset.

    Must be called inside a component (it uses hooks). The session is made once per tab.
    """
    session: Session = solara.use_memo(make_session, [])
    outcome, set_outcome = solara.use_state(Outcome(None, ""))
    playing, set_playing = solara.use_state(False)
    every, set_every = solara.use_state(1)
    resets, set_resets = solara.use_state(0)

    def rebuild():
        set_playing(False)
        set_outcome(session.reset(settings))

    solara.use_effect(rebuild, [settings, resets])

    def play_loop(cancel: threading.Event):
        if not playing:
            return
        while not cancel.is_set():
            started = time.perf_counter()
            result = session.step(every)
            set_outcome(result)
            if result.error or not session.running:
                break
            cancel.wait(max(0.0, PLAY_PAUSE - (time.perf_counter() - started) / 10))
        set_playing(False)

    solara.use_thread(play_loop, dependencies=[playing, every], intrusive_cancel=False)

    def step():
        if not playing:
            set_outcome(session.step(every))

    return Simulation(
        frame=outcome.frame,
        error=outcome.error,
        playing=playing,
        every=every,
        step=step,
        play=lambda: set_playing(session.running),
        pause=lambda: set_playing(False),
        reset=lambda: set_resets(resets + 1),
        set_every=set_every,
    )


@solara.component
def RunControls(sim: Simulation, steps_done: int, running: bool, unit: str = "step"):
    """Step, Play/Pause and Reset, the rendering interval, and the step counter."""
    with solara.Row(style="align-items:center;flex-wrap:wrap;gap:4px;"):
        solara.Button(
            "Step", on_click=sim.step, disabled=sim.playing or not running, color="primary"
        )
        if sim.playing:
            solara.Button("Pause", on_click=sim.pause, color="warning")
        else:
            solara.Button("Play", on_click=sim.play, disabled=not running, color="success")
        solara.Button("Reset", on_click=sim.reset, outlined=True)
    solara.Select(
        label=f"Render every N {unit}s",
        value=str(sim.every),
        values=[str(n) for n in RENDER_EVERY_CHOICES],
        on_value=lambda text: sim.set_every(int(text)),
    )
    state = "playing" if sim.playing else ("running" if running else "finished")
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f'{unit.capitalize()}s: <b data-testid="step-counter">{steps_done}</b> '
            f'&middot; <span data-testid="run-state">{state}</span>'
        ),
        style="margin-top:6px;",
    )


def named_select(label: str, name: str, choices: list[tuple[str, str]], choose) -> None:
    """A Select showing each ``(name, label)`` choice's label; ``choose`` gets the chosen name."""
    labels = dict(choices)
    solara.Select(
        label=label,
        value=labels.get(name, name),
        values=[shown for _, shown in choices],
        on_value=lambda v: choose(next(n for n, shown in choices if shown == v)),
    )


def text_field(settings, change, name: str, label: str) -> None:
    """An InputText bound to one settings field (applied on Enter or leaving the box)."""
    solara.InputText(
        label,
        value=getattr(settings, name),
        on_value=lambda v: change(**{name: v.strip()}),
        continuous_update=False,
    )


@solara.component
def ErrorMessage(text: str):
    """A user mistake in one line (never a traceback)."""
    if text:
        solara.Error(text, classes=["user-error"])
