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
from market.core.pricing import Limit, Size
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


def priced(args, sizes: list[Size], setting, memory, markets) -> pricing.Price:
    """Check ``sizes`` and ``--jobs`` against memory, the game's cap and the work limit.

    ``memory(sizes)``: the study's bytes in one process; ``markets(sizes)``: how many markets
    of T rounds it plays.
    """
    jobs = pricing.jobs_size(args.jobs, 1)

    def rounds(s) -> float:
        return markets(s) * setting.T * setting.providers

    limits = [
        pricing.memory(lambda s: memory(s) + pricing.PROCESS_BYTES * min(s["--jobs"], markets(s))),
        rounds_limit(rounds),
        pricing.work(lambda s: footprint.ROUND_SECONDS * rounds(s), workers=jobs.value),
    ]
    return pricing.check([*sizes, jobs], limits)


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

    return priced(args, sizes, setting, memory, markets)


def bid_points(text) -> tuple[str, str, int]:
    """``--bids LO:HI:N`` split (N read, nothing built)."""
    from market.core.values import split_range

    return split_range(text, "--bids", "0:0.5:21")


def truthfulness_price(args: argparse.Namespace, setting) -> pricing.Price:
    """``rosa truthfulness``: ``--runs`` runs at each of ``--bids``' N bids and the truth."""
    points = 21 if args.bids is None else bid_points(args.bids)[2]
    runs = count(args.runs, "--runs")
    n, d = setting.providers, setting.dim
    sizes = [
        Size("--bids", args.bids, points, "bid points", typical=21),
        Size("--runs", args.runs, runs, "runs", typical=200),
    ]

    def markets(s) -> int:
        return footprint.truthfulness_markets(s["--bids"], s["--runs"])

    def memory(s) -> float:
        bids, runs_ = s["--bids"], s["--runs"]
        return footprint.grid_bytes(bids) + footprint.truthfulness_bytes(n, d, bids, runs_)

    return priced(args, sizes, setting, memory, markets)


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
    n, d = setting.providers, setting.dim
    sizes = [
        Size("--points", args.points, points, "horizons", 2, typical=10),
        Size("--runs", args.runs, runs, "runs", typical=10),
    ]

    def horizons(s) -> int:  # distinct integer horizons
        return min(s["--points"], high - low + 1)

    def memory(s) -> float:
        study = footprint.regret_bytes(n, d, horizons(s), s["--runs"])
        return footprint.grid_bytes(s["--points"]) + study

    def markets(s) -> int:  # as the runs layer counts them: every run at the longest T
        return s["--runs"] * horizons(s)

    price = priced(args, sizes, setting.replace(T=high), memory, markets)
    pricing.announce_long_work(price.estimates[2], "rosa regret")
    return price


def monotonicity_price(args: argparse.Namespace, setting, learners: int) -> pricing.Price:
    """``rosa monotonicity``: ``--instances`` x providers x ``--points`` markets per learner."""
    instances = count(args.instances, "--instances")
    points = count(args.points, "--points", minimum=2)
    n, d = setting.providers, setting.dim
    sizes = [
        Size("--instances", args.instances, instances, "instances", typical=20),
        Size("--points", args.points, points, "bids per provider", 2, typical=21),
    ]

    def markets(s) -> int:
        return learners * s["--instances"] * n * s["--points"]

    def memory(s) -> float:
        return footprint.monotonicity_bytes(n, d, s["--instances"], s["--points"], learners)

    return priced(args, sizes, setting, memory, markets)
