"""The delegation game's experiment kinds, for the experiment engine (:mod:`market.core`).

- ``profiles``: one run is one strategy profile of one scenario at one (T, eps, mechanism) and
  one seed, computed by :func:`market.delegation.runs.run_profile` (the Mesa model, never a
  second simulator). Its tidy rows (table ``delegation_profiles``) have one row per provider.
  The strategy sweep (Figures 2-3), the horizon sweep (Figure 4), the metagame's payoff table
  and ``llm-market experiment run`` grids (:func:`grid_experiment`) are all experiments
  of this kind, so a run stored by one is found by the others.
- ``deviations``: one run is one provider's exploitation choice (a menu model and a length
  report, :class:`agents.delegation.families.ExploitationDeviation`, or "ours") against "ours"
  by everyone else, at one seed: the points of the continuous Theorem 5.2 check
  (:mod:`market.delegation.theorem`). One row (table ``delegation_deviations``): the deviating
  provider's utility and what the validation check's slack is read from (T_R, threshold, u').
  Made by the metagame command, not by grid files.

A grid file (:mod:`market.core.grids`) for the ``profiles`` kind::

    game = "delegation"
    kind = "profiles"
    seed = 42
    seeds = 2
    [grid]
    preset = "cao2026"                    # preset names or TOML files
    T = [100000, 1000000]                 # default: the scenario's
    eps = [0.25, 0.3]                     # default: the scenario's
    mechanism = ["second-best-artifact", "explore-then-commit"]  # default: the scenario's
    strategies = ["ours", "honest"]       # each provider's choices (default: the six)

Every strategy profile over ``strategies`` x T x eps x mechanism x replicate seeds.

References:
    Cao et al. (2026), Section 6.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from pathlib import Path

from agents.delegation.strategies import paper_strategy_names
from market.core.datafiles import DataFile
from market.core.experiments import (
    Experiment,
    ExperimentKind,
    RunList,
    digest,
    make_runs,
    product_runs,
)
from market.core.grids import GridFile, real, text
from market.core.seeds import ReplicateSeeds
from market.core.store import Column
from market.delegation.model import prepare
from market.delegation.pricing import grid_horizon, price_grid
from market.delegation.tables import strategy_profiles

PROFILE_SEPARATOR = "|"
GRID_PARAMETERS = ("preset", "T", "eps", "mechanism", "strategies")
COLUMNS = (
    Column("preset", str),
    Column("T", int),
    Column("eps", float),
    Column("mechanism", str),
    Column("profile", str),
    Column("seed", int),
    Column("provider", int),
    Column("strategy", str),
    Column("provider_utility", float),
    Column("user_utility", float),
    Column("delegations", int),
    Column("run_user_utility", float),
    Column("queries_used", int),
    Column("validated", bool),
    Column("chosen", int),
)
INDEX = {c.name: i for i, c in enumerate(COLUMNS)}


def data_stamp(data: str | DataFile | None) -> list:
    """The records' identity, for run keys: ``["shipped"]`` for ours.

    A file's path, size and modification time; a file held in memory: its name, size and
    SHA-256 (so the same upload finds its stored runs again).
    """
    if data is None:
        return ["shipped"]
    if isinstance(data, DataFile):
        return ["in memory", data.name, len(data.content), data.digest()]
    stat = Path(data).stat()
    return [str(Path(data).resolve()), stat.st_size, stat.st_mtime_ns]


def scenario_fields(scenario) -> dict:
    """Everything that determines a scenario's runs, as JSON-ready data (not its text)."""
    fields = {f.name: getattr(scenario, f.name) for f in dataclasses.fields(scenario)}
    fields["prices"] = dict(sorted(scenario.prices.items()))
    fields["providers"] = [[p.name, list(p.models)] for p in scenario.providers]
    fields["data"] = data_stamp(scenario.data)
    fields.pop("description")
    return fields


def scenario_id(scenario) -> str:
    """A short hash of :func:`scenario_fields` without T, eps and mechanism (run parameters)."""
    fields = scenario_fields(scenario)
    for name in ("T", "eps", "mechanism"):
        fields.pop(name)
    return digest(fields)[:16]


