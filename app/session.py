"""One browser tab's simulation: a model stepped by its own worker, shown as published views.

The render/step race of ``shared/notes/solara-dashboard.md`` (trap 4) and reacton's "Too many
renders" are avoided by construction: only the session's worker thread ever touches the
model. It builds, steps and snapshots it at compute speed (or at the chosen speed), and
*publishes* an immutable :class:`View` (the latest snapshot, or "frame", with the session's
state) at most :data:`FRAME_INTERVAL` apart while playing; the page draws the latest view at its
own pace (:func:`app.widgets.use_session_view`), so intermediate frames are dropped, never
queued, and no page state is changed by the worker.

The page's controls only leave requests (build these settings, step once, play, pause, a
speed) and return at once. A session is made per tab inside a component, never at module level
(trap 1), and :meth:`Session.close` (the tab closed or reloaded) ends its worker and drops its
model, frames and the memory it held from the server's budget (:mod:`app.capacity`).

User mistakes (a bad T, an unknown strategy, a file that does not load) and failures of the
model become one line in the page, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from app import capacity
from market.core.errors import UserInputError

logger = logging.getLogger(__name__)

#: Seconds between two published frames while playing (at most 20 a second).
FRAME_INTERVAL = 0.05
#: Seconds a play loop steps before it passes its turn to another tab.
CHUNK_SECONDS = 0.05
#: Models estimated to hold more than this are built on the server's shared work pool.
HEAVY_BYTES = 256 * 1024**2
#: The play speeds offered (steps per second; 0 = as fast as possible).
SPEEDS = (0.0, 100.0, 20.0, 5.0, 1.0)
#: The speed a tab starts at: every step drawn, a 100-step run in about 5 s (watchable).
DEFAULT_SPEED = 20.0
_NOTHING = object()


def user_message(error: BaseException) -> str:
    """One line for the page: the UserInputError's own text, or the kind and message.

    A data file's mistake is shown without the values found in it
    (:meth:`~market.core.errors.UserInputError.without_values` when the error has it).
    """
    if isinstance(error, UserInputError):
        quiet = getattr(error, "without_values", None)
        return quiet() if callable(quiet) and getattr(error, "from_file", False) else str(error)
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:300]


@dataclass(frozen=True)
class View:
    """What the page shows of its session, published by the worker.

    Attributes:
        version: increases with every publication.
        frame: the latest snapshot of the model (None before one is built).
        error: one line ("" if none).
        running: whether the model can step further.
        playing: whether the play loop runs.
        busy: what the session is doing that takes time ("" when idle), e.g. its place in line.
        speed: steps per second while playing (0: as fast as possible).
    """

    version: int = 0
    frame: Any = None
    error: str = ""
    running: bool = False
    playing: bool = False
    busy: str = ""
    speed: float = DEFAULT_SPEED


class Session:
    """A tab's model: built, stepped and snapshotted by its own worker thread.

    Args:
        build: settings -> run (raises UserInputError for bad settings).
        snapshot: run -> frame (an immutable copy of what the page shows).
        model_of: run -> the Mesa model inside it (for ``step()`` and ``running``).
        demand: settings -> :class:`~app.capacity.Demand`, the memory the run will hold
            (None: nothing is held).
        resources: the server's shared resources (default: this process's).
        on_drop: run -> None, called when the session lets a run go (e.g. to clear caches).
    """

    def __init__(
        self,
        build: Callable[[Any], Any],
        snapshot: Callable[[Any], Any],
        model_of: Callable[[Any], Any] = lambda run: run.model,
        demand: Callable[[Any], capacity.Demand] | None = None,
        resources: capacity.Server | None = None,
        on_drop: Callable[[Any], None] | None = None,
    ):
        self.build = build
        self.on_drop = on_drop
        self.snapshot = snapshot
        self.model_of = model_of
        self.demand = demand
        self.resources = resources or capacity.server()
        self.resources.session_opened()
        self.condition = threading.Condition()
        self.current = View()
        self.shown_version = 0
        self.settings: Any = _NOTHING
        self.wanted: Any = _NOTHING
        self.steps_wanted = 0
        self.playing = False
        self.speed = DEFAULT_SPEED
        self.closed = False
        self.worker: threading.Thread | None = None
        # owned by the worker thread
        self.run: Any = None
        self.hold: capacity.Hold | None = None
        self.job: capacity.Job | None = None
        self.published_at = 0.0
        self.clock: tuple[float, float] | None = None  # (when, speed) playing at a speed began
        self.played = 0  # steps played since then

    # ---- requests from the page (they return at once) ----

    def configure(self, settings) -> None:
        """Build a fresh model from ``settings`` (the old one is dropped, even on error)."""
        with self.condition:
            self.settings = self.wanted = settings
            self.steps_wanted, self.playing = 0, False
            self._publish(playing=False, busy="Building the model", error="")

    def reset(self) -> None:
        """Build the model again from the last settings."""
        if self.settings is not _NOTHING:
            self.configure(self.settings)

    def step(self) -> None:
        """Advance one model step (ignored while playing)."""
        with self.condition:
            if not self.playing:
                self.steps_wanted += 1
                self._wake()

    def play(self) -> None:
        """Step until the run ends or :meth:`pause` (at the chosen speed)."""
        with self.condition:
            if self.current.running:
                self.playing, self.clock = True, None
                self._publish(playing=True)

    def pause(self) -> None:
        """Stop playing after the current step (the view says so once it has stopped)."""
        with self.condition:
            self.playing = False
            self._wake()

    def set_speed(self, steps_per_second: float) -> None:
        """Steps per second while playing (0: as fast as possible)."""
        with self.condition:
            self.speed = max(0.0, float(steps_per_second))
            self._publish(speed=self.speed)

    def close(self) -> None:
        """End the worker; the model, frames and held memory are dropped (once)."""
        with self.condition:
            if self.closed:
                return
            self.resources.session_closed()
            self.closed = True
            self.playing = False
            self.current = View(self.current.version + 1)
            job = self.job
            self.condition.notify_all()
        if job is not None:
            job.cancel()
        if self.worker is None:
            self._drop_run()

    # ---- what the page reads ----

    def view(self) -> View:
        """The latest published view."""
        return self.current

    def wait_newer(self, version: int, timeout: float) -> View | None:
        """The latest view once it is newer than ``version`` (None after ``timeout``)."""
        with self.condition:
            if self.condition.wait_for(
                lambda: self.current.version > version or self.closed, timeout
            ):
                return None if self.closed else self.current
            return None

    def shown(self, version: int) -> None:
        """The page has drawn the view of ``version`` (the pump waits for this)."""
        with self.condition:
            self.shown_version = max(self.shown_version, version)
            self.condition.notify_all()

    def wait_shown(self, version: int, timeout: float) -> bool:
        """Until the page has drawn ``version`` (False after ``timeout``)."""
        with self.condition:
            return self.condition.wait_for(
                lambda: self.shown_version >= version or self.closed, timeout
            )

    # ---- the worker ----

    def _wake(self) -> None:
        """Start the worker if needed and tell it there is something to do (lock held)."""
        if self.worker is None and not self.closed:
            self.worker = threading.Thread(target=self._work, name="llm-market-tab", daemon=True)
            # the worker never touches the page: it must not keep the tab's kernel alive
            self.worker.current_context = None  # type: ignore[attr-defined]
            self.worker.start()
        self.condition.notify_all()

    def _publish(self, **changes) -> None:
        """A new view with ``changes`` (lock held); wakes the worker and the page's pump."""
        if not self.closed:
            self.current = replace(self.current, version=self.current.version + 1, **changes)
        self._wake()

    def _has_work(self) -> bool:
        return (
            self.closed
            or self.wanted is not _NOTHING
            or (self.run is not None and (self.playing or self.steps_wanted > 0))
            or self.current.playing != self.playing  # a pause to show
        )

    def _work(self) -> None:
        try:
            while True:
                with self.condition:
                    self.condition.wait_for(self._has_work)
                    if self.closed:
                        return
                    if self.wanted is not _NOTHING:
                        settings, self.wanted = self.wanted, _NOTHING
                        action = functools.partial(self._build, settings)
                    elif self.playing:
                        action = self._play_chunk
                    elif self.current.playing:
                        action = self._publish_frame
                    else:
                        self.steps_wanted -= 1
                        action = self._step_once
                action()
        except BaseException:  # never a traceback in the page: the tab shows one line
            logger.exception("a dashboard session's worker failed")
            with self.condition:
                self.playing = False
                self._publish(playing=False, busy="", error="the simulation stopped unexpectedly")
        finally:
            self._drop_run()

    def _superseded(self) -> bool:
        with self.condition:
            return self.closed or self.wanted is not _NOTHING

    def _drop_run(self) -> None:
        run, self.run = self.run, None
        if run is not None and self.on_drop is not None:
            self.on_drop(run)
        del run
        if self.hold is not None:
            self.hold.release()
            self.hold = None

    def _build(self, settings) -> None:
        self._drop_run()
        hold = None
        try:
            demand = self.demand(settings) if self.demand is not None else None
            hold = self.resources.budget.hold(demand) if demand is not None else None
            heavy = demand is not None and demand.nbytes >= HEAVY_BYTES
            run = self._on_pool(lambda: self.build(settings)) if heavy else self.build(settings)
            frame = None if run is _NOTHING else self.snapshot(run)
        except Exception as error:
            if hold is not None:
                hold.release()
            if not isinstance(error, UserInputError | ValueError | OSError):
                logger.exception("building a dashboard model failed")
            self._show_failure(user_message(error))
            return
        if run is _NOTHING or self._superseded():
            if hold is not None:
                hold.release()
            return
        self.run, self.hold = run, hold
        with self.condition:
            self._publish(frame=frame, error="", busy="", running=bool(self.model_of(run).running))

    def _show_failure(self, message: str) -> None:
        with self.condition:
            if self.wanted is _NOTHING:
                self._publish(frame=None, error=message, busy="", running=False, playing=False)

    def _on_pool(self, work: Callable[[], Any]) -> Any:
        """``work()`` on the server's shared pool, showing the place in line while it waits."""
        job = self.resources.pool.submit(work)
        with self.condition:
            self.job = job
        try:
            while not job.wait(0.25):
                if self._superseded():
                    job.cancel()
                place = job.position
                busy = (
                    f"Waiting for the server's shared workers: number {place} in line"
                    if place
                    else "Building the model on the server's shared workers"
                )
                with self.condition:
                    if self.current.busy != busy:
                        self._publish(busy=busy)
        finally:
            with self.condition:
                self.job = None
        if job.state == capacity.Job.CANCELLED:
            return _NOTHING
        if job.error is not None:
            raise job.error
        return job.value

    def _step_once(self) -> None:
        with self.resources.turns.turn():
            self._advance(1, deadline=0.0)
        self._publish_frame()

    def _play_chunk(self) -> None:
        """Step for about :data:`CHUNK_SECONDS` (as fast as possible) or the steps now due."""
        speed, started = self.speed, time.perf_counter()
        if speed <= 0:
            with self.resources.turns.turn():
                self._advance(1_000_000_000, deadline=CHUNK_SECONDS)
        else:
            now = time.perf_counter()
            if self.clock is None or self.clock[1] != speed:
                self.clock, self.played = (now, speed), 0
            due = int((now - self.clock[0]) * speed) - self.played
            if due > speed:  # more than a second behind (a slow step): do not rush to catch up
                self.clock, self.played, due = (now, speed), 0, 1
            if due <= 0:
                wake_at = self.clock[0] + (self.played + 1) / speed
                with self.condition:
                    self.condition.wait_for(self._interrupted, wake_at - time.perf_counter())
                return
            with self.resources.turns.turn():
                self.played += self._advance(due, deadline=CHUNK_SECONDS)
        # chunk starts are timed by the clock: compare them (with slack for jitter), so a speed
        # of 1 / FRAME_INTERVAL steps a second publishes every step
        if started - self.published_at >= 0.9 * FRAME_INTERVAL or not self._running():
            self._publish_frame()
            self.published_at = started

    def _interrupted(self) -> bool:
        """Whether the play loop should stop waiting (lock held)."""
        return not self.playing or self.closed or self.wanted is not _NOTHING

    def _running(self) -> bool:
        return self.run is not None and bool(self.model_of(self.run).running)

    def _advance(self, steps: int, deadline: float) -> int:
        """Up to ``steps`` model steps, stopping after ``deadline`` seconds (at least one)."""
        model = self.model_of(self.run)
        started, done = time.perf_counter(), 0
        try:
            while done < steps and model.running and not self._superseded():
                model.step()
                done += 1
                if time.perf_counter() - started >= deadline:
                    break
        except (UserInputError, ValueError, FloatingPointError) as error:
            model.running = False
            self._stop_with(user_message(error))
        except Exception as error:
            logger.exception("a dashboard model failed while stepping")
            model.running = False
            self._stop_with(user_message(error))
        return done

    def _stop_with(self, message: str) -> None:
        with self.condition:
            self.playing = False
            self._publish(error=message, playing=False)

    def _publish_frame(self) -> None:
        if self.run is None or self._superseded():
            with self.condition:
                self._publish(playing=self.playing)
            return
        frame, running = self.snapshot(self.run), self._running()
        with self.condition:
            if not running:
                self.playing = False
            self._publish(frame=frame, running=running, playing=self.playing)
