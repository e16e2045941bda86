"""Adapter between the ROSA game (Patra et al. 2026, reconstructed) and its dashboard page.

Every ROSA import of the dashboard is in this module: the page's settings (a frozen record that
round-trips through the URL), building the Mesa model :class:`~market.rosa.model.RosaMarket`
with one provider's bidding strategy (the others bid truthfully), per-step snapshots the plots
read. The two studies computed on demand are in :mod:`app.games.rosa_studies`.

"Who serves which contexts" projects each sampled round's context onto the two directions in
which the providers' true qualities differ most (the top two principal directions of the
centred ``theta_i``): a provider's best contexts are where its quality stands out, so regions
of one colour appear. The projection uses the hidden ``theta`` (the simulator knows it; the
platform does not).

References:
    Patra et al. (2026), Def. 4 (ROSA), Def. 5-6 (EPIC, universal ex-post IR), Experiments;
    ``shared/specs/rosa.md``. Reconstructed from the paper's abstract and table of contents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from agents.rosa.strategies import STRATEGIES
from app.capacity import Demand
from market.core.errors import UserInputError
from market.core.seeds import model_seed
from market.core.values import count, number
from market.rosa import footprint
from market.rosa.model import RosaMarket
from market.rosa.results import ProviderOutcome, regret_sqrt_scale
from market.rosa.scenarios import NOISES, RECONSTRUCTED, RosaSetting, get_setting
from mechanisms.rosa.learners import LEARNERS
from mechanisms.rosa.resampling import MECHANISMS

PRESET = "patra2026"
#: Sampled rounds the "who serves which contexts" plots show (the most recent ones).
SERVICE_POINTS = 400


@dataclass(frozen=True)
class RosaSettings:
    """What the ROSA page asks for; every field is a URL query parameter (text as typed).

    Attributes:
        providers: n.
        dim: the context dimension d.
        T: query rounds of the live run.
        learner: a registered learner.
        mechanism: ``rosa`` or ``pay-as-bid``.
        noise: ``gaussian`` or ``exponential``.
        mu: ROSA's resampling probability ("": ``min(0.5, 1/sqrt(T))``).
        provider: the provider (1-based) whose bidding strategy is chosen; the others are
            truthful.
        bidding: its strategy (truthful, shade, inflate, fixed).
        factor: the strategy's parameter (shade/inflate factor, fixed bid; "": its default).
        seed: the root seed ("": a fresh one).
        batch: rounds per step.
        study_T: the horizon of the utility-against-bid study.
        bids: bids on that study's grid over the cost support.
        runs: draws of ROSA's coins in that study.
        horizons: the regret study's horizons, ``LO:HI:N`` (evenly spaced on a log scale).
        regret_runs: runs per horizon in the regret study.
    """

    providers: str = "5"
    dim: str = "5"
    T: str = "10000"
    learner: str = "elimination"
    mechanism: str = "rosa"
    noise: str = "gaussian"
    mu: str = ""
    provider: str = "1"
    bidding: str = "truthful"
    factor: str = ""
    seed: str = "42"
    batch: str = "100"
    study_T: str = "2000"
    bids: str = "11"
    runs: str = "50"
    horizons: str = "500:8000:5"
    regret_runs: str = "10"

    def to_query(self) -> dict[str, str]:
        """The URL query parameters."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_query(cls, query: dict[str, str]) -> RosaSettings:
        """Settings from URL query parameters; missing ones keep their defaults."""
        return replace(
            cls(), **{k: str(v) for k, v in query.items() if k in cls.__dataclass_fields__}
        )


def learner_names() -> list[str]:
    """The registered learners (allocation rules)."""
    return LEARNERS.names()


def learner_is_monotone(name: str) -> bool:
    """Whether the learner is ex-post monotone by construction (its classifier says so)."""
    return name in LEARNERS and bool(LEARNERS.get(name).classifier.get("monotone_proven"))


def mechanism_names() -> list[str]:
    """``rosa`` and the ``pay-as-bid`` contrast."""
    return MECHANISMS.names()


def bidding_names() -> list[str]:
    """The registered bidding strategies."""
    return STRATEGIES.names()


def noise_names() -> tuple[str, ...]:
    """The reward noise models."""
    return NOISES


def optional_text(text: str, field: str, reader):
    """``reader(text, field)``, or None for blank text (the preset's value)."""
    return reader(text.strip(), field) if text.strip() else None


def market_setting(settings: RosaSettings, T: str | None = None) -> RosaSetting:
    """The validated market the settings describe (``T`` overrides the live run's horizon)."""
    return get_setting(
        PRESET,
        providers=optional_text(settings.providers, "providers", count),
        dim=optional_text(settings.dim, "dim", count),
        T=optional_text(settings.T if T is None else T, "T", count),
        learner=settings.learner or None,
        mechanism=settings.mechanism or None,
        noise=settings.noise or None,
        mu=optional_text(settings.mu, "mu", number),
    )


def chosen_provider(settings: RosaSettings, n: int) -> int:
    """The chosen provider, 0-based (a UserInputError naming ``provider`` otherwise)."""
    index = count(settings.provider, "provider")
    if index > n:
        raise UserInputError("provider", f"a provider from 1 to {n}", settings.provider)
    return index - 1


def strategy_text(settings: RosaSettings, n: int) -> str:
    """One strategy per provider: the chosen one's (with its parameter), the others truthful."""
    own = settings.bidding.strip() or "truthful"
    if settings.factor.strip() and own != "truthful":
        own = f"{own}:{settings.factor.strip()}"
    names = ["truthful"] * n
    names[chosen_provider(settings, n)] = own
    return ",".join(names)


