"""What each ``llm-market ttc`` command asks for, priced before anything is allocated.

``sweep-beta``'s ``--betas LO:HI:N`` and ``dynamics``' ``--users`` are checked against the
memory and work limits of :mod:`market.core.pricing` with the estimates of
:mod:`market.ttc.footprint` before an array of that size exists; a refusal names the flag as
typed.

References:
    Velasco et al. (2026), Sections 2-3 and 6 (N providers, L compute levels, users).
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from market.core import pricing
from market.core.errors import UserInputError
from market.core.pricing import Limit, Size
from market.core.values import integer_text, number, split_range
from market.ttc import footprint
from market.ttc.population import MAX_USER_SPREAD, USER_MEMORY_BUDGET
from market.ttc.resolve import parse_beta

#: The betas a sweep takes by default (``--betas 1:1e6:100``): a refusal blames the size
#: furthest above its default.
TYPICAL_BETAS = 100


def betas_of(args: argparse.Namespace, game_spec):
    """The game (built at the lowest beta), ``--betas``' N log-spaced betas and their price.

    ``game_spec(args, beta=...)`` builds the game of the command's options; the betas are
    priced (:func:`beta_sweep_price`) before the array of N exists.
    """
    text = args.betas
    low_text, high_text, points = split_range(text, "--betas", "1:1e6:100")
    low, high = parse_beta(low_text, "--betas"), parse_beta(high_text, "--betas")
    if not (0 < low <= high < math.inf):
        raise UserInputError("--betas", "finite 0 < LO <= HI in LO:HI:N", text)
    spec = game_spec(args, beta=low)
    betas = Size("--betas", text, points, "betas", typical=TYPICAL_BETAS)
    price = beta_sweep_price(betas, spec.game, pricing.jobs_size(args.jobs, pricing.cores()))
    return spec, np.geomspace(low, high, points), price


def beta_sweep_price(betas: Size, game, jobs: Size) -> pricing.Price:
    """``sweep-beta``: one run of the dynamics per beta, on ``jobs`` worker processes.

    Args:
        betas: how many betas, under the name a refusal gives them (``--betas`` or
            ``betas``).
        game: the game swept (its N providers and L compute levels size every run).
        jobs: the worker processes (:func:`market.core.pricing.jobs_size`).

    Raises:
        UserInputError: past the memory or work limit, naming the betas or the jobs.
    """
    n, levels = game.n_providers, game.n_levels

    def memory(s) -> float:
        workers = min(s[jobs.flag], s[betas.flag])  # never more workers than runs
        return footprint.beta_sweep_bytes(s[betas.flag], n, levels, workers)

    def seconds(s) -> float:
        return footprint.beta_sweep_seconds(s[betas.flag], n, levels)

    limits = [pricing.memory(memory), pricing.work(seconds, jobs.value)]
    price = pricing.check([betas, jobs], limits)
    pricing.announce_long_work(price.estimates[1], "ttc sweep-beta")
    return price


def users_of(args: argparse.Namespace, game) -> tuple[int, float]:
    """``--users`` and ``--user-spread``, checked and priced (nothing drawn yet)."""
    users = integer_text(args.users, "--users", "an integer number of users >= 0")
    if users < 0:
        raise UserInputError("--users", "an integer number of users >= 0", args.users)
    spread = number(args.user_spread, "--user-spread")
    if not 0 <= spread <= MAX_USER_SPREAD:
        expected = f"a standard deviation from 0 to {MAX_USER_SPREAD:g}"
        raise UserInputError("--user-spread", expected, args.user_spread)
    n, levels = game.n_providers, game.n_levels
    cap = Limit(
        lambda s: footprint.users_bytes(s["--users"], n, levels),
        USER_MEMORY_BUDGET,
        lambda nbytes: f"{pricing.size_text(nbytes)} for the users' deviation checks",
        f"the game's cap is {pricing.size_text(USER_MEMORY_BUDGET)}",
    )
    limits = [pricing.memory(lambda s: footprint.model_bytes(n, levels, s["--users"])), cap]
    pricing.check([Size("--users", args.users, users, "simulated users", 0)], limits)
    return users, spread


def analyze_price(args: argparse.Namespace, game) -> pricing.Price:
    """``analyze``: the pure equilibria are enumerated when L^N <= ``--max-profiles``."""
    from mechanisms.ttc.optimum import DEFAULT_MAX_PROFILES, n_profiles

    profiles, cap = n_profiles(game), max(0, int(args.max_profiles))
    size = Size("--max-profiles", args.max_profiles, cap, "profiles", 0, DEFAULT_MAX_PROFILES)
    seconds = pricing.work(
        lambda s: footprint.enumeration_seconds(profiles, s["--max-profiles"]), workers=1
    )
    return pricing.check([size], [seconds])
