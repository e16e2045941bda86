"""Memory footprints of the ROSA game: upper estimates made before anything is allocated.

Pure functions of the sizes a user controls, for a memory budget that reserves bytes before a
model is built or a study started (the dashboard's). Each returns an upper estimate, in bytes,
of the peak additional memory (numpy arrays and Python objects) of that work, fixed overhead
included, and never decreases when a size grows.

The constants are measurements (``tracemalloc`` peaks and resident-set growth, Python 3.12,
numpy 2, Mesa 3.5, on the 2-core reference machine), rounded up; each says what was measured.
Resident growth runs ahead of ``tracemalloc`` here: the studies keep their runs in an
in-memory SQLite store, which ``tracemalloc`` does not see, and the sampled rounds of a model
fragment the small-object heap; the constants bound the resident growth. A process also pays
once, the first time it plays the game, for what it loads then (:data:`FIRST_USE_BYTES`, not
counted per model).
``benchmarks/bench_footprint.py`` prints measured peaks against these estimates.

References:
    Patra et al. (2026), Setting and Experiments (n providers, context dimension d, T rounds);
    ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

from market.rosa.model import DEFAULT_RECORD_POINTS, DEFAULT_TRACE_POINTS, TRAJECTORY_POINTS
from market.rosa.scenarios import BLOCK

#: Bytes of a float64.
FLOAT_BYTES = 8
#: One sampled round kept for "who serves which contexts" (round, provider served, best
#: provider, the context) and its share of every snapshot's service map (measured 450 + 40 d
#: bytes traced and 1,100 + 25 d resident per sampled round, d = 1 to 64).
TRACE_ROUND_BYTES = 1280
#: ... plus this per context dimension.
TRACE_DIM_BYTES = 48
#: One DataCollector cell (a float in a column list, its copy in each snapshot).
RECORD_CELL_BYTES = 48
#: DataCollector columns besides two per provider (step, queries, regret, regret per round,
#: user utility, clairvoyant utility, payments).
MARKET_COLUMNS = 7
#: A model's or a study's own overhead beyond what the sizes explain (measured 0.1-0.3 MB
#: traced for the smallest markets, warm).
MODEL_FIXED_BYTES = 1024**2
#: A study's own overhead: the experiment, its in-memory store and the curve (measured under
#: 1 MB for the smallest studies, warm).
STUDY_FIXED_BYTES = 2 * 1024**2
#: What a process pays once, the first time it builds and snapshots a model: the modules and
#: buffers used first then (pandas' and numpy's; measured 10-16 MB resident in a fresh
#: process); not counted per model.
FIRST_USE_BYTES = 16 * 1024**2
#: Per market of the truthfulness study, whatever batch it is played in: its configuration
#: and key, its stored rows (SQLite) and those read back, its coins, bids and outcomes
#: (measured 1.7 KB resident per market for n = 2, 3.8 KB for n = 5, about 9 KB for n = 20).
MARKET_BYTES = 1536
#: ... plus this per provider.
MARKET_PROVIDER_BYTES = 768
#: Per run of the regret study: the rows it stores and reads back, one per horizon and one
#: per trajectory point of the longest horizon (measured about 550 bytes a row).
REGRET_ROW_BYTES = 640


def learner_state_bytes(providers: int, dim: int) -> int:
    """One run's ridge state: ``V^{-1}`` and ``theta_hat`` of every provider.

    The same figure as :func:`market.rosa.engine.state_bytes` for one row.
    """
    return FLOAT_BYTES * providers * dim * (dim + 2)


def learner_peak_bytes(providers: int, dim: int) -> int:
    """One run's learner at its peak.

    The state, the rank-one update's ``(d, d, n)`` temporary and a round's ``(d, n)``
    temporaries (the spread, its product with the gain, the means).
    """
    return 2 * learner_state_bytes(providers, dim) + 6 * FLOAT_BYTES * providers * dim


def environment_block_bytes(providers: int, dim: int) -> int:
    """One environment's block of :data:`BLOCK` rounds and what is precomputed from it.

    Contexts, noise, priorities, true qualities and the clairvoyant auction's winners,
    payments and surplus, and the draws they come from (about ``4 d + 16 n`` floats per round;
    measured 190-440 KB per run of the regret study with its rows).
    """
    return BLOCK * FLOAT_BYTES * (4 * dim + 16 * providers)


def sampled_rounds(T: int) -> int:
    """The most rounds a model samples for its service map (``T // 2000`` apart, <= 4000)."""
    return min(T, 2 * DEFAULT_TRACE_POINTS)


def recorded_rows(T: int) -> int:
    """The most DataCollector rows a model records (``T // 500`` rounds apart, <= 1000)."""
    return min(T, 2 * DEFAULT_RECORD_POINTS) + 2


def model_bytes(providers: int, dim: int, T: int) -> int:
    """Peak memory of one RosaMarket built and played to the end, as the dashboard does.

    Estimates the ``tracemalloc`` peak and the resident-set growth of
    ``app.games.rosa.build_run`` then ``model.step()`` with a ``snapshot`` after every step
    (any rounds per step): the learner, one environment block, the sampled rounds, the
    DataCollector's rows and the fixed overhead. Beyond 4,000 rounds nothing grows with T,
    and a run samples 2,000 to 4,000 rounds; the estimate counts 4,000, so for long runs it is
    2.4-3 times the resident growth and up to 6.6 times the traced peak (resident growth is
    2-3 times the traced peak there).

    Args:
        providers: n.
        dim: the context dimension d.
        T: query rounds.

    Returns:
        Bytes, an upper estimate.
    """
    trace = sampled_rounds(T) * (TRACE_ROUND_BYTES + TRACE_DIM_BYTES * dim)
    records = recorded_rows(T) * (MARKET_COLUMNS + 2 * providers) * RECORD_CELL_BYTES
    return (
        MODEL_FIXED_BYTES
        + learner_peak_bytes(providers, dim)
        + environment_block_bytes(providers, dim)
        + trace
        + records
    )


def truthfulness_markets(bids: int, runs: int) -> int:
    """The most distinct markets the utility-against-bid study plays.

    Every run at every bid and at the true cost, with both outcomes of the provider's own
    ROSA flag; identical markets are played once, so usually fewer.
    """
    return 2 * runs * (bids + 1)


def truthfulness_bytes(providers: int, dim: int, bids: int, runs: int) -> int:
    """Peak memory of the utility-against-bid study (the ROSA page's ``truthfulness``).

    Estimates ``market.rosa.runs.truthfulness_curve(setting, seed, provider, bids, runs)``
    with no store (one process): every distinct market's bookkeeping, and the learners of the
    markets played in one batch, at most all of them (the engine sizes batches to about a
    second of work, at least 1,024 markets, so this is loose for large studies of many
    providers or dimensions). T does not matter: the markets share one environment, drawn a
    block at a time.

    Args:
        providers: n.
        dim: the context dimension d.
        bids: points on the bid grid.
        runs: draws of ROSA's coins.

    Returns:
        Bytes, an upper estimate (measured: 2.7-3.5 times the resident growth and 4.3-4.9
        times the traced peak for n = d = 5, 1,200 to 17,600 markets).
    """
    markets = truthfulness_markets(bids, runs)
    per_market = MARKET_BYTES + MARKET_PROVIDER_BYTES * providers
    return (
        STUDY_FIXED_BYTES
        + environment_block_bytes(providers, dim)
        + markets * (per_market + learner_peak_bytes(providers, dim))
    )


def regret_bytes(providers: int, dim: int, horizons: int, runs: int) -> int:
    """Peak memory of the regret-against-T study (the ROSA page's ``regret``).

    Estimates ``market.rosa.runs.regret_curve(setting, seed, horizons, runs)`` with no store
    (one process): the runs of one horizon are played as one batch, each with its own
    environment block and learner (horizons one after the other), and every run of every
    horizon keeps its rows (the longest horizon's at every trajectory point). T does not
    matter beyond the number of horizons: environments are drawn a block at a time.

    Args:
        providers: n.
        dim: the context dimension d.
        horizons: how many horizons T.
        runs: runs per horizon.

    Returns:
        Bytes, an upper estimate (measured: 1.6-2.3 times the resident growth, 2.2-3.4 times
        the traced peak, for 10 to 100 runs).
    """
    batch = runs * (environment_block_bytes(providers, dim) + learner_peak_bytes(providers, dim))
    rows = runs * (horizons + TRAJECTORY_POINTS) * REGRET_ROW_BYTES
    return STUDY_FIXED_BYTES + batch + rows


# ---- what a command line asks for: grids and the work -------------------------------------

#: A grid of N values while it is made: ``linspace``/``geomspace``, rounding and ``unique``
#: (a few float64 and int64 arrays of N at once).
GRID_POINT_BYTES = 32
#: One core's seconds per provider-round played in a vectorised batch (measured 4e-8 in the
#: truthfulness study, n = d = 5; the regret study's smaller batches take up to 1.5e-6).
ROUND_SECONDS = 5e-8
#: One cell of the monotonicity survey's bid rows while they are deduplicated: the rows, their
#: keyed copy and ``unique``'s sorted copy and inverse, per provider column.
SURVEY_CELL_BYTES = 4 * FLOAT_BYTES


def grid_bytes(points: int) -> int:
    """A grid of ``points`` values while it is made."""
    return GRID_POINT_BYTES * points


def monotonicity_bytes(providers: int, dim: int, instances: int, points: int, learners: int):
    """Peak memory of the monotonicity survey (``rosa monotonicity``), an upper estimate.

    Per learner and (instance, provider, grid point) cell: its bid row while it is
    deduplicated, its market's bookkeeping, and its share of the batches' learners and
    environment blocks (measured ``tracemalloc`` peaks, T = 200 to 20,000: 55-75 KB a cell
    for n = d = 5 at 10 instances x 11 points, falling to 11-22 KB at 40 x 41 as batches are
    capped; 223 KB for n = 10, d = 20; nothing grows with T beyond a block). The estimate
    counts a quarter of a block and eight learners a cell: 1.1-8 times those peaks.
    """
    cells = instances * providers * points
    per_cell = (
        SURVEY_CELL_BYTES * (providers + 1)
        + MARKET_BYTES
        + MARKET_PROVIDER_BYTES * providers
        + 8 * learner_peak_bytes(providers, dim)
        + environment_block_bytes(providers, dim) // 4
    )
    return STUDY_FIXED_BYTES + learners * cells * per_cell
