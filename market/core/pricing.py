"""Pricing a command before it allocates: every size a user types is checked against limits.

A command lists the sizes the user controls (:class:`Size`: the flag as typed, its value and
what it counts) and the limits they must fit (:class:`Limit`: an estimate as a function of the
sizes, and the bound). :func:`check` evaluates the estimates with plain Python numbers (nothing
is allocated, however absurd a value) and refuses a request past a limit with a
:class:`~market.core.errors.UserInputError`: one line naming the flag, the largest value that
fits (found by bisection, the other sizes as given) and the estimate.

Two limits apply to every command line, read from the environment:

- memory, :func:`memory_limit`: ``LLM_MARKET_MEMORY_LIMIT`` (a size such as ``8GB`` or
  ``500MB``), by default half of this machine's physical memory, as the dashboard's
  ``--memory-budget``;
- work, :func:`work_limit`: ``LLM_MARKET_WORK_LIMIT`` (a duration such as ``7d``, ``12h``,
  ``30m`` or seconds), by default a week of wall-clock time on all of this machine's cores.

The estimates themselves live beside each game's memory footprints
(``market/<game>/footprint.py``).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from market.core.errors import UserInputError

MEMORY_VARIABLE = "LLM_MARKET_MEMORY_LIMIT"
WORK_VARIABLE = "LLM_MARKET_WORK_LIMIT"
#: Share of the machine's physical memory a command may use by default.
MEMORY_SHARE = 0.5
#: Used when the operating system does not say how much memory there is.
FALLBACK_MEMORY = 8 * 1024**3
#: The default work limit: a week of wall-clock time on every core.
WEEK = 7 * 24 * 3600
#: Work estimated beyond this many seconds is announced on stderr before it starts.
LONG_WORK_SECONDS = 30.0
#: Each worker process's own memory beyond what it shares with the driver (its imports'
#: copied pages and buffers; measured 30-60 MB resident growth per forked worker).
PROCESS_BYTES = 64 * 1024**2
#: A memory size: a number and an optional unit (K, M, G or T, with or without B or iB).
SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT])?(?:i?B)?", re.IGNORECASE)
#: A duration: a number and an optional unit (s, m, h, d; seconds without one).
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])?", re.IGNORECASE)
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def physical_memory() -> int:
    """This machine's physical memory in bytes (:data:`FALLBACK_MEMORY` if unknown)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return FALLBACK_MEMORY


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def parse_size(text: str, field: str) -> int:
    """Bytes of a size such as ``4GB``, ``500 MB``, ``2GiB`` or ``1073741824``."""
    match = SIZE.fullmatch(str(text).strip())
    if match is None:
        raise UserInputError(field, "a size such as 8GB or 500MB", text)
    return int(float(match.group(1)) * 1024 ** "BKMGT".index((match.group(2) or "B").upper()))


def parse_duration(text: str, field: str) -> float:
    """Seconds of a duration such as ``7d``, ``12h``, ``30m``, ``90s`` or ``3600``."""
    match = DURATION.fullmatch(str(text).strip())
    if match is None:
        raise UserInputError(field, "a duration such as 7d, 12h, 30m or 3600 (seconds)", text)
    return float(match.group(1)) * UNIT_SECONDS[(match.group(2) or "s").lower()]


def memory_limit() -> int:
    """Bytes a command may use: ``LLM_MARKET_MEMORY_LIMIT``, else half the physical memory."""
    text = os.environ.get(MEMORY_VARIABLE)
    if text:
        return parse_size(text, MEMORY_VARIABLE)
    return int(physical_memory() * MEMORY_SHARE)


def work_limit() -> float:
    """Wall-clock seconds a command may take: ``LLM_MARKET_WORK_LIMIT``, else a week."""
    text = os.environ.get(WORK_VARIABLE)
    if text:
        return parse_duration(text, WORK_VARIABLE)
    return float(WEEK)


def size_text(nbytes: float) -> str:
    """Bytes for people: ``"350 MB"``, ``"8.0 GB"``, ``"3.1e+04 TB"``."""
    if nbytes >= 1024**4:
        return f"{nbytes / 1024**4:,.0f} TB" if nbytes >= 1024**5 else f"{nbytes / 1024**4:.1f} TB"
    if nbytes >= 1024**3:
        return f"{nbytes / 1024**3:.1f} GB"
    return f"{max(nbytes, 0) / 1024**2:.0f} MB"