def profile_rows(config: dict, seed: int, result) -> list[tuple]:
    """The rows of one finished run: one per provider, in :data:`COLUMNS` order."""
    label = PROFILE_SEPARATOR.join(config["strategies"])
    chosen = result.chosen  # numbered from 1
    return [
        (
            config["preset"],
            config["T"],
            config["eps"],
            config["mechanism"],
            label,
            seed,
            k,
            p.strategy,
            p.provider_utility,
            p.user_utility,
            p.delegations,
            result.user_utility,
            result.queries_used,
            result.validated,
            chosen,
        )
        for k, p in enumerate(result.providers, start=1)
    ]


def compute_profiles(context: dict, runs) -> list[list[tuple]]:
    """Run each ``(config, seed)``: the Mesa model played to the end in one step.

    Exactly :func:`market.delegation.runs.run_profile` (which the runs layer's sweeps call
    through this kind), with the seed's running sums shared between runs (``share_sums``,
    bit-identical results). ``context`` maps scenario ids to resolved scenarios. Top-level, so it
    pickles.
    """
    from market.delegation.model import DelegationMarket

    rows = []
    for config, seed in runs:
        model = DelegationMarket(
            context[config["scenario"]],
            strategies=tuple(config["strategies"]),
            T=config["T"],
            eps=config["eps"],
            mechanism=config["mechanism"],
            rng=seed,
            record_points=1,
            share_sums=True,
        )
        rows.append(profile_rows(config, seed, model.run()))
    return rows


def run_seconds(config: dict) -> float:
    """One run's seconds on one core, at the low end: T queries (for pricing a grid)."""
    from market.delegation.footprint import queries_seconds  # imports the model: lazily

    return queries_seconds(config["T"])


PROFILES = ExperimentKind(
    name="profiles",
    game="delegation",
    table="delegation_profiles",
    columns=COLUMNS,
    compute=compute_profiles,
    seconds_per_run=0.005,
    run_seconds=run_seconds,
)
#: The kinds a grid file may name (``deviations`` runs are made by the Theorem 5.2 check).
KINDS = {PROFILES.name: PROFILES}


def profile_config(scenario, key: str, T: int, eps: float, mechanism: str, strategies) -> dict:
    """A run's configuration (``key``: the scenario's id; T, eps and mechanism resolved)."""
    return {
        "preset": scenario.name,
        "scenario": key,
        "T": int(T),
        "eps": float(eps),
        "mechanism": mechanism,
        "strategies": list(strategies),
    }


def profiles_experiment(scenario, runs: Sequence[tuple], spec: dict) -> Experiment:
    """An experiment of ``(T, eps, mechanism, profile, seed)`` runs of one resolved scenario."""
    key = scenario_id(scenario)

    def item(i: int) -> tuple:
        T, eps, mechanism, profile, seed = runs[i]
        return profile_config(scenario, key, T, eps, mechanism, profile), seed, (T, seed)

    full_spec = {"scenario": scenario_fields(scenario), **spec}
    context = {key: scenario}
    return Experiment(PROFILES, full_spec, RunList(PROFILES, len(runs), item), context)


# ---- deviations: the Theorem 5.2 search ------------------------------------------------------


def grid_experiment(grid: GridFile) -> Experiment:
    """The experiment of a ``delegation/profiles`` grid file (every combination x seeds)."""
    presets = grid.values("preset", text, None)
    Ts = grid.values("T", grid_horizon, [None])
    epss = grid.values("eps", real, [None])
    mechanisms = grid.values("mechanism", text, [None])
    strategies = grid.values("strategies", text, list(paper_strategy_names()))
    grid.done(GRID_PARAMETERS)
    price_grid(grid, presets, Ts, len(epss) * len(mechanisms), len(strategies))
    seeds = ReplicateSeeds(grid.seed, grid.seeds)
    configs, context = [], {}
    for preset, T, eps, mechanism in itertools.product(presets, Ts, epss, mechanisms):
        resolved, model = grid.checked(
            "preset, T, eps, mechanism", prepare, preset, T, eps, mechanism, grid.seed
        )
        key = scenario_id(resolved)
        context[key] = resolved
        name = model.platform.mechanism.name
        profiles = grid.checked("strategies", strategy_profiles, len(model.providers), strategies)
        for profile in profiles:
            configs.append(profile_config(resolved, key, resolved.T, resolved.eps, name, profile))
    spec = {
        "presets": [context[k].name for k in context],
        "scenarios": {k: scenario_fields(s) for k, s in context.items()},
        "T": Ts,
        "eps": epss,
        "mechanism": mechanisms,
        "strategies": strategies,
        "seed": grid.seed,
        "seeds": grid.seeds,
    }
    runs = product_runs(PROFILES, configs, seeds, group=horizon_and_seed)
    return Experiment(PROFILES, spec, runs, context)


