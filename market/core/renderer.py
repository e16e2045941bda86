"""Draw a command's PNG figures in a helper process that loads matplotlib while the command works.

A sweep's driver spends its first second importing pandas and Mesa on one core and then waits
for its workers; importing matplotlib and drawing two figures one after the other would add
about a second more. :class:`BackgroundRenderer` forks a helper at the start of the command
(before those imports, so the fork is small and has no threads): the helper imports the plot
module on the otherwise idle core, waits, and when asked draws every figure at once, one per
process (it forks one child per extra figure). The PNG bytes are identical to drawing them in
the command itself (:func:`draw_png`), which is also what happens wherever ``fork`` is not
available, a thread is running, or the helper fails for any reason: the helper only ever saves
time.

Each helper ignores Ctrl-C (the command handles it and stops the helper) and dies with the
command, also when the command is killed (:func:`market.core.executors.die_with_parent`).
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Mapping

from market.core.cli import collector_paused
from market.core.parallel import fork_context, forking_quietly

#: A figure to draw: the plot module's function that builds it, and that function's arguments.
FigureCall = tuple[str, tuple]


def draw_png(module: str, call: FigureCall) -> bytes:
    """``module.function(*args)`` rendered to PNG bytes (in this process)."""
    from market.core.output import png_bytes

    function, args = call
    return png_bytes(getattr(importlib.import_module(module), function)(*args))


def draw_png_or_none(module: str, call: FigureCall) -> bytes | None:
    """:func:`draw_png`, or None if drawing fails (the command draws it again and shows why)."""
    try:
        return draw_png(module, call)
    except Exception:
        return None


def start(process) -> None:
    """Fork ``process`` (output flushed first, so nothing buffered is written twice).

    Python 3.12 warns on any fork once pandas has started its native threads; the helpers
    never use them (see :func:`market.core.parallel.process_context`).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    with forking_quietly():
        process.start()


def helper_setup(parent: int) -> None:
    """A helper ignores Ctrl-C (the command stops it) and dies with its parent (that pid)."""
    from market.core.executors import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)


def draw_into(connection, module: str, call: FigureCall, parent: int) -> None:
    """A drawing child: send one figure's PNG bytes (or None if drawing failed)."""
    helper_setup(parent)
    connection.send(draw_png_or_none(module, call))


def serve(connection, module: str, parent: int) -> None:
    """The helper: import ``module`` and warm matplotlib up now, then draw what it is sent."""
    helper_setup(parent)
    try:
        load(module)
        calls: dict[str, FigureCall] = connection.recv()
        connection.send(draw_in_parallel(module, calls))
    except Exception:  # EOFError: no figures wanted; else the command draws what is missing
        return


def load(module: str) -> None:
    """Import ``module`` and draw a first figure, the collector paused, then freeze it all.

    Frozen objects are never walked by the collector again (:func:`collector_paused`): this
    process and its children are short-lived and keep all of them to the end.
    """
    with collector_paused():
        from market.core.figures import warm_up  # matplotlib: imported while paused too

        importlib.import_module(module)
        warm_up()


def draw_in_parallel(module: str, calls: Mapping[str, FigureCall]) -> dict[str, bytes | None]:
    """Draw the first figure here and each other one in a forked child, at the same time."""
    context = multiprocessing.get_context("fork")
    names = list(calls)
    children = {}
    for name in names[1:]:
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=draw_into, args=(sender, module, calls[name], os.getpid()))
        start(child)
        sender.close()
        children[name] = (child, receiver)
    drawn = {name: draw_png_or_none(module, calls[name]) for name in names[:1]}
    for name, (child, receiver) in children.items():
        try:
            drawn[name] = receiver.recv()
        except EOFError:
            drawn[name] = None
        child.join()
    return drawn


class BackgroundRenderer:
    """A helper process that imports a plot module now and draws its figures later.

    Use it as a context manager around the command's work; the helper is stopped on leaving
    it, whatever happened::

        with BackgroundRenderer("market.delegation.plots") as renderer:
            result = sweep(...)
            pngs = renderer.draw({"figure2.png": ("figure2", (summary, 1, title)), ...})
    """

    def __init__(self, module: str):
        self.module = module
        self.process = None
        self.connection = None

    def __enter__(self) -> BackgroundRenderer:
        context = fork_context()
        if context is not None:
            self.connection, theirs = context.Pipe()
            self.process = context.Process(target=serve, args=(theirs, self.module, os.getpid()))
            start(self.process)
            theirs.close()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def draw(self, calls: Mapping[str, FigureCall]) -> dict[str, bytes]:
        """The PNG bytes of every figure, in ``calls``' order.

        The helper draws them all at once; any it could not draw is drawn here, so a broken
        plot raises its real error in the command.
        """
        drawn: dict[str, bytes | None] = {}
        if self.process is not None:
            with contextlib.suppress(OSError, EOFError):
                self.connection.send(dict(calls))
                drawn = self.connection.recv()
        self.stop()
        return {
            name: drawn.get(name) or draw_png(self.module, call) for name, call in calls.items()
        }

    def stop(self) -> None:
        """End the helper now (a command that fails does not wait for its imports)."""
        if self.process is None:
            return
        self.connection.close()
        self.process.kill()  # it has sent all it had to, or is no longer needed
        self.process.join()
        self.process = None