def context_axes(thetas: np.ndarray) -> np.ndarray:
    """``(d, 2)``: the two directions in which the providers' qualities differ most.

    The top right singular vectors of the centred ``theta`` matrix, signs fixed so each has a
    positive sum; a missing direction (d = 1, or identical providers) is zero.
    """
    centred = thetas - thetas.mean(axis=0)
    _, singular, directions = np.linalg.svd(centred, full_matrices=True)
    axes = np.zeros((thetas.shape[1], 2))
    for k in range(min(2, directions.shape[0])):
        if k < singular.size and singular[k] > 1e-12:
            sign = 1.0 if directions[k].sum() >= 0 else -1.0
            axes[:, k] = sign * directions[k]
    return axes


@dataclass
class RosaRun:
    """A tab's model, the context projection of its instance and the chosen provider."""

    model: RosaMarket
    axes: np.ndarray
    chosen: int = 0  # the chosen provider's 0-based index (dashboard-internal)


def memory_demand(settings: RosaSettings) -> Demand:
    """The memory the live run will hold at its peak (:func:`footprint.model_bytes`), by T."""
    setting = market_setting(settings)
    n, d = setting.providers, setting.dim
    return Demand(
        footprint.model_bytes(n, d, setting.T),
        "T",
        settings.T,
        lambda t: footprint.model_bytes(n, d, t),
        upper=setting.T,
    )


def build_run(settings: RosaSettings) -> RosaRun:
    """The model the settings describe (UserInputError for any bad value)."""
    setting = market_setting(settings)
    model = RosaMarket(
        setting,
        strategies=strategy_text(settings, setting.providers),
        batch=count(settings.batch, "rounds per step"),
        rng=model_seed(settings.seed.strip()),
    )
    chosen = chosen_provider(settings, setting.providers)
    return RosaRun(model, context_axes(model.thetas), chosen)


@dataclass(frozen=True)
class ServiceSample:
    """Sampled rounds with their projected context, who served and who was best.

    Attributes:
        rounds: the rounds (1-based).
        x: the context on the first direction.
        y: the context on the second direction.
        served: the provider served (0-based).
        best: the clairvoyant auction's choice (true qualities and costs; 0-based).
    """

    rounds: np.ndarray
    x: np.ndarray
    y: np.ndarray
    served: np.ndarray
    best: np.ndarray

    @property
    def agreement(self) -> float:
        """Share of the sampled rounds served by the clairvoyant choice (NaN when empty)."""
        return float(np.mean(self.served == self.best)) if self.rounds.size else math.nan


def empty_sample() -> ServiceSample:
    """No rounds sampled yet."""
    nothing = np.empty(0)
    return ServiceSample(nothing, nothing, nothing, nothing.astype(int), nothing.astype(int))


def service_sample(run: RosaRun, limit: int = SERVICE_POINTS) -> ServiceSample:
    """The last ``limit`` sampled rounds of :meth:`RosaMarket.service_map`, projected."""
    if run.model.platform.rounds == 0:
        return empty_sample()
    table = run.model.service_map().tail(limit)
    contexts = table[[c for c in table.columns if c.startswith("x")]].to_numpy(float)
    projected = contexts @ run.axes
    return ServiceSample(
        rounds=table["round"].to_numpy(int),
        x=projected[:, 0],
        y=projected[:, 1],
        served=table["served"].str[1:].astype(int).to_numpy() - 1,
        best=table["best"].str[1:].astype(int).to_numpy() - 1,
    )


@dataclass(frozen=True)
class RosaFrame:
    """A snapshot of a ROSA run after a step: everything the page's plots and tables read.

    Attributes:
        steps: model steps so far.
        running: whether rounds remain.
        setting: the market.
        seed: the run's root seed.
        rounds: rounds played.
        result: the run's outcome so far (providers' costs, bids, flags, utilities).
        series: DataCollector columns (bounded rows, copied) by name.
        service: the most recent sampled rounds, projected.
        chosen: the provider (0-based) whose strategy the settings chose.
    """

    steps: int
    running: bool
    setting: RosaSetting
    seed: int
    rounds: int
    result: object
    series: dict[str, np.ndarray] = field(repr=False)
    service: ServiceSample = field(repr=False)
    chosen: int = 0

    @property
    def providers(self) -> tuple[ProviderOutcome, ...]:
        """Each provider's outcome so far."""
        return self.result.providers

    @property
    def scale(self) -> float:
        """The fitted ``c`` of ``c sqrt(t)`` against the cumulative regret."""
        return regret_sqrt_scale(self.series["queries"], self.series["regret"])


def snapshot(run: RosaRun) -> RosaFrame:
    """Copy what the plots need out of the model (the model records about 500 rows)."""
    model = run.model
    columns = model.datacollector.model_vars
    return RosaFrame(
        steps=model.steps,
        running=model.running,
        setting=model.setting,
        seed=model.root_seed,
        rounds=model.platform.rounds,
        result=model.result(),
        series={name: np.asarray(values, dtype=float) for name, values in columns.items()},
        service=service_sample(run),
        chosen=run.chosen,
    )


def frame_table(frame: RosaFrame):
    """The recorded rows as a tidy DataFrame (the CSV download), with the run's settings."""
    import pandas as pd

    table = pd.DataFrame(dict(frame.series))
    table.insert(0, "seed", frame.seed)
    table.insert(0, "learner", frame.setting.learner)
    table.insert(0, "mechanism", frame.setting.mechanism)
    table["note"] = RECONSTRUCTED
    return table
