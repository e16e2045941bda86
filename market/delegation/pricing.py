"""What each ``llm-market delegation`` command asks for, priced before anything is allocated.

Each function takes the command's parsed options (text as typed), checks every size against
the memory and work limits of :mod:`market.core.pricing` with the estimates of
:mod:`market.delegation.footprint`, and returns the estimate, or refuses in one line naming
the flag as typed. The number of providers K comes from the scenario (read, not built).

References:
    Cao et al. (2026), Section 6 (T queries, K providers, the 6^K-profile sweep).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from market.core import pricing
from market.core.errors import UserInputError
from market.core.grids import GridFile, whole
from market.core.pricing import Size
from market.core.values import count
from market.delegation import footprint
from market.delegation.horizon import MAX_QUERIES

T_EXPECTED = f"an integer T from 1 to {MAX_QUERIES:,} (query ids are drawn up front)"


def horizon_count(text, flag: str) -> int:
    """A horizon T as typed: an integer from 1 to :data:`MAX_QUERIES`."""
    from market.core.values import integer_text

    value = integer_text(text, flag, T_EXPECTED)
    if not 1 <= value <= MAX_QUERIES:
        raise UserInputError(flag, T_EXPECTED, text)
    return value


#: The names a size is refused under: the CLI's flags, or the Python run functions' arguments
#: (:mod:`market.delegation.runs`), keyed by the Python name.
CLI_FLAGS = {
    "T": "--T",
    "seeds": "--seeds",
    "jobs": "--jobs",
    "strategies": "--strategies",
    "T_from": "--T-from",
    "T_to": "--T-to",
    "points": "--points",
}
PYTHON_ARGUMENTS = {name: name for name in CLI_FLAGS}


def scenario_sizes(args: argparse.Namespace, T_flag: str = "--T") -> tuple[int, int]:
    """The scenario's T (``--T`` if given, checked) and its number of providers K."""
    from market.delegation.model import resolve_scenario

    T = None if args.T is None else horizon_count(args.T, T_flag)
    scenario = resolve_scenario(args.scenario)
    return (int(scenario.T) if T is None else T), len(scenario.providers)


def run_price(args: argparse.Namespace) -> pricing.Price:
    """``delegation run``: one model of T queries, ``--batch`` at a time."""
    T, providers = scenario_sizes(args)
    batch = None if args.batch is None else count(args.batch, "--batch")
    sizes = [Size("--T", args.T, T, "queries")]
    limits = [pricing.memory(lambda s: footprint.model_bytes(s["--T"], providers, batch))]
    return pricing.check(sizes, limits)


def profiles_price(
    args: argparse.Namespace, profiles_per_seed: int, names: dict[str, str] = CLI_FLAGS
) -> pricing.Price:
    """``sweep`` and ``metagame``: ``profiles_per_seed`` x ``--seeds`` runs of T queries.

    ``args`` holds ``scenario``, ``T``, ``seeds`` and ``jobs`` as given; ``names`` are what a
    refusal calls them (:data:`CLI_FLAGS`, or :data:`PYTHON_ARGUMENTS` for a Python call).
    """
    T_flag, seeds_flag, jobs_flag = names["T"], names["seeds"], names["jobs"]
    T, providers = scenario_sizes(args, T_flag)
    seeds = count(args.seeds, seeds_flag)
    jobs = pricing.jobs_size(args.jobs, pricing.cores(), jobs_flag)
    sizes = [
        Size(seeds_flag, args.seeds, seeds, "replicate seeds"),
        Size(T_flag, args.T, T, "queries", typical=T if args.T is None else None),
        jobs,
    ]

    def memory(s) -> float:
        runs = profiles_per_seed * s[seeds_flag]
        workers = min(s[jobs_flag], runs)  # a pool never starts more workers than runs
        return footprint.runs_bytes(runs, s[seeds_flag], s[T_flag], providers, workers)

    def seconds(s) -> float:
        return footprint.queries_seconds(profiles_per_seed * s[seeds_flag] * s[T_flag])

    limits = [pricing.memory(memory), pricing.work(seconds, jobs.value)]
    price = pricing.check(sizes, limits)
    pricing.announce_long_work(price.estimates[1], "delegation")
    return price


def strategies_played(args: argparse.Namespace, flag: str = "--strategies") -> int:
    """How many strategies each provider may play: ``--strategies`` (checked), else the six."""
    from market.delegation.tables import strategy_set

    names = strategy_set(getattr(args, "strategies", None), flag)
    return footprint.BASE_STRATEGIES if names is None else len(names)


