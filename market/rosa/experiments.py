"""The ROSA game's experiment kinds, for the experiment engine (:mod:`market.core`).

Two kinds:

* ``regret``: one run is run ``r`` of a market setting (its instance, environment and ROSA
  coins ``r`` of the root seed) with truthful bids, simulated by
  :func:`market.rosa.batches.simulate_runs` (runs of one setting in a chunk are simulated as
  one vectorised batch; each run's numbers do not depend on the batch). Its rows (table
  ``rosa_regret``) hold the cumulative regret, user utility and clairvoyant utility at the
  recorded rounds (the trajectory of the longest horizon) and at the horizon T. The regret
  curve (``rosa regret``) and ``llm-market experiment run`` grids are experiments of this kind.
* ``allocations``: one run is one distinct market played for its allocation only: a setting,
  an index ``k`` (the market plays instance ``k``'s qualities and environment ``k``'s
  contexts, noise and priorities) and the modified bid vector the learner sees (nobody
  flagged). Its rows (table ``rosa_allocations``, one per provider) hold the rounds served.
  The truthfulness curve and the monotonicity survey are experiments of this kind (the
  drivers in :mod:`market.rosa.runs` deduplicate the markets and assemble the rows back);
  the markets of one setting in a chunk are played as one vectorised batch
  (:func:`market.rosa.batches.market_allocations`: a market's counts do not depend on the
  batch). Its runs are made by those commands, not by grid files.

A grid file (:mod:`market.core.grids`) for the ``regret`` kind::

    game = "rosa"
    kind = "regret"
    seed = 42
    seeds = 10                               # runs per setting (run indices 0..9)
    [grid]
    learner = ["elimination", "linucb"]
    T = [1000, 10000]
    mu = [0.01, 0.1]                         # default: min(0.5, 1/sqrt(T))

References:
    Patra et al. (2026), Experiments; ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence

import numpy as np

from market.core.engine import Engine
from market.core.experiments import Experiment, ExperimentKind, RunList, execute, make_runs
from market.core.grids import GridFile, real, text, whole
from market.core.store import Column

GRID_PARAMETERS = ("preset", "learner", "mechanism", "T", "mu", "providers", "dim")
COLUMNS = (
    Column("preset", str),
    Column("learner", str),
    Column("mechanism", str),
    Column("T", int),
    Column("mu", float),
    Column("run", int),
    Column("seed", int),
    Column("round", int),
    Column("regret", float),
    Column("user_utility", float),
    Column("clairvoyant_utility", float),
    Column("surplus", float),
)
INDEX = {c.name: i for i, c in enumerate(COLUMNS)}


def setting_config(setting) -> dict:
    """A setting's fields as JSON-ready data (``mu`` as given: None follows T)."""
    return dataclasses.asdict(setting)


def regret_rows(setting, seed: int, run: int, tally, index: int) -> list[tuple]:
    """One run's rows: one per recorded round, and one at T (unless the last is T)."""
    head = (setting.name, setting.learner, setting.mechanism, setting.T, setting.resolved_mu)
    head = (*head, run, seed)
    rows = [
        (
            *head,
            point,
            tally.checkpoint_regret[k, index],
            tally.checkpoint_user_utility[k, index],
            tally.checkpoint_clairvoyant[k, index],
            tally.checkpoint_surplus[k, index],
        )
        for k, point in enumerate(tally.checkpoints)
    ]
    if not tally.checkpoints or tally.checkpoints[-1] != setting.T:
        final = (tally.regret[index], tally.user_utility[index], tally.clairvoyant_utility[index])
        rows.append((*head, setting.T, *final, math.nan))
    return rows


def compute_regret(context, runs) -> list[list[tuple]]:
    """Simulate each group of runs of one setting as one batch (top-level, so it pickles)."""
    from market.rosa.batches import simulate_runs
    from market.rosa.scenarios import RosaSetting

    groups: dict[str, list[int]] = {}
    for i, (config, _seed) in enumerate(runs):
        key = repr((config["setting"], config["checkpoints"]))
        groups.setdefault(key, []).append(i)
    rows: list = [None] * len(runs)
    for members in groups.values():
        config, seed = runs[members[0]]
        setting = RosaSetting(**config["setting"])
        indices = [runs[i][0]["run"] for i in members]
        tally = simulate_runs(setting, seed, indices, checkpoints=tuple(config["checkpoints"]))
        for j, i in enumerate(members):
            rows[i] = regret_rows(setting, seed, indices[j], tally, j)
    return rows


#: One core's seconds per provider-round of a regret run in a grid (``experiment run``, runs
#: of one setting simulated together), at the low end: measured 4.3e-7 to 4.9e-7 (n = 5,
#: T = 200 and 5,000).
REGRET_ROUND_SECONDS = 2e-7


def regret_run_seconds(config: dict) -> float:
    """One run's seconds on one core, at the low end: T rounds of n providers (grid pricing)."""
    setting = config["setting"]
    return REGRET_ROUND_SECONDS * setting["T"] * setting["providers"]


REGRET = ExperimentKind(
    name="regret",
    game="rosa",
    table="rosa_regret",
    columns=COLUMNS,
    compute=compute_regret,
    seconds_per_run=0.05,
    run_seconds=regret_run_seconds,
)
#: The kinds a grid file may name (``allocations`` runs are made by the commands).
KINDS = {REGRET.name: REGRET}


