"""The experiment driver's loop: blocks of runs claimed in the store, chunks kept in flight.

An experiment's positions are cut into fixed blocks (:func:`block_runs`, the same for every
driver of the experiment). The driver takes blocks in order, each with a claim in the store
(:func:`market.core.claims.claim`): a lease that it renews while it works and
that expires if it dies, so two drivers on one store share the work instead of both doing it.
A block held by another live driver is skipped and visited again once the rest is done: by then
it is finished (its runs are linked, nothing computed) or its lease has lapsed (its missing runs
are computed here). Only the runs of the claimed blocks are ever made (keys hashed, finished
runs looked up), so the driver's memory does not grow with the experiment.

Pending runs of the claimed blocks are cut into chunks of about ``target`` seconds (runs that
share a group, such as a seed, together: the driver claims about :data:`LOOKAHEAD_CHUNKS`
chunks per job ahead and orders them by group) and a few chunks per worker are kept in flight;
each finished chunk is stored in one transaction with its links to the experiment's positions.
A local worker that dies (killed, out of memory) breaks the pool: the chunks in flight go to a
fresh pool, at most :data:`MAX_RETRIES` more times each, then :class:`WorkersLost`.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from market.core import claims
from market.core.claims import host_name
from market.core.executors import Workers
from market.core.faults import WorkersLost
from market.core.parallel import forking_quietly, progress_bar
from market.core.store import ExperimentStore, RunRecord

CHUNKS_IN_FLIGHT_PER_JOB = 2
WAIT_SECONDS = 0.2
#: A claim's lease (seconds); renewed every quarter of it while the driver lives.
LEASE_SECONDS = 120.0
#: Environment variable that sets the lease (tests use a second or two).
LEASE_VARIABLE = "LLM_MARKET_LEASE_SECONDS"
#: Times the chunks lost with a dead worker are tried again on a fresh pool.
MAX_RETRIES = 2
#: Runs per chunk at most (unless a kind asks for more): bounds what the driver holds.
MOST_CHUNK_RUNS = 4096
#: Chunks per job of claimed runs the driver looks ahead over: runs of one group (a seed) that
#: lie far apart in the experiment's order are computed together (per-process caches).
LOOKAHEAD_CHUNKS = 8
#: Runs the driver holds claimed and waiting at most (bounds its memory).
MOST_QUEUED_RUNS = 16384
BLOCKS_PER_EXPERIMENT = 32
BLOCK_RUNS = (8, 4096)


def block_runs(total: int, minimum: int = 1) -> int:
    """Positions per claimed block: about 1/32 of the experiment, 8 to 4096 (or ``minimum``)."""
    low, high = BLOCK_RUNS
    return max(minimum, min(high, max(low, math.ceil(total / BLOCKS_PER_EXPERIMENT))))


def lease_seconds() -> float:
    """The claims' lease: :data:`LEASE_VARIABLE` if set, else :data:`LEASE_SECONDS`."""
    return float(os.environ.get(LEASE_VARIABLE, LEASE_SECONDS))


def owner_name() -> str:
    """This driver's name in claims: host, pid and a random tag."""
    return f"{host_name()}:{os.getpid()}:{os.urandom(4).hex()}"


@dataclass(frozen=True)
class ChunkWork:
    """What a worker receives: the kind's compute function, the context and some runs."""

    compute: Callable
    context: Any
    runs: tuple[tuple[dict, int | None], ...]


@dataclass(frozen=True)
class ChunkDone:
    """What a worker returns: each run's rows and the seconds the chunk took."""

    rows: list[list[tuple]]
    seconds: float


def compute_chunk(work: ChunkWork) -> ChunkDone:
    """Compute a chunk of runs (top-level, so it pickles to any executor)."""
    started = time.perf_counter()
    rows = work.compute(work.context, work.runs)
    return ChunkDone(rows, time.perf_counter() - started)


class Pace:
    """The measured compute seconds per run, for sizing chunks of about a second."""

    def __init__(self, first_guess: float):
        self.seconds = 0.0
        self.runs = 0
        self.first_guess = max(first_guess, 1e-6)

    def add(self, runs: int, seconds: float) -> None:
        """Record a finished chunk."""
        self.runs += runs
        self.seconds += seconds

    @property
    def per_run(self) -> float:
        """Seconds per run so far (the first guess until a chunk has come back)."""
        return self.seconds / self.runs if self.runs and self.seconds > 0 else self.first_guess

    def chunk_size(self, remaining: int, jobs: int, target: float, minimum: int = 1) -> int:
        """Runs in the next chunk: about ``target`` seconds (``minimum`` or more), work for all.

        At most :data:`MOST_CHUNK_RUNS` (or ``minimum``), so that the runs the driver holds stay
        few however fast they are.
        """
        size = max(1, minimum, min(MOST_CHUNK_RUNS, int(target / self.per_run)))
        return max(1, min(size, math.ceil(remaining / jobs), remaining))


