"""Running chunks of work on worker processes, with results in a fixed order.

Work is cut into chunks (to keep inter-process traffic small); :func:`map_chunks` applies a
top-level, picklable function to each chunk, on ``jobs`` processes when ``jobs > 1``, and
returns the results in chunk order, so nothing downstream depends on the number of processes
or on which worker finished first.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from market.core.registry import RegistryState, registrations_for_workers, restore_registrations

CHUNKS_PER_JOB = 8
FORK_WARNING = r".*multi-threaded, use of fork\(\) may lead to deadlocks"


def cut_into_chunks[T](items: Sequence[T], jobs: int) -> list[tuple[T, ...]]:
    """Contiguous chunks, about :data:`CHUNKS_PER_JOB` per process, in order."""
    if not items:
        return []
    size = max(1, math.ceil(len(items) / (jobs * CHUNKS_PER_JOB)))
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]


def fork_context():
    """The ``fork`` start method where it is available and safe (no other Python thread)."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return None


def process_context():
    """How worker processes start: ``fork`` where available, else the platform default.

    Forked workers inherit loaded data (a response table, curves) and start at once (``spawn``
    or ``forkserver`` would re-import numpy, pandas and Mesa in every sweep, about a second).
    Python 3.12 warns that forking a process with threads may deadlock: importing pandas
    (pyarrow's jemalloc background thread) and Mesa starts native threads, which the workers
    never use, so that one warning is silenced (:func:`forking_quietly`); with a Python thread
    of our own alive, ``forkserver`` is used instead.
    """
    forked = fork_context()
    if forked is None and "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return forked


def registrations_to_carry(context) -> tuple[RegistryState, ...]:
    """What workers started by ``context`` must be told of the registries (nothing if forked).

    A forked worker inherits every registry as it is. A worker started afresh (``forkserver``
    or ``spawn``: this process runs threads, as a Jupyter kernel does) imports the package
    anew, so the strategies, mechanisms and presets registered from outside it are carried
    over (classes travel by module and qualified name). Call it before starting any worker.

    Raises:
        UserInputError: a registered class a fresh worker could not import (defined in a
            notebook, ``__main__`` or a function), in one line saying what to do.
    """
    if context is not None and context.get_start_method() == "fork":
        return ()
    return registrations_for_workers()


@contextlib.contextmanager
def forking_quietly() -> Iterator[None]:
    """Silence Python 3.12's warning about forking a process with (native) threads."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", FORK_WARNING, DeprecationWarning)
        yield


def progress_wanted() -> bool:
    """Show a progress bar only on an interactive stderr and outside CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")


class SilentProgress:
    """A progress bar that shows nothing (tqdm starts a monitor thread even when disabled)."""

    def __enter__(self) -> SilentProgress:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, n: int = 1) -> None:
        """Ignore progress."""


def progress_bar(total: int, description: str, show: bool, unit: str = "run"):
    """A tqdm bar on stderr when ``show``, else a silent stand-in."""
    if not show:
        return SilentProgress()
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit=unit, file=sys.stderr, dynamic_ncols=True)


def map_chunks[C, R](
    work: Callable[[C], R],
    chunks: Sequence[C],
    *,
    jobs: int = 1,
    sizes: Sequence[int] | None = None,
    progress: bool = False,
    description: str = "runs",
) -> list[R]:
    """``[work(c) for c in chunks]``, on ``jobs`` processes when ``jobs > 1``.

    Args:
        work: a top-level (picklable) function of one chunk.
        chunks: the chunks, each picklable.
        jobs: worker processes (results do not depend on it).
        sizes: runs per chunk, for the progress bar (default 1 each).
        progress: show a progress bar on stderr.
        description: the progress bar's label.
    """
    sizes = list(sizes) if sizes is not None else [1] * len(chunks)
    if jobs <= 1 or len(chunks) <= 1:
        results = []
        with progress_bar(sum(sizes), description, progress) as bar:
            for chunk, size in zip(chunks, sizes, strict=True):
                results.append(work(chunk))
                bar.update(size)
        return results
    done: dict[int, R] = {}
    context = process_context()
    carried = registrations_to_carry(context)
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(chunks)),
        mp_context=context,
        initializer=restore_registrations,
        initargs=(carried,),
    ) as pool:
        # submitting forks the workers: do it before the progress bar's thread starts
        with forking_quietly():
            futures = {pool.submit(work, chunk): i for i, chunk in enumerate(chunks)}
        with progress_bar(sum(sizes), description, progress) as bar:
            for future in as_completed(futures):
                index = futures[future]
                done[index] = future.result()
                bar.update(sizes[index])
    return [done[i] for i in range(len(chunks))]
