"""Adapter between the ROSA game (Patra et al. 2026, reconstructed) and its dashboard page.

Every ROSA import of the dashboard is in this module: the page's settings (a frozen record that
round-trips through the URL), building the Mesa model :class:`~market.rosa.model.RosaMarket`
with one provider's bidding strategy (the others bid truthfully), per-step snapshots the plots
read. The two studies computed on demand are in :mod:`app.games.rosa_studies`.

"Who serves which contexts" shows each sampled round's context projected by
:mod:`market.rosa.contexts` onto the two directions in which the providers' true qualities
differ most: a provider's best contexts are where its quality stands out, so regions of one
colour appear.

References:
    Patra et al. (2026), Def. 4 (ROSA), Def. 5-6 (EPIC, universal ex-post IR), Experiments;
    ``docs/rosa-reconstruction.md``. Reconstructed from the paper's abstract and table of contents.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from agents.rosa.strategies import STRATEGIES
from app.capacity import Demand
from market.core.errors import UserInputError
from market.core.seeds import model_seed
from market.core.values import count, number
from market.rosa import contexts, footprint
from market.rosa.contexts import ServiceSample
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
    return RosaRun(model, contexts.quality_contrast_axes(model.thetas), chosen)


def service_sample(run: RosaRun, limit: int = SERVICE_POINTS) -> ServiceSample:
    """The last ``limit`` sampled rounds of the run, projected by :mod:`market.rosa.contexts`."""
    return contexts.service_sample(run.model, run.axes, limit)


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
