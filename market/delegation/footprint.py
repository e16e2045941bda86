"""Memory footprints of the delegation game: upper estimates made before anything is allocated.

Pure functions of the sizes a user controls, for a memory budget that reserves bytes before a
model is built or a payoff table computed (the dashboard's). Each returns an upper estimate, in
bytes, of the peak additional memory (numpy arrays and Python objects) of that work, fixed
overhead included, and never decreases when a size grows.

The constants are measurements (``tracemalloc`` peaks and resident-set growth, Python 3.12,
numpy 2, Mesa 3.5, on the 2-core reference machine), rounded up; each says what was measured.
``benchmarks/bench_footprint.py`` prints measured peaks against these estimates.

A process also pays once, the first time it plays the game, for what it loads then
(:data:`FIRST_USE_BYTES`, not counted per model). Two things outlive the work they belong to,
and the budget should know them:

- the per-process caches of :mod:`market.delegation.model` keep the last few seeds' query ids
  and one seed's shared running sums after the models are gone (:func:`process_cache_bytes`);
- a finished :class:`~market.delegation.model.DelegationMarket` is freed by the cyclic garbage
  collector, not at once (the model and its agents refer to each other). While the payoff
  table is computed, every seed's running sums may therefore still be alive when the next
  seed starts: :func:`payoff_table_bytes` counts them all (measured: T = 1e5, 3 seeds, 63 MB
  peak, 25 MB with a ``gc.collect()`` after each run).

References:
    Cao et al. (2026), Sections 4 and 6 (T queries, K providers, the 6^K-profile sweep).
"""

from __future__ import annotations

from agents.delegation.sums import BUDGET_BYTES, SHARED_LENGTH
from market.core.pricing import PROCESS_BYTES
from market.delegation.model import seeded_query_stream

#: A query id ``w_t`` is one int64.
QUERY_ID_BYTES = 8
#: Drawing the query ids: the authors' artifact draws ``randint(0, T) mod Q``, two (T,) int64
#: arrays at once (measured 16.02 bytes per query, cao2026, T = 1e6; 8.5 under Mechanism 1).
DRAW_BYTES_PER_QUERY = 16
#: Serving k queries in one step: gathered rewards and lengths, billed lengths, running sums
#: and the validation check's positions and means (measured 72-76 bytes per query of the step
#: under Mechanism 1 as printed, T = 1e6, batches of 3e4 to 3e5; 61 for the whole horizon).
SERVE_BYTES_PER_QUERY = 80
#: Each provider's DataCollector columns (utility, delivered utility, delegations; about 500
#: rows), its snapshot copies and its delegations (measured about 100 KB per provider, K = 2
#: to 5, T = 1e5).
PROVIDER_BYTES = 192 * 1024
#: A model's own overhead: the economy, agents, mechanism, DataCollector and snapshot, and what
#: only a full garbage collection returns after stepping one query per step with a snapshot
#: after each (measured 0.2-0.4 MB warm, up to 1.5 MB more at ``batch = 1``).
MODEL_FIXED_BYTES = 2 * 1024**2
#: What a process pays once, the first time it builds and plays a model: the response table
#: and the modules and buffers used first then (measured 1.6 MB traced, 2.3-3.2 MB resident in
#: a fresh process); not counted per model.
FIRST_USE_BYTES = 4 * 1024**2
#: Per profile run of the payoff table: its configuration, key, stored rows (in-memory SQLite,
#: which ``tracemalloc`` does not see), the result rows read back, the tidy frame, the graph
#: and the basins (measured 7-9 KB traced and 9-13 KB resident per run, K = 3 and 4).
RUN_BYTES = 12 * 1024
#: ... plus this per provider and run.
RUN_PROVIDER_BYTES = 2 * 1024
#: The shared running sums of one seed grow with T and with the number of distinct long
#: segments, which grows with K (measured 445 bytes per query for K = 3 under Mechanism 1 as
#: printed, 190 under the artifact's rules; capped by the sums' budget).
SUMS_BYTES_PER_QUERY_PER_PROVIDER = 160
#: Base strategies each provider may play in the payoff table (Table 1 of the paper).
BASE_STRATEGIES = 6


def query_stream_bytes(T: int) -> int:
    """The seed's query ids while they are drawn and kept (held by the model and its cache)."""
    return DRAW_BYTES_PER_QUERY * T


def serving_bytes(T: int, batch: int | None) -> int:
    """Temporaries of one step of ``batch`` queries (None: the whole horizon in one step)."""
    served = T if batch is None else min(batch, T)
    return SERVE_BYTES_PER_QUERY * served