def duration_text(seconds: float) -> str:
    """Seconds for people: ``"40 s"``, ``"12 min"``, ``"3.5 h"``, ``"7 days"``, ``"2.1 years"``."""
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    if seconds < 2 * 365 * 86400:
        return f"{seconds / 86400:.0f} days"
    return f"{seconds / (365 * 86400):,.0f} years"


@dataclass(frozen=True)
class Size:
    """A size the user typed.

    Attributes:
        flag: the flag exactly as the user types it, e.g. ``"--bids"``.
        given: the value as typed (quoted in a refusal).
        value: the value read (an integer, however large).
        noun: what it counts, plural, e.g. ``"bid points"``.
        minimum: the smallest value the flag takes.
        typical: its default (a refusal blames the size furthest above its default, the one
            the user most likely meant to change); None: ``minimum``.
    """

    flag: str
    given: object
    value: int
    noun: str
    minimum: int = 1
    typical: int | None = None

    @property
    def excess(self) -> float:
        """How many times its default the value is."""
        typical = self.minimum if self.typical is None else self.typical
        return self.value / max(typical, 1)


@dataclass(frozen=True)
class Limit:
    """A bound on an estimate made from the sizes.

    Attributes:
        estimate: the estimate from every size's value (keyed by flag); plain Python numbers,
            non-decreasing in each size.
        bound: the largest estimate allowed.
        amount: the estimate for people, e.g. ``"8.0 GB of memory"``.
        advice: the bound for people and how to change it.
    """

    estimate: Callable[[Mapping[str, int]], float]
    bound: float
    amount: Callable[[float], str]
    advice: str


def memory(estimate: Callable[[Mapping[str, int]], float]) -> Limit:
    """The memory limit (:func:`memory_limit`) on an estimate of peak bytes."""
    bound = memory_limit()
    return Limit(
        estimate,
        bound,
        lambda nbytes: f"{size_text(nbytes)} of memory",
        f"the limit is {size_text(bound)}, set {MEMORY_VARIABLE} to change it",
    )


def work(estimate: Callable[[Mapping[str, int]], float], workers: int | None = None) -> Limit:
    """The work limit (:func:`work_limit`) on an estimate of one core's seconds.

    The wall-clock time is that over ``workers`` (default: every core of this machine).
    """
    workers = max(1, min(workers or cores(), cores()))
    bound = work_limit()
    on = f"{workers} cores" if workers > 1 else "one core"
    return Limit(
        lambda sizes: estimate(sizes) / workers,
        bound,
        lambda seconds: f"{duration_text(seconds)} of work on {on}",
        f"the limit is {duration_text(bound)}, set {WORK_VARIABLE} to change it",
    )


def jobs_size(text, default: int, flag: str = "--jobs") -> Size:
    """``--jobs`` (or the argument named ``flag``), read (``default`` when not given)."""
    from market.core.values import count

    value = default if text is None else count(text, flag)
    return Size(flag, text, value, "worker processes", typical=cores())


def count_size(
    value, field: str, noun: str, *, minimum: int = 1, typical: int | None = None
) -> Size:
    """A count given from Python (``seeds=``, ``runs=``), read by :func:`~market.core.values.count`.

    Raises:
        UserInputError: not an integer >= ``minimum``, naming ``field``.
    """
    from market.core.values import count

    return Size(field, value, count(value, field, minimum), noun, minimum, typical)


def engine_jobs(engine) -> Size:
    """``jobs`` of a Python call: the workers of its :class:`~market.core.engine.Engine`."""
    return jobs_size(engine.jobs, engine.jobs, "jobs")


def length_size(
    values, field: str, noun: str, *, minimum: int = 1, typical: int | None = None
) -> Size:
    """A size given as a sequence from Python (betas, bids, horizons): its length.

    A refusal quotes the length (``'1,000,000 betas'``), never the values themselves.

    Raises:
        UserInputError: ``values`` has no length (a generator, a number).
    """
    try:
        length = len(values)
    except TypeError:
        expected = f"a sequence of {noun} (a list or an array)"
        raise UserInputError(field, expected, type(values).__name__) from None
    return Size(field, f"{length:,} {noun}", length, noun, minimum, typical)


