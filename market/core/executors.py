"""Where an experiment's chunks run: the standard ``concurrent.futures`` interface.

- ``local`` (the default): this process alone for one job, else a
  :class:`~concurrent.futures.ProcessPoolExecutor` whose workers ignore Ctrl-C (the driver
  handles it) and die with the driver: on Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, and
  everywhere a watch thread that exits the worker when its parent changes. On Ctrl-C the driver
  kills its workers at once instead of waiting for their chunks.
- ``dask``: Dask distributed's executor (``Client(address).get_executor()``), on an existing
  cluster (``--scheduler ADDRESS``) or on a ``LocalCluster`` of ``jobs`` single-threaded worker
  processes started for this experiment and closed with it. Dask is the optional extra
  ``llm-market[dask]``; asking for it without the extra is a one-line error.

No scheduler of our own: the driver only keeps a few chunks in flight on whichever executor it
is given (:mod:`market.core.experiments`).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from market.core.errors import UserInputError
from market.core.parallel import forking_quietly, process_context, registrations_to_carry
from market.core.registry import (
    RegistryState,
    registrations_for_workers,
    restore_registrations,
)

EXECUTORS = ("local", "dask")
PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.5


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def die_with_parent(parent: int | None = None) -> None:
    """Make this worker process end when its parent does (SIGKILL driver included).

    ``parent`` is the pid the parent had when it started this process (default: the current
    parent): a parent killed before this call is noticed too, instead of watching the
    process that adopted the orphan.
    """
    parent = os.getppid() if parent is None else parent
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=watch_parent, args=(parent,), daemon=True).start()


def watch_parent(parent: int) -> None:
    """Exit the process as soon as its parent is no longer ``parent`` (portable fallback)."""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def local_worker_setup(
    driver: int | None = None, registrations: tuple[RegistryState, ...] = ()
) -> None:
    """Initializer of local worker processes: ignore Ctrl-C, die with the driver (its pid).

    Args:
        driver: The driver's pid (None: the parent's).
        registrations: The registries' entries from outside the package, for a worker that
            is not forked (:func:`market.core.parallel.registrations_to_carry`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(driver)
    restore_registrations(registrations)


class InlineExecutor(Executor):
    """Runs each call at once in this process (one job: no processes, no pickling)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        """Run ``fn(*args, **kwargs)`` now; return a finished future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise
            future.set_exception(error)
        return future


@dataclass
class Workers:
    """An executor with what it takes to stop it: ``kill`` ends its work at once."""

    executor: Executor
    name: str
    jobs: int
    closers: list = field(default_factory=list)

    def kill(self) -> None:
        """Stop now: cancel what is queued and kill local worker processes."""
        if isinstance(self.executor, ProcessPoolExecutor):
            processes = dict(getattr(self.executor, "_processes", None) or {})
            for process in processes.values():
                with contextlib.suppress(Exception):
                    process.kill()
        with contextlib.suppress(Exception):
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.close()

    def close(self) -> None:
        """Shut the executor down (and a Dask client or cluster started for it)."""
        with contextlib.suppress(Exception):
            self.executor.shutdown(wait=True)
        while self.closers:
            with contextlib.suppress(Exception):
                self.closers.pop()()


def check_jobs(jobs: int, executor: str) -> int:
    """``jobs`` for a local run: at least 1; above the cores available, a warning."""
    if jobs < 1:
        raise UserInputError("jobs", "an integer >= 1", jobs)
    cores = available_cores()
    if executor == "local" and jobs > cores:
        print(
            f"llm-market: warning: --jobs {jobs} is more than the {cores} cores available; "
            "the runs will compete for them",
            file=sys.stderr,
        )
    return jobs


def default_jobs() -> int:
    """The default number of jobs: the cores available."""
    return available_cores()


def check_executor(name: str, scheduler: str | None) -> str:
    """A known executor name; ``--scheduler`` only with ``dask``."""
    if name not in EXECUTORS:
        raise UserInputError("executor", f"one of {', '.join(EXECUTORS)}", name)
    if scheduler and name != "dask":
        raise UserInputError("scheduler", "no --scheduler without --executor dask", scheduler)
    return name


@contextlib.contextmanager
def open_workers(name: str = "local", jobs: int = 1, scheduler: str | None = None) -> Iterator:
    """The executor named ``name`` with ``jobs`` workers, closed (or killed) on exit."""
    workers = start_workers(name, jobs, scheduler)
    try:
        yield workers
    except BaseException:
        workers.kill()
        raise
    else:
        workers.close()


def start_workers(name: str = "local", jobs: int = 1, scheduler: str | None = None) -> Workers:
    """The executor named ``name`` with ``jobs`` workers; the caller closes or kills it."""
    check_executor(name, scheduler)
    return dask_workers(jobs, scheduler) if name == "dask" else local_workers(jobs)


def local_workers(jobs: int) -> Workers:
    """This process for one job, else a pool of worker processes that die with the driver."""
    if jobs <= 1:
        return Workers(InlineExecutor(), "local", 1)
    context = process_context()
    forked = context is not None and context.get_start_method() == "fork"
    carried = registrations_to_carry(context)  # refuses before any worker starts
    with forking_quietly():
        pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=context,
            initializer=local_worker_setup,
            # a forkserver's workers are its own
            initargs=(os.getpid() if forked else None, carried),
        )
    return Workers(pool, "local", jobs)


def dask_workers(jobs: int, scheduler: str | None) -> Workers:
    """Dask's executor on the cluster at ``scheduler``, or on a new ``LocalCluster``.

    Strategies, mechanisms and presets registered from outside the package reach every worker
    (by value, through Dask's cloudpickle), so a class defined in a notebook runs there too.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UserInputError(
            "executor",
            "dask installed (pip install 'llm-market[dask]')",
            "dask",
            note="the dask extra is not installed",
        ) from None
    carried = registrations_for_workers(by_value=True)  # Dask pickles with cloudpickle
    closers = []
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as error:
            raise UserInputError(
                "scheduler", "the address of a running Dask scheduler", scheduler, note=str(error)
            ) from None
    else:
        cluster = LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        )
        closers.append(cluster.close)
        client = Client(cluster)
    closers.append(client.close)
    if carried:  # every worker, and any that joins later, gets the registrations first
        client.register_worker_callbacks(setup=functools.partial(restore_registrations, carried))
    workers = len(client.scheduler_info().get("workers", {})) or jobs
    return Workers(client.get_executor(pure=False), "dask", workers, closers)
