"""What each ``llm-market rosa`` command asks for, priced before anything is allocated.

The setting is read from the options first (cheap: nothing grows with T), then every size is
checked against the memory and work limits of :mod:`market.core.pricing` with the estimates
of :mod:`market.rosa.footprint`, and against the game's own cap on provider-rounds
(:data:`market.rosa.batches.MAX_WORK`); a refusal names the flag as typed.

References:
    Patra et al. (2026); ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

import argparse

from market.core import pricing
from market.core.errors import UserInputError
from market.core.pricing import Limit, Size, count_size, engine_jobs, length_size
from market.core.values import count, integer_text, number
from market.rosa import footprint
from market.rosa.batches import MAX_WORK
from market.rosa.scenarios import MAX_DIM, MAX_PROVIDERS, MAX_T

MARKET_OPTIONS = ("providers", "dim", "T", "learner", "mechanism", "noise", "sigma", "mu")
#: What each integer option of the market takes (said when the text is not an integer).
RANGES = {
    "providers": f"an integer number of providers from 2 to {MAX_PROVIDERS}",
    "dim": f"an integer dimension from 1 to {MAX_DIM}",
    "T": f"an integer T from 1 to {MAX_T:,}",
}


def setting_of(args: argparse.Namespace):
    """The validated setting from the market options; a mistake names the flag (``--T``)."""
    from market.rosa.scenarios import get_setting

    changes = {}
    for name in MARKET_OPTIONS:
        value = getattr(args, name, None)
        if value is None:
            continue
        if name in RANGES:
            value = integer_text(value, f"--{name}", RANGES[name])
        elif name in ("sigma", "mu"):
            value = number(value, f"--{name}")
        changes[name] = value
    try:
        return get_setting(args.preset, **changes)
    except UserInputError as error:
        if error.field not in changes:
            raise
        flag = f"--{error.field}"
        raise UserInputError(flag, error.expected, error.given, note=error.note) from None


def rounds_limit(estimate) -> Limit:
    """The game's cap on provider-rounds (markets x T x providers) per command."""
    return Limit(
        estimate,
        MAX_WORK,
        lambda rounds: f"{rounds:.1e} provider-rounds (markets x T x providers)",
        f"the limit is {MAX_WORK:.0e} provider-rounds per command",
    )


def priced(sizes: list[Size], jobs: Size, setting, memory, markets) -> pricing.Price:
    """Check ``sizes`` and ``jobs`` against memory, the game's cap and the work limit.

    ``memory(sizes)``: the study's bytes in one process; ``markets(sizes)``: how many markets
    of T rounds it plays.
    """

    def rounds(s) -> float:
        return markets(s) * setting.T * setting.providers

    def driver_and_workers(s) -> float:
        return memory(s) + pricing.PROCESS_BYTES * min(s[jobs.flag], markets(s))

    limits = [
        pricing.memory(driver_and_workers),
        rounds_limit(rounds),
        pricing.work(lambda s: footprint.ROUND_SECONDS * rounds(s), workers=jobs.value),
    ]
    return pricing.check([*sizes, jobs], limits)


def cli_jobs(args: argparse.Namespace) -> Size:
    """``--jobs`` as typed (default one worker)."""
    return pricing.jobs_size(args.jobs, 1)


def run_price(args: argparse.Namespace, setting) -> pricing.Price:
    """``rosa run``: one market and its monotonicity replay of ``--check-points`` bids each."""
    points = count(args.check_points, "--check-points", minimum=0)
    n, d = setting.providers, setting.dim
    sizes = [Size("--check-points", args.check_points, points, "bids per provider", 0, 11)]

    def markets(s) -> int:
        return 1 + n * s["--check-points"]

    def memory(s) -> float:
        per_market = (
            footprint.MARKET_BYTES
            + footprint.MARKET_PROVIDER_BYTES * n
            + footprint.learner_peak_bytes(n, d)
        )
        return footprint.model_bytes(n, d, setting.T) + markets(s) * per_market

    return priced(sizes, cli_jobs(args), setting, memory, markets)


def bid_points(text) -> tuple[str, str, int]:
    """``--bids LO:HI:N`` split (N read, nothing built)."""
    from market.core.values import split_range

    return split_range(text, "--bids", "0:0.5:21")


#: The defaults of the studies (a refusal blames the size furthest above its default).
TYPICAL_BIDS, TYPICAL_TRUTHFULNESS_RUNS = 21, 200
TYPICAL_HORIZONS, TYPICAL_REGRET_RUNS = 10, 10
TYPICAL_INSTANCES, TYPICAL_GRID_POINTS = 20, 21


def truthfulness_price(args: argparse.Namespace, setting) -> pricing.Price:
    """``rosa truthfulness``: ``--runs`` runs at each of ``--bids``' N bids and the truth."""
    points = TYPICAL_BIDS if args.bids is None else bid_points(args.bids)[2]
    runs = count(args.runs, "--runs")
    bids = Size("--bids", args.bids, points, "bid points", typical=TYPICAL_BIDS)
    runs_size = Size("--runs", args.runs, runs, "runs", typical=TYPICAL_TRUTHFULNESS_RUNS)
    return truthfulness_study_price(bids, runs_size, cli_jobs(args), setting)


def truthfulness_study_price(bids: Size, runs: Size, jobs: Size, setting) -> pricing.Price:
    """A truthfulness curve: ``runs`` runs at each of ``bids`` bids and the true cost.

    Every size comes under the name a refusal gives it: the CLI's flags (``--bids``) or the
    Python arguments of :func:`market.rosa.runs.truthfulness_curve` (``bids``).
    """
    n, d = setting.providers, setting.dim

    def markets(s) -> int:
        return footprint.truthfulness_markets(s[bids.flag], s[runs.flag])

    def memory(s) -> float:
        points, runs_ = s[bids.flag], s[runs.flag]
        return footprint.grid_bytes(points) + footprint.truthfulness_bytes(n, d, points, runs_)

    return priced([bids, runs], jobs, setting, memory, markets)


