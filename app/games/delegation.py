"""Adapter between the delegation game and its dashboard page.

Everything the page needs from :mod:`market.delegation`, :mod:`agents.delegation` and
:mod:`mechanisms.delegation` goes through this module: the page's settings (a frozen record
that round-trips through the URL), building the Mesa model, a log of who served which queries
and how, and per-step snapshots the plots read (never the live model, which the play loop keeps
stepping).

The platform records who served which queries and how
(:meth:`agents.delegation.agents.PlatformAgent.served_so_far`); this module only names the kinds
of service for the timeline and copies snapshots.

References:
    Cao et al. (2026), Sections 3-4, Mechanism 1; ``docs/delegation-variant.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from agents.delegation.strategies import STRATEGIES
from app.capacity import Demand, server
from app.files import Uploads, is_upload, records_resolver, served_names, user_file
from market.core.errors import UserInputError
from market.core.seeds import model_seed
from market.core.values import count, number
from market.delegation import footprint
from market.delegation.model import DelegationMarket, release_process_caches
from market.delegation.scenarios import SCENARIOS, scenario_from_data_file
from market.delegation.spec import DelegationScenario
from mechanisms.delegation import MECHANISMS

#: The service categories of the timeline, with their colours.
SERVICE_COLOURS = {
    "honest": "#009E73",
    "cheaper model": "#E69F00",
    "inflated length": "#D55E00",
    "cheaper model + inflated length": "#CC0000",
}
DEFAULT_BATCH = 10_000


@dataclass(frozen=True)
class DelegationSettings:
    """What the delegation page asks for; every field is a URL query parameter.

    Attributes:
        preset: a preset name, a scenario TOML of the server's data folder, or
            ``upload:NAME`` (a file uploaded in the tab); never a path (:mod:`app.files`).
        strategies: one strategy name per provider ("" entries: ``ours``).
        mechanism: a mechanism name ("" = the scenario's own).
        T: total queries ("" = the scenario's).
        eps: the mechanism's epsilon ("" = the scenario's).
        seed: the root seed.
        batch: queries per step.
    """

    preset: str = "cao2026-paper"
    strategies: tuple[str, ...] = ("ours", "ours", "ours")
    mechanism: str = ""
    T: str = ""
    eps: str = ""
    seed: str = "42"
    batch: str = str(DEFAULT_BATCH)

    def to_query(self) -> dict[str, str]:
        """The URL query parameters (strategies comma-separated)."""
        return {
            "preset": self.preset,
            "strategies": ",".join(self.strategies),
            "mechanism": self.mechanism,
            "T": self.T,
            "eps": self.eps,
            "seed": self.seed,
            "batch": self.batch,
        }

    @classmethod
    def from_query(cls, query: dict[str, str]) -> DelegationSettings:
        """Settings from URL query parameters; missing ones keep their defaults."""
        known = {k: str(v) for k, v in query.items() if k in cls.__dataclass_fields__}
        if "strategies" in known:
            known["strategies"] = tuple(s.strip() for s in known["strategies"].split(",") if s)
        return replace(cls(), **known)


def preset_names() -> list[str]:
    """The shipped presets."""
    return SCENARIOS.names()


def strategy_names() -> list[str]:
    """Every registered provider strategy (Table 1 of the paper)."""
    return STRATEGIES.names()


def mechanism_choices() -> list[tuple[str, str]]:
    """(name, plain label) of every registered mechanism."""
    return [(m.name, f"{m.name}: {m.description}") for m in MECHANISMS]


def scenario_files() -> list[str]:
    """The scenario TOML files the server's data folder offers (none without ``--data-dir``)."""
    return served_names((".toml",))


def load_scenario(choice: str, uploads: Uploads | None = None) -> DelegationScenario:
    """A preset, or the scenario a setting names: an upload or a file of the data folder.

    Never a server path (:mod:`app.files`); a mistake in a file is one line without the
    file's values. The records the scenario names are read and checked here too.
    """
    uploads = uploads or Uploads()
    if choice in SCENARIOS:
        return SCENARIOS.get(choice, field="scenario")
    if not is_upload(choice) and choice not in scenario_files():
        offered = ", ".join([*preset_names(), *scenario_files()])
        raise UserInputError(
            "scenario", f"one of {offered}, or a TOML file uploaded on this page", choice
        )
    file = user_file(choice, uploads, "scenario")
    try:
        scenario = scenario_from_data_file(file, records_resolver(choice, uploads))
        scenario.table()
    except UserInputError as error:
        raise error.redacted() from None
    return scenario


def provider_names(preset: str, uploads: Uploads | None = None) -> list[str]:
    """The providers of a preset or scenario file (raises UserInputError for a bad one)."""
    return [p.name for p in load_scenario(preset, uploads).providers]


def fit_strategies(strategies: tuple[str, ...], n: int) -> tuple[str, ...]:
    """Exactly ``n`` strategy names: extra ones dropped, missing ones ``ours``."""
    names = tuple(s or "ours" for s in strategies[:n])
    return names + ("ours",) * (n - len(names))


def model_arguments(settings: DelegationSettings, uploads: Uploads | None = None) -> dict:
    """Checked keyword arguments of :class:`DelegationMarket` (UserInputError naming a field)."""
    scenario = load_scenario(settings.preset, uploads)
    n = len(scenario.providers)
    return {
        "preset": scenario,
        "strategies": ",".join(fit_strategies(settings.strategies, n)),
        "mechanism": settings.mechanism or None,
        "T": count(settings.T, "T") if settings.T.strip() else None,
        "eps": number(settings.eps, "eps") if settings.eps.strip() else None,
        "batch": count(settings.batch, "queries per step"),
        "rng": model_seed(settings.seed.strip()),
    }


@dataclass(frozen=True)
class Served:
    """One delegation as served: who, in which phase, which queries, and how.

    Attributes:
        phase: the mechanism's phase.
        provider: the provider's number, from 1.
        start: queries delegated before it (0-based first query).
        end: queries delegated after it.
        service: one of :data:`SERVICE_COLOURS`.
        stopped_early: the validation check stopped it.
    """

    phase: str
    provider: int
    start: int
    end: int
    service: str
    stopped_early: bool = False


def service_kind(cheaper_model: bool, inflated_length: bool) -> str:
    """How a provider served: honestly, with a cheaper model, an inflated length, or both."""
    if cheaper_model and inflated_length:
        return "cheaper model + inflated length"
    if cheaper_model:
        return "cheaper model"
    return "inflated length" if inflated_length else "honest"


def labelled(record) -> Served:
    """A platform's :class:`~agents.delegation.segments.ServedDelegation` with its kind named."""
    return Served(
        phase=record.phase,
        provider=record.provider,
        start=record.start,
        end=record.end,
        service=service_kind(record.cheaper_model, record.inflated_length),
        stopped_early=record.stopped_early,
    )


@dataclass
class DelegationRun:
    """The model of one browser tab."""

    model: DelegationMarket

    def served(self) -> tuple[Served, ...]:
        """Every delegation served so far, labelled for the timeline."""
        return tuple(labelled(r) for r in self.model.platform.served_so_far())


#: Horizons up to this are left in the process's caches; a larger run's are cleared when it ends.
CACHED_T = 1_000_000


def memory_demand(settings: DelegationSettings, uploads: Uploads | None = None) -> Demand:
    """The memory the run will hold at its peak (:func:`footprint.model_bytes`), sized by T.

    The first call also holds, for the life of the server, what the game's per-process caches
    may keep of runs up to :data:`CACHED_T` (:func:`footprint.process_cache_bytes`).
    """
    server().hold_once("delegation caches", Demand(footprint.process_cache_bytes(CACHED_T)))
    scenario = load_scenario(settings.preset, uploads)
    T = count(settings.T, "T") if settings.T.strip() else scenario.T
    batch = count(settings.batch, "queries per step")
    K = len(scenario.providers)
    return Demand(
        footprint.model_bytes(T, K, batch),
        "T",
        settings.T or str(T),
        lambda t: footprint.model_bytes(t, K, batch),
        upper=T,
    )


def release_caches(run: DelegationRun) -> None:
    """When a tab drops its run: clear the process's caches if its T is above :data:`CACHED_T`."""
    if run.model.platform.T > CACHED_T:
        release_process_caches()


def build_run(settings: DelegationSettings, uploads: Uploads | None = None) -> DelegationRun:
    """The model the settings describe (UserInputError for any bad value)."""
    return DelegationRun(DelegationMarket(**model_arguments(settings, uploads)))


@dataclass(frozen=True)
class MechanismNumbers:
    """The mechanism's live numbers (Mechanism 1's notation)."""

    name: str
    source: str
    B: int
    M: float
    T_R: int | None
    threshold: float | None
    u_prime: float | None
    chosen: str | None
    validated: bool | None
    queries_used: int
    queries_unused: int


@dataclass(frozen=True)
class DelegationFrame:
    """A snapshot of a run after a step: everything the page's plots and numbers read.

    Attributes:
        steps: model steps so far.
        running: whether the run can go on.
        T: the horizon.
        phase: the current phase.
        providers: provider names.
        strategies: their strategy names.
        series: DataCollector columns (bounded rows, copied) by name.
        served: the delegations served so far.
        phase_starts: (first query, phase) of every phase begun.
        u_sb: the second-best user utility for T queries.
        u_fb: the first-best user utility for T queries.
        numbers: the mechanism's live numbers.
        seed: the run's root seed.
        scenario: the scenario's name.
        notes: data notes.
    """

    steps: int
    running: bool
    T: int
    phase: str
    providers: tuple[str, ...]
    strategies: tuple[str, ...]
    series: dict[str, np.ndarray] = field(repr=False)
    served: tuple[Served, ...]
    phase_starts: tuple[tuple[int, str], ...]
    u_sb: float
    u_fb: float
    numbers: MechanismNumbers
    seed: int
    scenario: str
    notes: tuple[str, ...] = ()


def phase_starts(served: tuple[Served, ...]) -> tuple[tuple[int, str], ...]:
    """Where each phase began, from the served delegations."""
    starts: dict[str, int] = {}
    for s in served:
        starts.setdefault(s.phase, s.start)
    return tuple((start, phase) for phase, start in starts.items())


def mechanism_numbers(model: DelegationMarket) -> MechanismNumbers:
    """B, M, T_R, threshold, u', i*, validated and the queries used and unused."""
    platform = model.platform
    mechanism, state = platform.mechanism, platform.mechanism.state
    chosen = None if state.chosen is None else model.providers[state.chosen].name
    return MechanismNumbers(
        name=mechanism.name,
        source=mechanism.description,
        B=mechanism.B,
        M=mechanism.M,
        T_R=state.exploitation_length,
        threshold=state.threshold,
        u_prime=state.u_prime,
        chosen=chosen,
        validated=state.validated,
        queries_used=platform.used,
        queries_unused=platform.T - platform.used,
    )


def column_values(values) -> np.ndarray:
    """A DataCollector column as an array: numbers as floats, phase names as text."""
    if values and isinstance(values[0], str):
        return np.asarray(values, dtype=str)
    return np.asarray(values, dtype=float)


def snapshot(run: DelegationRun) -> DelegationFrame:
    """Copy what the plots need out of the model (bounded: the model records ~500 rows)."""
    model = run.model
    columns = model.datacollector.model_vars
    series = {name: column_values(values) for name, values in columns.items()}
    served = run.served()
    T = model.platform.T
    return DelegationFrame(
        steps=model.steps,
        running=model.running,
        T=T,
        phase=model.platform.phase,
        providers=tuple(p.name for p in model.providers),
        strategies=tuple(p.strategy.name for p in model.providers),
        series=series,
        served=served,
        phase_starts=phase_starts(served),
        u_sb=model.economy.second_best(T),
        u_fb=model.economy.first_best(T),
        numbers=mechanism_numbers(model),
        seed=model.root_seed,
        scenario=model.preset.name,
        notes=tuple(model.economy.table.notes),
    )


def frame_table(frame: DelegationFrame):
    """The frame's recorded rows as a tidy DataFrame (the CSV download)."""
    import pandas as pd

    table = pd.DataFrame({name: values for name, values in frame.series.items()})
    table.insert(0, "seed", frame.seed)
    table.insert(0, "scenario", frame.scenario)
    return table