def sweep_price(args: argparse.Namespace, names: dict[str, str] = CLI_FLAGS) -> pricing.Price:
    """``delegation sweep``: every one of the S^K profiles for every seed (S = 6 by default).

    ``args`` holds ``scenario``, ``T``, ``seeds``, ``jobs`` and ``strategies`` as given;
    ``names``: what a refusal calls them (see :func:`profiles_price`).
    """
    _, providers = scenario_sizes(args, names["T"])
    return profiles_price(args, strategies_played(args, names["strategies"]) ** providers, names)


def metagame_price(args: argparse.Namespace) -> pricing.Price:
    """``delegation metagame``: the payoff table (S^K profiles x seeds) and its graph."""
    scenario_sizes(args)  # a bad --T or scenario is told before --max-plays
    count(args.max_plays, "--max-plays")
    return sweep_price(args)


def horizon_price(args: argparse.Namespace, names: dict[str, str] = CLI_FLAGS) -> pricing.Price:
    """``delegation horizon``: ``--points`` horizons from ``--T-from`` to ``--T-to``, x seeds.

    Every horizon is checked here (the largest is ``--T-to``), before any worker starts.
    ``args`` holds ``scenario``, ``T_from``, ``T_to``, ``points``, ``seeds`` and ``jobs`` as
    given; ``names``: what a refusal calls them (:data:`CLI_FLAGS` or
    :data:`PYTHON_ARGUMENTS`).
    """
    from market.delegation.model import resolve_scenario

    points_flag, seeds_flag, jobs_flag = names["points"], names["seeds"], names["jobs"]
    low_flag, high_flag = names["T_from"], names["T_to"]
    low, high = horizon_count(args.T_from, low_flag), horizon_count(args.T_to, high_flag)
    if low > high:
        raise UserInputError(high_flag, f"a horizon >= {low_flag} ({low:,})", args.T_to)
    points = count(args.points, points_flag, minimum=2)
    seeds = count(args.seeds, seeds_flag)
    providers = len(resolve_scenario(args.scenario).providers)
    jobs = pricing.jobs_size(args.jobs, pricing.cores(), jobs_flag)
    sizes = [
        Size(points_flag, args.points, points, "horizons", minimum=2, typical=11),
        Size(seeds_flag, args.seeds, seeds, "replicate seeds"),
        jobs,
    ]

    def memory(s) -> float:
        runs = s[points_flag] * s[seeds_flag]
        workers = min(s[jobs_flag], runs)  # a pool never starts more workers than runs
        driver = 24 * s[points_flag]
        return driver + footprint.runs_bytes(runs, s[seeds_flag], high, providers, workers)

    def seconds(s) -> float:
        return footprint.queries_seconds(s[points_flag] * s[seeds_flag] * (low + high) / 2)

    limits = [pricing.memory(memory), pricing.work(seconds, jobs.value)]
    price = pricing.check(sizes, limits)
    pricing.announce_long_work(price.estimates[1], "delegation horizon")
    return price


def grid_horizon(value, where: str) -> int:
    """A grid's T: an integer from 1 to :data:`MAX_QUERIES` (query ids are drawn up front)."""
    T = whole(value, where)
    if T > MAX_QUERIES:
        raise UserInputError(where, T_EXPECTED, T)
    return T


def price_grid(grid: GridFile, presets, Ts, others: int, choices: int) -> None:
    """Refuse a grid past the work or memory limit before a model is built or a run listed.

    Each combination of preset, T, eps and mechanism is checked by building one model (its
    query ids drawn: T of them), and lists ``choices ** K`` profiles (K providers); each
    profile runs T queries for every seed. ``others``: the eps values x mechanisms.
    """
    from market.delegation.model import resolve_scenario

    scenarios = [grid.checked("preset", resolve_scenario, preset) for preset in presets]
    horizons = [[s.T if T is None else T for T in Ts] for s in scenarios]
    profiles = [choices ** len(s.providers) for s in scenarios]
    listed = sum(len(h) * p for h, p in zip(horizons, profiles, strict=True)) * others
    queries = sum(sum(h) * (1 + p * grid.seeds) for h, p in zip(horizons, profiles, strict=True))
    field = f"{Path(grid.path).name}: [grid]"
    runs = listed * grid.seeds
    sizes = [pricing.Size(field, f"{runs:,} runs", runs, "runs", minimum=min(runs, 1))]
    per_run = queries * others / max(runs, 1)
    limits = [
        pricing.memory(lambda s: footprint.CONFIG_BYTES * listed * s[field] / max(runs, 1)),
        pricing.work(lambda s: footprint.queries_seconds(per_run * s[field])),
    ]
    pricing.check(sizes, limits)  # long work is announced once, by the grid's runs_price