def group_end(pending: Sequence, start: int, size: int, most: int | None = None) -> int:
    """Where a chunk of about ``size`` runs from ``start`` ends: at the end of its last group.

    Runs of one group (a seed) share per-process caches, so a chunk takes the rest of its last
    group when that is at most ``size`` more runs and the chunk stays within ``most`` runs (the
    share that keeps every worker busy; default ``2 * size``).
    """
    most = 2 * size if most is None else max(size, min(most, 2 * size))
    end = min(start + size, len(pending))
    limit = min(start + most, len(pending))
    last = pending[end - 1].group
    while end < limit and pending[end].group == last:
        end += 1
    return end if end == len(pending) or pending[end].group != last else start + size


class Driver:
    """One driver's pass over an experiment: claims blocks, keeps chunks in flight, stores them.

    Args:
        experiment: the experiment (its runs are made a block at a time).
        store: the store (its claims table shares the work with other drivers).
        start_workers: makes a fresh :class:`~market.core.executors.Workers` (again after a
            worker died).
        jobs: the workers it will have (for sizing chunks before they start).
        target_seconds: compute seconds aimed at per chunk.
    """

    def __init__(
        self, experiment, store: ExperimentStore, start_workers, target_seconds: float, jobs=1
    ):
        self.experiment = experiment
        self.jobs = jobs
        self.workers: Workers | None = None
        self.store = store
        self.start_workers = start_workers
        self.target = target_seconds
        self.kind = experiment.kind
        self.total = len(experiment.runs)
        self.block = block_runs(self.total, self.kind.min_chunk_runs)
        self.blocks = math.ceil(self.total / self.block)
        self.owner = owner_name()
        self.lease = lease_seconds()
        self.pace = Pace(self.kind.seconds_per_run)
        self.next_block = 0
        self.skipped: list[int] = []  # blocks another driver held when we came to them
        self.open_blocks: dict[int, int] = {}  # claimed block -> its runs not yet stored
        self.queue: list = []  # pending runs of the claimed blocks; queue[cursor:] not sent
        self.cursor = 0
        self.retry: list[list] = []
        self.attempts: dict[int, int] = {}
        self.in_flight: dict = {}
        self.computed = self.reused = 0
        self.renewed = self.revisited = time.monotonic()
        self.bar = None

    def run(self, progress: bool) -> None:
        """Drive every block to the end (or raise); claims are given back on the way out.

        The workers start with the first chunk to compute: a store that holds every run
        starts no process and no cluster.
        """
        try:
            with progress_bar(self.total, self.kind.qualified, progress) as self.bar:
                while True:
                    self.fill()
                    if not self.in_flight:
                        if not self.skipped and self.next_block >= self.blocks:
                            break
                        time.sleep(WAIT_SECONDS)  # only blocks held by other drivers remain
                        continue
                    self.collect()
                    self.renew()
        except BaseException:
            if self.workers is not None:
                self.workers.kill()
            with contextlib.suppress(sqlite3.Error):  # the store may be what failed
                claims.release(self.store, self.experiment.id, self.owner)
            raise
        if self.workers is not None:
            self.workers.close()

    # ---- blocks --------------------------------------------------------------------------

    def take(self, block: int) -> bool:
        """Claim ``block`` and queue its pending runs; False if another driver holds it."""
        runs = self.experiment.runs.span(block * self.block, (block + 1) * self.block)
        found = claims.claim(
            self.store, self.experiment.id, block, self.owner, time.time() + self.lease, runs
        )
        if found is None:
            return False
        pending = [run for run in runs if run.key not in found]
        self.reused += len(runs) - len(pending)
        self.bar.update(len(runs) - len(pending))
        if pending:
            self.open_blocks[block] = len(pending)
            rest = self.queue[self.cursor :] + pending
            self.queue = sorted(rest, key=lambda run: (repr(run.group), run.position))
            self.cursor = 0
        return True

    def claim_more(self) -> bool:
        """Take the next free block (skipped ones once their holder is gone); False if none."""
        while self.next_block < self.blocks:
            self.next_block += 1
            if self.take(self.next_block - 1):
                return True
            self.skipped.append(self.next_block - 1)
        if not self.skipped or time.monotonic() - self.revisited < WAIT_SECONDS:
            return False
        self.revisited = time.monotonic()
        held = claims.held_blocks(self.store, self.experiment.id, self.owner, time.time())
        for block in [b for b in self.skipped if b not in held]:
            if self.take(block):
                self.skipped.remove(block)
                return True
        return False

    # ---- chunks --------------------------------------------------------------------------

    def next_chunk(self, jobs: int) -> list | None:
        """The next chunk of pending runs (claiming blocks as needed), or None for now."""
        if self.retry:
            return self.retry.pop()
        unscanned = max(0, self.total - self.next_block * self.block)
        remaining = len(self.queue) - self.cursor + unscanned
        size = self.pace.chunk_size(max(1, remaining), jobs, self.target, self.kind.min_chunk_runs)
        wanted = max(2 * size, min(MOST_QUEUED_RUNS, LOOKAHEAD_CHUNKS * size * jobs))
        while len(self.queue) - self.cursor < wanted and self.claim_more():
            pass
        if self.cursor >= len(self.queue):
            return None
        unscanned = max(0, self.total - self.next_block * self.block)  # after the claims
        share = math.ceil((len(self.queue) - self.cursor + unscanned) / jobs)
        end = group_end(self.queue, self.cursor, size, share)
        chunk = self.queue[self.cursor : end]
        self.cursor = end
        return chunk

    def fill(self) -> None:
        """Submit chunks until a few per worker are in flight (starting the workers if need be)."""
        jobs = self.jobs if self.workers is None else self.workers.jobs
        while len(self.in_flight) < CHUNKS_IN_FLIGHT_PER_JOB * jobs:
            chunk = self.next_chunk(jobs)
            if chunk is None:
                return
            if self.workers is None:
                self.workers = self.start_workers()
            workers = self.workers
            work = ChunkWork(
                self.kind.compute, self.experiment.context, tuple((r.config, r.seed) for r in chunk)
            )
            try:
                with forking_quietly():  # submitting may fork the workers
                    self.in_flight[workers.executor.submit(compute_chunk, work)] = chunk
            except BrokenProcessPool:  # a worker died since the last chunk came back
                self.replace_workers([chunk])
                return

    def collect(self) -> None:
        """Store the chunks that finished; after a worker died, retry on fresh workers."""
        finished, _ = wait(list(self.in_flight), timeout=WAIT_SECONDS, return_when=FIRST_COMPLETED)
        lost = False
        for future in finished:
            try:
                result: ChunkDone = future.result()
            except BrokenProcessPool:
                lost = True
                continue
            self.save(self.in_flight.pop(future), result)
        if lost:
            self.replace_workers()

    def replace_workers(self, unsent: list | None = None) -> None:
        """After a worker died: kill the pool, and queue every chunk in flight once more.

        ``unsent``: chunks the broken pool refused. Fresh workers start with the next chunk. A
        chunk lost more than :data:`MAX_RETRIES` times raises :class:`WorkersLost` (its message
        is the number of tries).
        """
        chunks = list(self.in_flight.values()) + (unsent or [])
        self.in_flight.clear()
        self.workers.kill()
        self.workers = None
        for chunk in chunks:
            tries = self.attempts.get(chunk[0].position, 0) + 1
            if tries > MAX_RETRIES:
                raise WorkersLost(str(tries))
            self.attempts[chunk[0].position] = tries
        self.retry.extend(reversed(chunks))

    def save(self, chunk: list, result: ChunkDone) -> None:
        """Store a finished chunk with its links; give back the blocks it completed."""
        self.pace.add(len(chunk), result.seconds)
        per_run = result.seconds / len(chunk)
        name = self.kind.qualified
        records = [
            RunRecord(run.key, name, run.config, run.seed, tuple(rows), per_run)
            for run, rows in zip(chunk, result.rows, strict=True)
        ]
        done = []
        for run in chunk:
            block = run.position // self.block
            self.open_blocks[block] -= 1
            if not self.open_blocks[block]:
                done.append(block)
                del self.open_blocks[block]
        self.store.save_chunk(
            self.experiment.id,
            self.kind.table,
            self.kind.columns,
            records,
            [run.position for run in chunk],
            self.owner,
            time.time() + self.lease,
            done,
        )
        self.renewed = time.monotonic()
        self.computed += len(chunk)
        self.bar.update(len(chunk))

    def renew(self) -> None:
        """Extend this driver's leases when a quarter of the lease has passed without a save."""
        if time.monotonic() - self.renewed > self.lease / 4:
            claims.renew(self.store, self.owner, time.time() + self.lease)
            self.renewed = time.monotonic()
