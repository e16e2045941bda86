"""What every tab of one dashboard server shares: a memory budget, a work pool, stepping turns.

A dashboard served to a class runs every tab's models and computations in one process. Three
shared resources keep one tab from taking the server down or starving the others
(``shared/STYLE.md`` 15):

- :class:`MemoryBudget`: every model a tab builds and every heavy computation holds an
  estimate of its peak bytes (``market/<game>/footprint.py``) for as long as it lives. Work that
  would take the total past the budget is refused before anything is allocated, in one line
  naming the field and the largest value that fits now.
- :class:`WorkPool`: heavy work (on-demand studies, payoff tables, large user populations) runs
  on a few shared threads, first come first served; each job knows its place in line.
- :class:`Turns`: the play loops of all tabs step their models a short chunk at a time, taking
  turns (one at a time per core, in order of arrival), so a tab playing as fast as it can
  leaves the others their share.

The server's instances are made once per process (:func:`server`), sized from the environment
``llm-market dashboard`` sets (``--memory-budget``, ``--workers``).
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from market.core.errors import UserInputError

logger = logging.getLogger(__name__)

#: Environment variables ``llm-market dashboard`` sets for the server it runs.
BUDGET_VARIABLE = "LLM_MARKET_MEMORY_BUDGET"
WORKERS_VARIABLE = "LLM_MARKET_WORKERS"
#: Share of the machine's physical memory the budget defaults to.
DEFAULT_BUDGET_SHARE = 0.5
#: A hold at least this large triggers a garbage collection when released.
COLLECT_BYTES = 64 * 1024**2


def size_text(nbytes: float) -> str:
    """Bytes for people: ``"350 MB"``, ``"1.4 GB"``."""
    if nbytes >= 1024**3:
        return f"{nbytes / 1024**3:.1f} GB"
    return f"{max(nbytes, 0) / 1024**2:.0f} MB"


@dataclass(frozen=True)
class Demand:
    """The memory a piece of work will hold, and the field a user sizes it with.

    Attributes:
        nbytes: the estimated peak bytes.
        field: the field as the page labels it (named in a refusal).
        given: its value as typed.
        bytes_at: the estimate as a function of that field's value (None: no largest value
            can be named); must be non-decreasing.
        upper: the largest value worth trying for ``bytes_at``.
    """

    nbytes: int
    field: str = "size"
    given: str = ""
    bytes_at: Callable[[int], int] | None = None
    upper: int = 0


def largest_fitting(bytes_at: Callable[[int], int], free: int, upper: int) -> int:
    """The largest value in ``[0, upper]`` whose estimate fits in ``free`` bytes (bisection)."""
    low, high = 0, max(0, int(upper))
    if bytes_at(high) <= free:
        return high
    while high - low > 1:
        middle = (low + high) // 2
        if bytes_at(middle) <= free:
            low = middle
        else:
            high = middle
    return low


class Hold:
    """Bytes held from a :class:`MemoryBudget` until :meth:`release` (idempotent)."""

    def __init__(self, budget: MemoryBudget, nbytes: int):
        self.budget = budget
        self.nbytes = nbytes
        self.released = False

    def release(self) -> None:
        """Give the bytes back (a second call does nothing).

        A large hold's work is collected at once: models and their agents refer to each other,
        so without a collection their arrays would wait for Python's next full one.
        """
        if self.budget._give_back(self) and self.nbytes >= COLLECT_BYTES:
            gc.collect()


class MemoryBudget:
    """A server-wide cap on the bytes that tabs' models and computations hold.

    Args:
        limit: the budget in bytes.
    """

    def __init__(self, limit: int):
        self.limit = int(limit)
        self.lock = threading.Lock()
        self.in_use = 0
        self.holds = 0

    @property
    def free(self) -> int:
        """Bytes not held now."""
        return self.limit - self.in_use

    def hold(self, demand: Demand) -> Hold:
        """Hold ``demand.nbytes`` or refuse (UserInputError naming the demand's field)."""
        with self.lock:
            free = self.limit - self.in_use
            if demand.nbytes > free:
                raise self.refusal(demand, free)
            self.in_use += demand.nbytes
            self.holds += 1
            return Hold(self, demand.nbytes)

    def _give_back(self, hold: Hold) -> bool:
        """Return the hold's bytes; whether this call did (not an earlier one)."""
        with self.lock:
            if hold.released:
                return False
            hold.released = True
            self.in_use -= hold.nbytes
            self.holds -= 1
            return True

    def refusal(self, demand: Demand, free: int) -> UserInputError:
        """The one-line refusal: what fits now, what this needs, what the server has."""
        busy = "while other sessions run" if self.in_use else "on this server"
        note = (
            f"it needs about {size_text(demand.nbytes)}; {size_text(max(free, 0))} of the "
            f"server's {size_text(self.limit)} memory budget is free {busy}"
        )
        if demand.bytes_at is not None:
            largest = largest_fitting(demand.bytes_at, max(free, 0), demand.upper)
            expected = f"at most {largest:,} on this server now"
        else:
            expected = "a smaller run on this server now"
        return UserInputError(demand.field, expected, demand.given, note=note)


class Job:
    """One piece of heavy work in a :class:`WorkPool`: queued, running, then done.

    Attributes:
        value: what the work returned (once done without error).
        error: the exception it raised (once done), else None.
        seconds: how long it ran.
    """

    QUEUED, RUNNING, DONE, CANCELLED = "queued", "running", "done", "cancelled"

    def __init__(self, pool: WorkPool, work: Callable[[], Any], hold: Hold | None):
        self.pool = pool
        self.work = work
        self.hold = hold
        self.state = Job.QUEUED
        self.value: Any = None
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.finished = threading.Event()

    @property
    def position(self) -> int:
        """Its place in line: 1 = next to start; 0 once started, done or cancelled."""
        return self.pool.position(self)

    def cancel(self) -> None:
        """Take it out of the line if it has not started (a running job ends on its own)."""
        self.pool.cancel(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Until it is done or cancelled (True) or ``timeout`` passes (False)."""
        return self.finished.wait(timeout)


class WorkPool:
    """A few shared threads that run heavy work, first come first served.

    Args:
        workers: how many jobs run at once.
    """

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self.condition = threading.Condition()
        self.line: deque[Job] = deque()
        self.threads: list[threading.Thread] = []

    def submit(self, work: Callable[[], Any], hold: Hold | None = None) -> Job:
        """Queue ``work``; ``hold`` (memory held for it) is released when it ends."""
        job = Job(self, work, hold)
        with self.condition:
            self.line.append(job)
            self._start_threads()
            self.condition.notify()
        return job

    def position(self, job: Job) -> int:
        """1-based place of a queued job in line (0 if it is not queued)."""
        with self.condition:
            for place, queued in enumerate(self.line, start=1):
                if queued is job:
                    return place
            return 0

    def cancel(self, job: Job) -> None:
        """Remove a queued job (nothing for one that started)."""
        with self.condition:
            if job.state != Job.QUEUED:
                return
            self.line.remove(job)
            job.state = Job.CANCELLED
        self._end(job)

    @property
    def queued(self) -> int:
        """Jobs waiting to start."""
        with self.condition:
            return len(self.line)

    def _start_threads(self) -> None:
        while len(self.threads) < self.workers:
            thread = threading.Thread(target=self._serve, name="llm-market-work", daemon=True)
            # shared by every tab: never tied to the kernel of the tab that started it
            thread.current_context = None  # type: ignore[attr-defined]
            self.threads.append(thread)
            thread.start()

    def _serve(self) -> None:
        while True:
            with self.condition:
                while not self.line:
                    self.condition.wait()
                job = self.line.popleft()
                job.state = Job.RUNNING
            self._run(job)

    def _run(self, job: Job) -> None:
        import time

        started = time.perf_counter()
        try:
            job.value = job.work()
        except BaseException as error:  # reported to the tab as one line
            job.error = error
        job.seconds = time.perf_counter() - started
        job.state = Job.DONE
        self._end(job)

    @staticmethod
    def _end(job: Job) -> None:
        if job.hold is not None:
            job.hold.release()
        job.work = None  # type: ignore[assignment]  # nothing of a finished job is kept alive
        job.finished.set()


class Turns:
    """Stepping turns shared by every tab's play loop: ``slots`` at a time, first come first.

    Args:
        slots: how many play loops step at once (one per core).
    """

    def __init__(self, slots: int):
        self.slots = max(1, int(slots))
        self.condition = threading.Condition()
        self.stepping = 0
        self.waiting: deque[object] = deque()

    @contextmanager
    def turn(self):
        """Wait for a turn (in order of arrival), step inside the ``with``, then pass it on."""
        ticket = object()
        with self.condition:
            self.waiting.append(ticket)
            while self.waiting[0] is not ticket or self.stepping >= self.slots:
                self.condition.wait()
            self.waiting.popleft()
            self.stepping += 1
            self.condition.notify_all()
        try:
            yield
        finally:
            with self.condition:
                self.stepping -= 1
                self.condition.notify_all()


def physical_memory() -> int:
    """This machine's physical memory in bytes (8 GB if the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 8 * 1024**3


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@dataclass
class Server:
    """The shared resources of this dashboard process, and how many tabs hold a session."""

    budget: MemoryBudget
    pool: WorkPool
    turns: Turns
    sessions: int = 0

    def __post_init__(self):
        self.lock = threading.Lock()
        self.kept: dict[str, Hold] = {}

    def hold_once(self, name: str, demand: Demand) -> None:
        """Hold ``demand`` for the rest of the process, once per ``name`` (shared caches)."""
        with self.lock:
            if name in self.kept:
                return
            self.kept[name] = self.budget.hold(demand)

    def session_opened(self) -> None:
        """A tab made its session."""
        with self.lock:
            self.sessions += 1

    def session_closed(self) -> None:
        """A tab's session ended (its tab closed or reloaded)."""
        with self.lock:
            self.sessions -= 1

    def status(self) -> str:
        """One line for the home page: open sessions, memory held, work in line."""
        return (
            f"This server now: {self.sessions} open simulation(s), "
            f"{size_text(self.budget.in_use)} of its {size_text(self.budget.limit)} memory "
            f"budget held, {self.pool.queued} job(s) waiting for its "
            f"{self.pool.workers} shared worker(s)."
        )


_server: Server | None = None
_server_lock = threading.Lock()


def server() -> Server:
    """This process's shared resources, made on first use from the environment."""
    global _server
    with _server_lock:
        if _server is None:
            limit = os.environ.get(BUDGET_VARIABLE)
            workers = os.environ.get(WORKERS_VARIABLE)
            n = int(workers) if workers else max(1, cores() - 1)
            _server = Server(
                budget=MemoryBudget(
                    int(limit) if limit else int(DEFAULT_BUDGET_SHARE * physical_memory())
                ),
                pool=WorkPool(n),
                turns=Turns(cores()),
            )
            logger.info("dashboard resources: %s budget, %d workers", _server.budget.limit, n)
        return _server
