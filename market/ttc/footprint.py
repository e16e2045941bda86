"""Memory footprints of the test-time compute game: upper estimates made before allocating.

Pure functions of the sizes a user controls, for a memory budget that reserves bytes before a
model is built (the dashboard's). Each returns an upper estimate, in bytes, of the peak
additional memory (numpy arrays and Python objects) of that work, fixed overhead included,
and never decreases when a size grows.

The constants are measurements (``tracemalloc`` peaks and resident-set growth, Python 3.12,
numpy 2, Mesa 3.5, on the 2-core reference machine), rounded up; each says what was measured.
The per-user figure is :data:`market.ttc.population.BYTES_PER_USER_OFFER`, the one the
population's own memory check uses. A process also pays once, the first time it plays the game,
for what it loads then (:data:`FIRST_USE_BYTES`, not counted per model).
``benchmarks/bench_footprint.py`` prints measured peaks
against these estimates.

References:
    Velasco et al. (2026), Sections 2-3 and 6 (N providers, L compute levels, simulated users).
"""

from __future__ import annotations

from market.core.pricing import PROCESS_BYTES
from market.ttc.model import DEFAULT_MAX_STEPS
from market.ttc.population import BYTES_PER_USER_OFFER

#: One DataCollector row per step: the level, theta, share, expected share, price and utility
#: of every provider and six market figures (measured 457 + 120 N bytes per row for N = 2, 3
#: and 9, under both mechanisms).
ROW_BYTES = 512
#: ... plus this per provider.
ROW_PROVIDER_BYTES = 128
#: A model's own overhead: the game, agents, mechanism, DataCollector, the better-response
#: graph of a small game (at most 125 profiles) and the market-against-auction table of every
#: snapshot (measured 0.05-0.4 MB traced, warm).
MODEL_FIXED_BYTES = 1024**2
#: What a process pays once, the first time it plays the game: the digitised curves and the
#: modules and buffers used first then (measured 1.0-4.5 MB resident in a fresh process, 3.3 MB
#: of it the first preset built from curves); not counted per model.
FIRST_USE_BYTES = 6 * 1024**2


def users_bytes(users: int, providers: int, levels: int) -> int:
    """Simulated users' arrays at their peak: a provider's deviation check or a settlement.

    A deviation check holds several ``(L, U, N + 1)`` float arrays at once
    (:data:`~market.ttc.population.BYTES_PER_USER_OFFER` per user, level and option, measured
    49.5-54 bytes); the settlement's own ``(U, N + 1)`` arrays count as one more level.
    """
    return BYTES_PER_USER_OFFER * users * (levels + 1) * (providers + 1)


def records_bytes(providers: int, steps: int) -> int:
    """The DataCollector's rows after ``steps`` steps (one row per step, plus the first)."""
    return (steps + 1) * (ROW_BYTES + ROW_PROVIDER_BYTES * providers)


def model_bytes(providers: int, levels: int, users: int = 0, steps: int = DEFAULT_MAX_STEPS) -> int:
    """Peak memory of one TTCMarket built and stepped as the dashboard does.

    Estimates the ``tracemalloc`` peak and the resident-set growth of
    ``app.games.ttc.build_run`` then ``model.step()`` with a ``snapshot`` after every step:
    the simulated users' arrays, one DataCollector row per step and the fixed overhead. A run
    stops at rest (measured: 1-45 steps on every preset, mechanism, dynamics rule and beta) or
    after ``max_steps``; ``steps`` defaults to that limit, so the estimate holds however long
    the dynamics wander (164 MB of rows for N = 9); a budget that reserves as the run goes may
    pass fewer.

    Args:
        providers: N, the game's providers.
        levels: L, its compute levels.
        users: U simulated users (0: the aggregate share function).
        steps: the most steps the run will take.

    Returns:
        Bytes, an upper estimate (1.5-2.2 times the measured peak for 3k to 550k users).
    """
    return (
        MODEL_FIXED_BYTES + users_bytes(users, providers, levels) + records_bytes(providers, steps)
    )


# ---- what a command line asks for: a sweep over beta and its work --------------------------

#: Per beta of ``sweep-beta``, in the driver: the run's configuration and key, its rows read
#: back and the table's row (measured 3.2 KB per beta traced for N = 2, 2,000 betas) ...
BETA_BYTES = 2 * 1024
#: ... plus this per provider (one stored row each).
BETA_PROVIDER_BYTES = 1024
#: One core's seconds per beta and offer (provider x level) to run the dynamics to rest and
#: check the equilibrium (measured 3 ms for intro-example's 2 x 2, 38 ms for 9 x 6 with
#: ``tracemalloc`` on: about 1e-3 per offer or less).
BETA_OFFER_SECONDS = 1e-3


def beta_sweep_bytes(betas: int, providers: int, levels: int, workers: int) -> int:
    """Peak memory of ``sweep-beta`` over ``betas`` betas on ``workers`` processes."""
    driver = betas * (8 + BETA_BYTES + BETA_PROVIDER_BYTES * providers)
    worker = PROCESS_BYTES + model_bytes(providers, levels)
    return FIRST_USE_BYTES + driver + max(1, workers) * worker


def beta_sweep_seconds(betas: int, providers: int, levels: int) -> float:
    """One core's seconds for ``sweep-beta`` over ``betas`` betas."""
    return BETA_OFFER_SECONDS * betas * providers * levels


#: One core's seconds per profile enumerated for the pure equilibria (measured 2e-7 for the
#: 6^9 profiles of gsm8k-best-of-n).
PROFILE_SECONDS = 1e-7


def enumeration_seconds(profiles: int, max_profiles: int) -> float:
    """One core's seconds to enumerate a game's ``profiles`` (none above ``max_profiles``)."""
    return PROFILE_SECONDS * profiles if profiles <= max_profiles else 0.0