def regret_experiment(settings, seed: int, runs: int, checkpoints, spec: dict) -> Experiment:
    """Runs 0..runs-1 of each setting (checkpoints: each setting's recorded rounds).

    Made on demand (:class:`market.core.experiments.RunList`): a million runs cost nothing
    until the driver reaches them.
    """
    fields = [setting_config(setting) for setting in settings]
    marks = [list(m) for m in checkpoints]
    if len(marks) != len(fields):
        raise ValueError("one list of checkpoints per setting")

    def item(i: int) -> tuple:
        k, r = divmod(i, runs)
        return {"setting": fields[k], "run": r, "checkpoints": marks[k]}, seed, repr(fields[k])

    return Experiment(REGRET, spec, RunList(REGRET, len(fields) * runs, item), None)


def grid_experiment(grid: GridFile) -> Experiment:
    """The experiment of a ``rosa/regret`` grid file (``seeds`` is the runs per setting)."""
    from market.rosa.scenarios import get_setting

    presets = grid.values("preset", text, ["patra2026"])
    learners = grid.values("learner", text, [None])
    mechanisms = grid.values("mechanism", text, [None])
    Ts = grid.values("T", lambda v, w: whole(v, w), [None])
    mus = grid.values("mu", real, [None])
    providers = grid.values("providers", lambda v, w: whole(v, w), [None])
    dims = grid.values("dim", lambda v, w: whole(v, w), [None])
    grid.done(GRID_PARAMETERS)
    settings = []
    for preset, learner, mechanism, T, mu, n, d in itertools.product(
        presets, learners, mechanisms, Ts, mus, providers, dims
    ):
        changes = {"learner": learner, "mechanism": mechanism, "T": T, "mu": mu}
        changes.update(providers=n, dim=d)
        changes = {k: v for k, v in changes.items() if v is not None}
        settings.append(grid.checked("preset", get_setting, preset, **changes))
    spec = {"settings": [setting_config(s) for s in settings], "seed": grid.seed}
    spec["runs"] = grid.seeds
    return regret_experiment(settings, grid.seed, grid.seeds, [()] * len(settings), spec)


# ---- allocations: markets played for the rounds each provider serves -------------------------

ALLOCATION_COLUMNS = (
    Column("preset", str),
    Column("learner", str),
    Column("mechanism", str),
    Column("T", int),
    Column("seed", int),
    Column("environment", int),
    Column("provider", int),
    Column("bid", float),
    Column("served", int),
)
ALLOCATION_INDEX = {c.name: i for i, c in enumerate(ALLOCATION_COLUMNS)}
#: Markets per chunk at least: a batch costs about as much as 260 more markets whatever T is
#: (T rounds of Python per batch), so smaller chunks would spend most of their time on that.
MIN_MARKETS_PER_CHUNK = 1024


def allocation_rows(setting, seed: int, environment: int, bids, served) -> list[tuple]:
    """One market's rows: per provider (1-based), its modified bid and its rounds served."""
    head = (setting.name, setting.learner, setting.mechanism, setting.T, seed, environment)
    return [
        (*head, i + 1, float(bid), int(count))
        for i, (bid, count) in enumerate(zip(bids, served, strict=True))
    ]


def compute_allocations(context, runs) -> list[list[tuple]]:
    """Play the markets of each setting in the chunk as one batch (top-level, so it pickles)."""
    from market.rosa.batches import market_allocations
    from market.rosa.scenarios import RosaSetting

    groups: dict[str, list[int]] = {}
    for i, (config, seed) in enumerate(runs):
        groups.setdefault(repr((config["setting"], seed)), []).append(i)
    rows: list = [None] * len(runs)
    for members in groups.values():
        config, seed = runs[members[0]]
        setting = RosaSetting(**config["setting"])
        environments = np.array([runs[i][0]["environment"] for i in members], dtype=np.int64)
        bids = np.array([runs[i][0]["bids"] for i in members], dtype=float)
        served = market_allocations(setting, seed, environments, bids)
        for j, i in enumerate(members):
            rows[i] = allocation_rows(setting, seed, int(environments[j]), bids[j], served[j])
    return rows


ALLOCATIONS = ExperimentKind(
    name="allocations",
    game="rosa",
    table="rosa_allocations",
    columns=ALLOCATION_COLUMNS,
    compute=compute_allocations,
    seconds_per_run=0.002,
    min_chunk_runs=MIN_MARKETS_PER_CHUNK,
)


def allocations_experiment(markets: Sequence, seed: int, spec: dict) -> Experiment:
    """One run per market, in order (settings, then rows); chunks keep a setting together.

    ``markets``: blocks of distinct markets (:class:`market.rosa.batches.Markets`).
    """
    items = []
    for block in markets:
        fields = setting_config(block.setting)
        for environment, bids in zip(block.environments, block.bids, strict=True):
            config = {
                "setting": fields,
                "environment": int(environment),
                "bids": [float(b) for b in bids],
            }
            items.append((config, seed, repr(fields)))
    return Experiment(ALLOCATIONS, spec, make_runs(ALLOCATIONS, items), None)


def allocations(markets: Sequence, seed: int, spec: dict, engine: Engine | None = None) -> list:
    """Rounds served in every market: one ``(rows, n)`` integer array per block of markets.

    ``engine``: how and where runs are computed: see :class:`market.core.engine.Engine`.
    """
    experiment = allocations_experiment(markets, seed, spec)
    outcome = execute(experiment, engine=engine)
    per_run = outcome.rows_by_position()
    column = ALLOCATION_INDEX["served"]
    served, start = [], 0
    for block in markets:
        rows = per_run[start : start + len(block.bids)]
        served.append(np.array([[row[column] for row in run] for run in rows], dtype=np.int64))
        start += len(block.bids)
    return served
