"""Work too slow for a click: queued on the server's shared pool, with a visible state.

A page asks for a value (a payoff table, a truthfulness curve) by a *key*, a frozen record of
everything the value depends on; :func:`use_background` holds the memory the work will need
from the server's budget (refused in one line when the server is full), queues
``compute(key)`` on the shared :class:`~app.capacity.WorkPool` whenever the key changes, and
tells the page whether it waits (and its place in line), computes, is done or failed (one line,
never a traceback). Every result carries its key, so a late result of an older key is never
shown for a newer one. A ``None`` key asks for nothing (the page shows its "press the button"
state). A newer key or a closed tab takes a job that has not started out of the line; a job
that started runs to its end (numpy work cannot be interrupted) and its result is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import solara
from solara.datatypes import ResultState

from app import capacity
from app.session import user_message
from market.core.errors import UserInputError

IDLE, WAITING, COMPUTING, DONE, FAILED = "idle", "waiting", "computing", "done", "failed"
#: Seconds between two looks at a queued job's place in line.
POLL = 0.25


@dataclass(frozen=True)
class Finished:
    """What one job left: its key, the value or the error line, and the seconds it took."""

    key: Any
    value: Any = None
    error: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Waiting:
    """A job of ``key`` in the server's line (``place`` 1 = next) or running (``place`` 0)."""

    key: Any
    place: int


@dataclass(frozen=True)
class Background:
    """A page's view of one background computation.

    Attributes:
        state: ``idle`` (nothing asked), ``waiting`` (in line), ``computing``, ``done`` or
            ``failed``.
        value: the computed value (``done`` only).
        error: the one-line message (``failed`` only).
        seconds: wall-clock seconds the computation took.
        place: its place in the server's line while ``waiting`` (1 = next).
    """

    state: str = IDLE
    value: Any = None
    error: str = ""
    seconds: float = 0.0
    place: int = 0

    @property
    def computing(self) -> bool:
        """Whether the value is being computed or waits for its turn."""
        return self.state in (WAITING, COMPUTING)

    @property
    def status(self) -> str:
        """What the page says while it waits."""
        if self.state == WAITING:
            return f"Waiting for the server's shared workers: number {self.place} in line."
        return "Computing on the server's shared workers: the page stays usable."


def finished(job: capacity.Job, key) -> Finished:
    """The job's value, or the one-line error it raised."""
    if job.error is not None:
        return Finished(key, error=user_message(job.error), seconds=job.seconds)
    return Finished(key, job.value, seconds=job.seconds)


def follow(
    compute: Callable[[Any], Any],
    key,
    demand: Callable[[Any], capacity.Demand] | None,
    cancel: threading.Event,
    resources: capacity.Server,
) -> Iterator[Finished | Waiting]:
    """Queue ``compute(key)`` and report its place in line until it is done (a generator)."""
    try:
        hold = resources.budget.hold(demand(key)) if demand is not None else None
    except UserInputError as error:
        yield Finished(key, error=user_message(error))
        return
    job = resources.pool.submit(lambda: compute(key), hold)
    place = -1
    while not job.wait(POLL):
        if cancel.is_set():
            job.cancel()
            return
        if job.position != place:
            place = job.position
            yield Waiting(key, place)
    if job.state == capacity.Job.DONE:
        yield finished(job, key)


def background_state(key, state: ResultState, report, error) -> Background:
    """The page's view from the watching thread's state and its last report."""
    if key is None:
        return Background()
    if state == ResultState.ERROR and error is not None:
        return Background(FAILED, error=user_message(error))
    if isinstance(report, Finished) and report.key == key:
        if report.error:
            return Background(FAILED, error=report.error, seconds=report.seconds)
        return Background(DONE, report.value, seconds=report.seconds)
    if isinstance(report, Waiting) and report.key == key and report.place > 0:
        return Background(WAITING, place=report.place)
    return Background(COMPUTING)


def use_background(
    compute: Callable[[Any], Any],
    key,
    demand: Callable[[Any], capacity.Demand] | None = None,
) -> Background:
    """``compute(key)`` on the shared pool whenever ``key`` changes (None: nothing to compute).

    ``demand(key)`` is the memory the work will hold (None: nothing held). Must be called
    inside a component (it uses hooks).
    """
    resources = capacity.server()

    def watch(cancel: threading.Event):
        if key is not None:
            yield from follow(compute, key, demand, cancel, resources)

    result = solara.use_thread(watch, dependencies=[key], intrusive_cancel=False)
    return background_state(key, result.state, result.value, result.error)