@dataclass(frozen=True)
class Price:
    """What a request was estimated to take (every limit's estimate, in order)."""

    estimates: tuple[float, ...] = field(default_factory=tuple)


def largest_fitting(fits: Callable[[int], bool], low: int, high: int) -> int:
    """The largest value in ``[low, high]`` that ``fits`` (``low - 1``: none); bisection.

    ``fits`` must be monotone: true up to some value, false beyond.
    """
    if not fits(low):
        return low - 1
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return high if fits(high) else low


def refusal(sizes: Sequence[Size], limits: Sequence[Limit], passed: Limit) -> UserInputError:
    """The refusal of a request past ``passed``, blaming the size that alone could fix it.

    The largest value named fits every limit (the other sizes as given); the estimate quoted
    is ``passed``'s.
    """
    values = {size.flag: size.value for size in sizes}
    note = f"about {passed.amount(passed.estimate(values))}; {passed.advice}"
    fixes = []
    for size in sizes:

        def fits(value: int, flag: str = size.flag) -> bool:
            changed = {**values, flag: value}
            return all(limit.estimate(changed) <= limit.bound for limit in limits)

        largest = largest_fitting(fits, size.minimum, size.value)
        if size.minimum <= largest < size.value:
            fixes.append((size.excess, size.value / max(largest, 1), size, largest))
    if fixes:  # the size furthest above its default, then above what fits
        *_, size, largest = max(fixes, key=lambda fix: fix[:2])
        expected = f"at most {largest:,} {size.noun} on this machine"
        return UserInputError(size.flag, expected, size.given, note=note)
    blamed = max(sizes, key=lambda size: size.excess)
    others = ", ".join(s.flag for s in sizes if s is not blamed)
    expected = f"fewer {blamed.noun}" + (f" (or smaller {others})" if others else "")
    return UserInputError(blamed.flag, expected, blamed.given, note=note)


def check(sizes: Sequence[Size], limits: Sequence[Limit]) -> Price:
    """Refuse the request if an estimate passes its limit; else return the estimates.

    Raises:
        UserInputError: naming the flag to lower, the largest value that fits and the estimate.
    """
    values = {size.flag: size.value for size in sizes}
    estimates = []
    for limit in limits:
        estimate = limit.estimate(values)
        if estimate > limit.bound:
            raise refusal(sizes, limits, limit)
        estimates.append(estimate)
    return Price(tuple(estimates))


def announce_long_work(seconds: float, what: str) -> None:
    """Say on stderr, before it starts, that work is estimated to be long."""
    if seconds >= LONG_WORK_SECONDS:
        print(
            f"llm-market: {what}: about {duration_text(seconds)} of work (an estimate)",
            file=sys.stderr,
            flush=True,
        )


#: Runs of an experiment a price samples (evenly spaced) to estimate its mean run.
SAMPLED_RUNS = 256


def runs_price(experiment, field: str, jobs: int) -> Price:
    """A grid's experiment priced before its store is opened: its runs' work on ``jobs`` cores.

    Runs are made on demand, so an experiment's memory does not grow with its length; its
    work does. The mean run is estimated from :data:`SAMPLED_RUNS` evenly spaced runs
    (:meth:`~market.core.experiments.ExperimentKind.seconds_of`); past the work limit the
    refusal names ``field`` (e.g. ``"g.toml: [grid]"``) and the most runs that fit.

    Raises:
        UserInputError: the grid has more runs than fit the work limit.
    """
    runs = experiment.runs
    total = len(runs)
    step = max(1, total // SAMPLED_RUNS)
    sample = [runs[i].config for i in range(0, total, step)][:SAMPLED_RUNS]
    mean = sum(experiment.kind.seconds_of(config) for config in sample) / max(len(sample), 1)
    sizes = [Size(field, f"{total:,} runs", total, "runs", minimum=min(total, 1))]
    limits = [work(lambda s: s[field] * mean, jobs)]
    price = check(sizes, limits)
    announce_long_work(price.estimates[0], f"{experiment.kind.qualified} ({total:,} runs)")
    return price