def horizon_and_seed(config: dict, seed: int) -> tuple:
    """A run's chunk group: its T and seed (runs of one seed share the running sums)."""
    return config["T"], seed


DEVIATION_COLUMNS = (
    Column("preset", str),
    Column("T", int),
    Column("eps", float),
    Column("mechanism", str),
    Column("seed", int),
    Column("provider", int),
    Column("model", int),
    Column("report", str),
    Column("amount", int),
    Column("provider_utility", float),
    Column("T_R", int),
    Column("threshold", float),
    Column("u_prime", float),
)
DEVIATION_INDEX = {c.name: i for i, c in enumerate(DEVIATION_COLUMNS)}
OURS = "ours"


def deviation_of(config: dict):
    """The deviating provider's strategy: "ours", or the run's exploitation deviation."""
    from agents.delegation.actions import LengthReport
    from agents.delegation.families import ExploitationDeviation

    if config["model"] is None:
        return OURS
    return ExploitationDeviation(config["model"], LengthReport(config["report"], config["amount"]))


def deviation_row(config: dict, seed: int, result) -> tuple:
    """A finished deviation run's row, in :data:`DEVIATION_COLUMNS` order."""
    k = config["provider"]
    return (
        config["preset"],
        config["T"],
        config["eps"],
        config["mechanism"],
        seed,
        k + 1,
        config["model"],
        config["report"],
        config["amount"],
        result.providers[k].provider_utility,
        result.T_R,
        result.threshold,
        result.u_prime,
    )


def compute_deviations(context: dict, runs) -> list[list[tuple]]:
    """Run each ``(config, seed)``: provider k deviates, everyone else plays "ours" (top-level).

    The same Mesa model as :func:`compute_profiles`, with a strategy object for provider k.
    """
    from market.delegation.model import DelegationMarket

    rows = []
    for config, seed in runs:
        scenario = context[config["scenario"]]
        profile = [OURS] * len(scenario.providers)
        profile[config["provider"]] = deviation_of(config)
        model = DelegationMarket(
            scenario,
            strategies=tuple(profile),
            T=config["T"],
            eps=config["eps"],
            mechanism=config["mechanism"],
            rng=seed,
            record_points=1,
            share_sums=True,
        )
        rows.append([deviation_row(config, seed, model.run())])
    return rows


DEVIATIONS = ExperimentKind(
    name="deviations",
    game="delegation",
    table="delegation_deviations",
    columns=DEVIATION_COLUMNS,
    compute=compute_deviations,
    seconds_per_run=0.005,
    run_seconds=run_seconds,
)


def deviation_config(base: dict, provider: int, candidate) -> dict:
    """A deviation run's configuration: ``base`` (scenario id, T, eps, mechanism) and a choice.

    ``candidate`` is "ours" or an exploitation deviation (``model``, ``report.mode`` and
    ``report.amount``).
    """
    chosen = {"model": None, "report": OURS, "amount": None}
    if candidate != OURS:
        chosen = {
            "model": int(candidate.model),
            "report": candidate.report.mode,
            "amount": int(candidate.report.amount),
        }
    return {**base, "provider": int(provider), **chosen}


def deviations_experiment(scenario, provider: int, candidates, seeds, T, eps, mechanism, spec):
    """Every candidate at every seed (candidate-major) for ``provider`` of a resolved scenario."""
    key = scenario_id(scenario)
    base = {"preset": scenario.name, "scenario": key, "T": int(T), "eps": float(eps)}
    base["mechanism"] = mechanism
    items = [
        (deviation_config(base, provider, candidate), seed, (int(T), seed))
        for candidate in candidates
        for seed in seeds
    ]
    full_spec = {"scenario": scenario_fields(scenario), **spec}
    return Experiment(DEVIATIONS, full_spec, make_runs(DEVIATIONS, items), {key: scenario})