def horizon_range(args: argparse.Namespace) -> tuple[int, int]:
    """``--T-from`` and ``--T-to``: integers from 1 to :data:`MAX_T`, the first the smaller."""
    expected = RANGES["T"]
    low = integer_text(args.T_from, "--T-from", expected)
    high = integer_text(args.T_to, "--T-to", expected)
    if not 1 <= low <= MAX_T:
        raise UserInputError("--T-from", expected, args.T_from)
    if not 1 <= high <= MAX_T:
        raise UserInputError("--T-to", expected, args.T_to)
    if high <= low:
        raise UserInputError("--T-to", f"a horizon above --T-from = {low:,}", args.T_to)
    return low, high


def regret_price(args: argparse.Namespace, setting) -> pricing.Price:
    """``rosa regret``: ``--runs`` runs at each of ``--points`` horizons (distinct ones)."""
    low, high = horizon_range(args)
    points = count(args.points, "--points", minimum=2)
    runs = count(args.runs, "--runs")
    sizes = (
        Size("--points", args.points, points, "horizons", 2, typical=TYPICAL_HORIZONS),
        Size("--runs", args.runs, runs, "runs", typical=TYPICAL_REGRET_RUNS),
    )
    # distinct integer horizons: the log-spaced points rounded
    return regret_study_price(*sizes, cli_jobs(args), setting.replace(T=high), high - low + 1)


def regret_study_price(
    horizons: Size, runs: Size, jobs: Size, longest, distinct: int | None = None
) -> pricing.Price:
    """A regret curve: ``runs`` runs at each horizon, every run at the longest T.

    ``longest``: the setting at the longest horizon; ``distinct``: at most this many of the
    horizons differ (None: all of them). The sizes come under the name a refusal gives them:
    the CLI's flags (``--points``) or the Python arguments of
    :func:`market.rosa.runs.regret_curve` (``horizons``).
    """
    n, d = longest.providers, longest.dim

    def different(s) -> int:
        return s[horizons.flag] if distinct is None else min(s[horizons.flag], distinct)

    def memory(s) -> float:
        study = footprint.regret_bytes(n, d, different(s), s[runs.flag])
        return footprint.grid_bytes(s[horizons.flag]) + study

    def markets(s) -> int:  # as the runs layer counts them: every run at the longest T
        return s[runs.flag] * different(s)

    price = priced([horizons, runs], jobs, longest, memory, markets)
    pricing.announce_long_work(price.estimates[2], "rosa regret")
    return price


def monotonicity_price(args: argparse.Namespace, setting, learners: int) -> pricing.Price:
    """``rosa monotonicity``: ``--instances`` x providers x ``--points`` markets per learner."""
    instances = count(args.instances, "--instances")
    points = count(args.points, "--points", minimum=2)
    sizes = (
        Size("--instances", args.instances, instances, "instances", typical=TYPICAL_INSTANCES),
        Size("--points", args.points, points, "bids per provider", 2, TYPICAL_GRID_POINTS),
    )
    return monotonicity_study_price(*sizes, cli_jobs(args), setting, learners)


def monotonicity_study_price(
    instances: Size, points: Size, jobs: Size, setting, learners: int
) -> pricing.Price:
    """A monotonicity survey: ``instances`` x providers x ``points`` markets per learner.

    The sizes come under the name a refusal gives them: the CLI's flags (``--instances``) or
    the Python arguments of :func:`market.rosa.runs.monotonicity_survey` (``instances``).
    """
    n, d = setting.providers, setting.dim

    def markets(s) -> int:
        return learners * s[instances.flag] * n * s[points.flag]

    def memory(s) -> float:
        return footprint.monotonicity_bytes(n, d, s[instances.flag], s[points.flag], learners)

    return priced([instances, points], jobs, setting, memory, markets)


# ---- the same studies called from Python (market.rosa.runs), sizes under their arguments ----


def truthfulness_request_price(bids, runs, engine, setting) -> pricing.Price:
    """:func:`~market.rosa.runs.truthfulness_curve` and ``bid_outcomes``: ``bids`` x ``runs``."""
    points = length_size(bids, "bids", "bid points", typical=TYPICAL_BIDS)
    runs_ = count_size(runs, "runs", "runs", typical=TYPICAL_TRUTHFULNESS_RUNS)
    return truthfulness_study_price(points, runs_, engine_jobs(engine), setting)


def regret_request_price(horizons, runs, engine, setting) -> pricing.Price:
    """:func:`~market.rosa.runs.regret_curve`: ``runs`` runs at each of ``horizons``."""
    points = length_size(horizons, "horizons", "horizons", typical=TYPICAL_HORIZONS)
    if points.value == 0:
        raise UserInputError("horizons", "at least one horizon T", "none")
    runs_ = count_size(runs, "runs", "runs", typical=TYPICAL_REGRET_RUNS)
    longest = setting.replace(T=int(max(horizons)))  # checked: 1 <= T <= MAX_T
    return regret_study_price(points, runs_, engine_jobs(engine), longest)


def monotonicity_request_price(instances, points, engine, setting, learners: int):
    """:func:`~market.rosa.runs.monotonicity_survey`: ``instances`` x ``points`` x learners."""
    surveyed = count_size(instances, "instances", "instances", typical=TYPICAL_INSTANCES)
    grid = count_size(points, "points", "bids per provider", minimum=2, typical=TYPICAL_GRID_POINTS)
    return monotonicity_study_price(surveyed, grid, engine_jobs(engine), setting, learners)