def model_bytes(T: int, providers: int, batch: int | None = None) -> int:
    """Peak memory of one DelegationMarket built and played to the end, as the dashboard does.

    Estimates the ``tracemalloc`` peak and the resident-set growth of
    ``app.games.delegation.build_run`` then ``model.step()`` with a ``snapshot`` after every
    step until the run ends: the query ids (drawn once, ``QUERY_ID_BYTES`` each), one step's
    serving temporaries, each provider's records and the model's fixed overhead. Checked by
    ``tests/test_footprint.py`` against measured peaks.

    Args:
        T: total queries.
        providers: K, the number of providers.
        batch: queries per step ("queries per step" on the page); None plays the whole horizon
            in one step.

    Returns:
        Bytes, an upper estimate (1.1-2.7 times the measured peak for T = 1e6 and 5e6).
    """
    return (
        MODEL_FIXED_BYTES
        + query_stream_bytes(T)
        + serving_bytes(T, batch)
        + PROVIDER_BYTES * providers
    )


def shared_sums_bytes(T: int, providers: int) -> int:
    """One seed's shared running sums (none below :data:`SHARED_LENGTH` queries).

    Capped by their budget plus the newest entry, a pair of T-long arrays added before the
    oldest are dropped. Loose just above :data:`SHARED_LENGTH`, where few segments are long
    enough to share (T = 6e4: 2 seeds measured 4.8 MB in all, estimated 29 MB each).
    """
    if T < SHARED_LENGTH:
        return 0
    uncapped = SUMS_BYTES_PER_QUERY_PER_PROVIDER * providers * T
    return min(uncapped, BUDGET_BYTES + 2 * QUERY_ID_BYTES * T)


def payoff_table_bytes(
    T: int, seeds: int, providers: int, strategies: int = BASE_STRATEGIES
) -> int:
    """Peak memory of the metagame's payoff table, graph, sinks and basins.

    Estimates ``market.delegation.empirical.metagame(preset, T=T, seeds=seeds,
    check_theorem=False, use_store=False)`` as ``app.games.metagame.empirical_game`` calls it
    (one process): ``strategies ** providers`` profiles times ``seeds`` runs, each the model
    played in one step. Per seed its query ids and its shared running sums, all of which may
    be alive at once (see the module docstring); once, the draw and one step's temporaries;
    per run its bookkeeping.

    Args:
        T: queries per play.
        seeds: replicate seeds.
        providers: K.
        strategies: base strategies per provider (6).

    Returns:
        Bytes, an upper estimate (1.3 times the measured peak at T = 1e6 with 2 seeds).
    """
    runs = strategies**providers * seeds
    per_seed = QUERY_ID_BYTES * T + shared_sums_bytes(T, providers)
    per_run = RUN_BYTES + RUN_PROVIDER_BYTES * providers
    return (
        MODEL_FIXED_BYTES
        + query_stream_bytes(T)
        + serving_bytes(T, None)
        + seeds * per_seed
        + runs * per_run
    )


def process_cache_bytes(T: int) -> int:
    """What the per-process caches may keep after the work is done, for horizons up to ``T``.

    The query ids of the last few seeds (``seeded_query_stream``'s cache) and one seed's shared
    running sums (:data:`agents.delegation.sums.BUDGET_BYTES` plus the newest entry). A budget
    reserves this once per process rather than per model.
    """
    streams = seeded_query_stream.cache_parameters()["maxsize"]
    return streams * QUERY_ID_BYTES * T + BUDGET_BYTES + 2 * QUERY_ID_BYTES * T


# ---- what a command line asks for: the driver's bookkeeping and the work ------------------

#: Per run of an experiment, in the driver: its configuration, key and item (measured 854
#: bytes per run for 1e5 runs of ``profiles_experiment``), the row read back and its share of
#: the tidy table.
DRIVER_RUN_BYTES = 4 * 1024
#: Per replicate seed: the seed list and its spawned sequences (measured 408 bytes a seed).
SEED_BYTES = 512
#: One core's seconds per query served (measured 2e-8 in the Figure 2 sweep with its shared
#: running sums, 1e-7 for lone runs of "ours"; the lower figure, so that only work that is
#: surely too long is refused).
QUERY_SECONDS = 2e-8
#: A run's configuration listed by a grid before it is run (a dict of six entries and its
#: strategy profile), measured about 1.1 KB.
CONFIG_BYTES = 1024


def worker_bytes(T: int, providers: int) -> int:
    """One worker process playing runs of horizon ``T`` one after the other.

    The process itself, the model played in one step, its seed's shared running sums and the
    per-process caches.
    """
    model = model_bytes(T, providers) + shared_sums_bytes(T, providers)
    return PROCESS_BYTES + model + process_cache_bytes(T)


def runs_bytes(runs: int, seeds: int, T: int, providers: int, workers: int) -> int:
    """Peak memory of ``runs`` runs of horizon up to ``T`` on ``workers`` processes.

    The driver's bookkeeping of every run and seed, and each worker's model and caches.
    """
    return (
        FIRST_USE_BYTES
        + DRIVER_RUN_BYTES * runs
        + SEED_BYTES * seeds
        + max(1, workers) * worker_bytes(T, providers)
    )


def queries_seconds(queries: float) -> float:
    """One core's seconds to serve ``queries`` queries in all."""
    return QUERY_SECONDS * queries
