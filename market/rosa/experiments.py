"""The ROSA game's experiment kinds, for the experiment engine (:mod:`market.core`).

One kind, ``regret``: one run is run ``r`` of a market setting (its instance, environment and
ROSA coins ``r`` of the root seed) with truthful bids, simulated by
:func:`market.rosa.batches.simulate_runs` (runs of one setting in a chunk are simulated as one
vectorised batch; each run's numbers do not depend on the batch). Its rows (table
``rosa_regret``) hold the cumulative regret, user utility and clairvoyant utility at the
recorded rounds (the trajectory of the longest horizon) and at the horizon T. The regret
curve (``rosa regret``) and ``llm-market experiment run`` grids are experiments of this kind.

A grid file (:mod:`market.core.grids`) for this kind::

    game = "rosa"
    kind = "regret"
    seed = 42
    seeds = 10                               # runs per setting (run indices 0..9)
    [grid]
    learner = ["elimination", "linucb"]
    T = [1000, 10000]
    mu = [0.01, 0.1]                         # default: min(0.5, 1/sqrt(T))

References:
    Patra et al. (2026), Experiments; ``shared/specs/rosa.md``. Reconstructed.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

from market.core.experiments import Experiment, ExperimentKind, make_runs
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


REGRET = ExperimentKind(
    name="regret",
    game="rosa",
    table="rosa_regret",
    columns=COLUMNS,
    compute=compute_regret,
    seconds_per_run=0.05,
)
KINDS = {REGRET.name: REGRET}


def regret_experiment(settings, seed: int, runs: int, checkpoints, spec: dict) -> Experiment:
    """Runs 0..runs-1 of each setting (checkpoints: each setting's recorded rounds)."""
    items = []
    for setting, marks in zip(settings, checkpoints, strict=True):
        fields = setting_config(setting)
        for r in range(runs):
            config = {"setting": fields, "run": r, "checkpoints": list(marks)}
            items.append((config, seed, repr(fields)))
    return Experiment(REGRET, spec, make_runs(REGRET, items), None)


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
