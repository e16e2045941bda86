"""One browser tab's simulation: build, step and snapshot a model, safely across threads.

Solara runs each browser tab in its own virtual kernel, but a page's callbacks (Step, Reset)
and its play loop (a thread) may touch the same model: a :class:`Session` serialises them with
a lock and hands the page immutable snapshots ("frames") to plot, never the live model the play
loop keeps stepping (the render/step race of ``shared/notes/solara-dashboard.md``, trap 4).
A session is created per tab inside a component (``solara.use_memo``), never at module level
(trap 1: one model for every browser).

User mistakes (a bad T, an unknown strategy, a TOML file that does not load) become an error
message for the page, one line, never a traceback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from market.core.errors import UserInputError


@dataclass(frozen=True)
class Outcome:
    """What a session action left: the newest frame (or None) and an error line ("" if none)."""

    frame: Any
    error: str = ""


def user_message(error: Exception) -> str:
    """One line for the page: the UserInputError's own text, or the kind and message."""
    if isinstance(error, UserInputError):
        return str(error)
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"


class Session:
    """A tab's model, built from settings and stepped under a lock.

    Args:
        build: settings -> run (raises UserInputError for bad settings).
        snapshot: run -> frame (an immutable copy of what the page shows).
        model_of: run -> the Mesa model inside it (for ``step()`` and ``running``).
    """

    def __init__(
        self,
        build: Callable[[Any], Any],
        snapshot: Callable[[Any], Any],
        model_of: Callable[[Any], Any] = lambda run: run.model,
    ):
        self.build = build
        self.snapshot = snapshot
        self.model_of = model_of
        self.lock = threading.RLock()
        self.run: Any = None
        self.settings: Any = None

    @property
    def running(self) -> bool:
        """Whether there is a model that can step."""
        return self.run is not None and bool(self.model_of(self.run).running)

    def reset(self, settings) -> Outcome:
        """Build a fresh model from ``settings`` (the old one is dropped even on error)."""
        with self.lock:
            self.settings = settings
            self.run = None
            try:
                self.run = self.build(settings)
                return Outcome(self.snapshot(self.run))
            except (UserInputError, ValueError, OSError, TypeError, KeyError) as error:
                return Outcome(None, user_message(error))

    def step(self, n: int = 1) -> Outcome:
        """Advance up to ``n`` model steps (fewer if the run ends) and snapshot."""
        with self.lock:
            if self.run is None:
                return Outcome(None, "nothing to step: fix the settings first")
            model = self.model_of(self.run)
            try:
                for _ in range(max(1, int(n))):
                    if not model.running:
                        break
                    model.step()
                return Outcome(self.snapshot(self.run))
            except (UserInputError, ValueError, FloatingPointError) as error:
                model.running = False
                return Outcome(self.snapshot(self.run), user_message(error))
