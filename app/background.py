"""Work too slow for a click: computed in a thread per tab, with a visible state.

A page asks for a value (a payoff table, a truthfulness curve) by a *key*, a frozen record of
everything the value depends on; :func:`use_background` computes ``compute(key)`` in a thread
whenever the key changes and tells the page whether it is computing, done or failed (one line,
never a traceback). Every result carries its key, so a late result of an older key is never
shown for a newer one. A ``None`` key asks for nothing (the page shows its "press the button"
state).

The thread is never interrupted (``intrusive_cancel=False``: solara's intrusive cancel traces
every Python line and would slow numpy-heavy work); a newer key waits for the older work to end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import solara
from solara.datatypes import ResultState

from app.session import user_message
from market.core.errors import UserInputError

#: What a computation may raise for a user's mistake (shown as one line).
EXPECTED_ERRORS = (UserInputError, ValueError, OSError, TypeError, KeyError, FloatingPointError)

IDLE, COMPUTING, DONE, FAILED = "idle", "computing", "done", "failed"


@dataclass(frozen=True)
class Finished:
    """What one thread left: its key, the value or the error line, and the seconds it took."""

    key: Any
    value: Any = None
    error: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Background:
    """A page's view of one background computation.

    Attributes:
        state: ``idle`` (nothing asked), ``computing``, ``done`` or ``failed``.
        value: the computed value (``done`` only).
        error: the one-line message (``failed`` only).
        seconds: wall-clock seconds the computation took.
    """

    state: str = IDLE
    value: Any = None
    error: str = ""
    seconds: float = 0.0

    @property
    def computing(self) -> bool:
        """Whether the value is being computed."""
        return self.state == COMPUTING


def finish(compute: Callable[[Any], Any], key) -> Finished:
    """``compute(key)`` with its time, or the one-line error of a user mistake."""
    started = time.perf_counter()
    try:
        value = compute(key)
    except EXPECTED_ERRORS as error:
        return Finished(key, error=user_message(error), seconds=time.perf_counter() - started)
    return Finished(key, value, seconds=time.perf_counter() - started)


def background_state(key, state: ResultState, finished: Finished | None, error) -> Background:
    """The page's view from the thread's state and its last result."""
    if key is None:
        return Background()
    if state == ResultState.ERROR and error is not None:
        return Background(FAILED, error=user_message(error))
    if state == ResultState.FINISHED and finished is not None and finished.key == key:
        if finished.error:
            return Background(FAILED, error=finished.error, seconds=finished.seconds)
        return Background(DONE, finished.value, seconds=finished.seconds)
    return Background(COMPUTING)


def use_background(compute: Callable[[Any], Any], key) -> Background:
    """``compute(key)`` in a thread whenever ``key`` changes (None: nothing to compute).

    Must be called inside a component (it uses hooks).
    """

    def work() -> Finished | None:
        return None if key is None else finish(compute, key)

    result = solara.use_thread(work, dependencies=[key], intrusive_cancel=False)
    return background_state(key, result.state, result.value, result.error)
