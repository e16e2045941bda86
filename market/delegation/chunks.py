"""Runs of the delegation game cut into chunks for worker processes.

Each chunk is simulated by the top-level, picklable :func:`simulate_chunk`
(:func:`market.core.parallel.map_chunks`), and results come back in task order, so they do not
depend on the number of processes. Every run is exactly
:func:`market.delegation.runs.run_profile`.

References:
    Cao et al. (2026), Section 6.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from market.core.parallel import cut_into_chunks, map_chunks
from market.delegation.model import DelegationMarket
from market.delegation.results import DelegationResult
from market.delegation.spec import DelegationScenario


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep: its position, the profile, the seed and the horizon."""

    index: int
    strategies: tuple[str, ...]
    seed: int
    T: int


@dataclass(frozen=True)
class RunChunk:
    """Runs simulated together by one worker call (shared scenario settings)."""

    scenario: DelegationScenario
    eps: float | None
    mechanism: str | None
    tasks: tuple[RunTask, ...]


def simulate_chunk(chunk: RunChunk) -> list[tuple[int, DelegationResult]]:
    """Simulate every run of ``chunk``; returns ``(task index, result)`` pairs.

    Top-level so that it pickles to worker processes.
    """
    return [
        (
            task.index,
            DelegationMarket(  # exactly market.delegation.runs.run_profile
                chunk.scenario,
                strategies=task.strategies,
                T=task.T,
                eps=chunk.eps,
                mechanism=chunk.mechanism,
                rng=task.seed,
                record_points=1,
            ).run(),
        )
        for task in chunk.tasks
    ]


def run_tasks(
    scenario: DelegationScenario,
    tasks: Sequence[RunTask],
    *,
    eps=None,
    mechanism=None,
    jobs: int = 1,
    progress: bool = False,
    description: str = "runs",
) -> list[DelegationResult]:
    """Run ``tasks`` on ``jobs`` processes; results in task order whatever ``jobs`` is."""
    chunks = [RunChunk(scenario, eps, mechanism, c) for c in cut_into_chunks(tasks, jobs)]
    done = map_chunks(
        simulate_chunk,
        chunks,
        jobs=jobs,
        sizes=[len(c.tasks) for c in chunks],
        progress=progress,
        description=description,
    )
    results = dict(pair for chunk_results in done for pair in chunk_results)
    return [results[task.index] for task in tasks]
