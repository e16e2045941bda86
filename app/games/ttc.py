"""Adapter between the test-time compute game and its dashboard page.

Every TTC import of the dashboard is in this module. The game itself is built by
:mod:`market.ttc.runs` (``build_game``, ``user_population``, ``comparison_table``), the same
functions the CLI calls; this module turns the page's text settings into their parameters and
copies per-step snapshots for the plots.

References:
    Velasco et al. (2026), Sections 2-5, Theorems 1 and 5, Table 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import networkx as nx
import numpy as np

from agents.ttc import STRATEGIES, UserPopulation
from app.capacity import Demand
from app.files import Uploads, is_upload, served_names, user_file
from market.core.datafiles import DataFile
from market.core.errors import UserInputError
from market.core.providers import provider_column
from market.core.seeds import model_seed
from market.core.series import evenly_spaced_rows
from market.core.values import count, number
from market.ttc import footprint, runs
from market.ttc.analysis import better_response_graph, graph_sinks
from market.ttc.curves import CurvesTable, load_curves
from market.ttc.model import TTCMarket
from market.ttc.scenarios import SCENARIOS
from mechanisms.ttc import MECHANISMS
from mechanisms.ttc.optimum import n_profiles

USER_MODES = ("aggregate", "identical agents", "heterogeneous agents")
PERFECT_WORDS = ("inf", "+inf", "infinity", "perfect")
#: Better-response graphs are drawn for games with at most this many profiles.
GRAPH_LIMIT = 125
#: Rows a plot receives at most (the run's history is thinned evenly beyond it).
PLOT_ROWS = 400


@dataclass(frozen=True)
class TTCSettings:
    """What the TTC page asks for; every field is a URL query parameter.

    Attributes:
        preset: a preset name, or "" to build the game from ``curves``.
        curves: a curves CSV of the server's data folder or ``upload:NAME`` (a file uploaded
            in the tab), with ``benchmark`` and ``method``; never a path (:mod:`app.files`).
        benchmark: the benchmark in the curves file.
        method: the test-time compute method in the curves file.
        beta: user rationality ("inf": perfectly rational).
        v0: abstention value V_0.
        margin: providers' margin over cost (price = cost x (1 + margin)).
        mechanism: ``pay-for-compute`` or ``second-price-auction``.
        dynamics: the provider dynamics rule (strategy registry name).
        users: one of :data:`USER_MODES`.
        n_users: simulated users (agents modes).
        spread: standard deviation of log value and log rationality (heterogeneous users).
        seed: the root seed.
    """

    preset: str = "intro-example"
    curves: str = ""
    benchmark: str = ""
    method: str = ""
    beta: str = "inf"
    v0: str = "0"
    margin: str = "0.25"
    mechanism: str = "pay-for-compute"
    dynamics: str = "nearest-improving"
    users: str = "aggregate"
    n_users: str = "1000"
    spread: str = "0.5"
    seed: str = "42"

    def to_query(self) -> dict[str, str]:
        """The URL query parameters."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_query(cls, query: dict[str, str]) -> TTCSettings:
        """Settings from URL query parameters; missing ones keep their defaults."""
        return replace(
            cls(), **{k: str(v) for k, v in query.items() if k in cls.__dataclass_fields__}
        )


def preset_names() -> list[str]:
    """The TTC presets (the intro example and one game per benchmark and method)."""
    return SCENARIOS.names()


def preset_description(name: str) -> str:
    """A preset's one-line description ("" for an unknown one)."""
    return getattr(SCENARIOS.get(name), "description", "") if name in SCENARIOS else ""


def dynamics_names() -> list[str]:
    """The provider dynamics rules."""
    return STRATEGIES.names()


def mechanism_names() -> list[str]:
    """The TTC mechanisms."""
    return MECHANISMS.names()


def parse_beta(text: str) -> float:
    """Rationality: a positive number, or inf/perfect for perfectly rational users."""
    if str(text).strip().lower() in PERFECT_WORDS:
        return math.inf
    return number(text, "beta", positive=True)


def curves_files() -> list[str]:
    """The curves CSV files the server's data folder offers (none without ``--data-dir``)."""
    return served_names((".csv",))


def curves_file(choice: str, uploads: Uploads | None = None) -> DataFile:
    """The curves file a setting names: an upload or a file of the data folder, never a path."""
    if not choice.strip():
        raise UserInputError("curves", "a curves CSV uploaded on this page (or choose a game)")
    if not is_upload(choice) and choice not in curves_files():
        raise UserInputError(
            "curves",
            "a curves CSV of the server's data folder or one uploaded on this page",
            choice,
        )
    return user_file(choice, uploads or Uploads(), "curves")


def curves_table(choice: str, uploads: Uploads | None = None) -> CurvesTable:
    """The validated curves of a setting (a mistake is one line without the file's values)."""
    try:
        return load_curves(curves_file(choice, uploads))
    except UserInputError as error:
        raise error.redacted() from None


def build_game(settings: TTCSettings, uploads: Uploads | None = None):
    """The game of the preset or curves, with the page's beta, V_0 and margin.

    Returns the game and the warnings raised while building it (e.g. the paper's assumption 2
    failing on digitised curves).
    """
    beta = parse_beta(settings.beta)
    v0 = number(settings.v0, "V_0")
    margin = number(settings.margin, "margin", positive=True)
    if settings.preset:
        spec = runs.build_game(preset=settings.preset, margin=margin, v0=v0, beta=beta)
        return spec.game, spec.warnings
    file = curves_file(settings.curves, uploads)
    try:
        spec = runs.build_game(
            curves=file,
            benchmark=settings.benchmark,
            method=settings.method,
            margin=margin,
            v0=v0,
            beta=beta,
        )
    except UserInputError as error:
        raise error.redacted() from None
    return spec.game, spec.warnings


def user_population(settings: TTCSettings, game, seed: int) -> UserPopulation | None:
    """The simulated users the settings ask for (None: the aggregate share function)."""
    if settings.users not in USER_MODES:
        raise UserInputError("users", f"one of {', '.join(USER_MODES)}", settings.users)
    if settings.users == "aggregate":
        return None
    n = count(settings.n_users, "number of users")
    if settings.users == "identical agents":
        return runs.user_population(game, n, 0.0, seed)
    spread = number(settings.spread, "spread")
    if spread < 0:
        raise UserInputError("spread", "a standard deviation >= 0", settings.spread)
    return runs.user_population(game, n, spread, seed)


@dataclass(frozen=True)
class ResponseGraph:
    """The better-response graph of a small game (Theorem 1: its sinks are the equilibria)."""

    graph: nx.DiGraph
    sinks: tuple[tuple[int, ...], ...]


@dataclass
class TTCRun:
    """A tab's model with what is computed once per game."""

    model: TTCMarket
    warnings: tuple[str, ...]
    graph: ResponseGraph | None


def response_graph(game) -> ResponseGraph | None:
    """The better-response graph when the game has at most :data:`GRAPH_LIMIT` profiles."""
    if n_profiles(game) > GRAPH_LIMIT:
        return None
    graph = better_response_graph(game)
    return ResponseGraph(graph, tuple(graph_sinks(graph)))


def memory_demand(settings: TTCSettings, uploads: Uploads | None = None) -> Demand:
    """The memory the run will hold at its peak (:func:`footprint.model_bytes`), sized by users.

    The rows are counted up to the model's step limit, so the estimate holds however long the
    dynamics wander.
    """
    game, _ = build_game(settings, uploads)
    users = 0 if settings.users == "aggregate" else count(settings.n_users, "number of users")
    N, L = game.n_providers, game.n_levels
    return Demand(
        footprint.model_bytes(N, L, users),
        "Number of user agents",
        settings.n_users,
        lambda u: footprint.model_bytes(N, L, u),
        upper=users,
    )


def build_run(settings: TTCSettings, uploads: Uploads | None = None) -> TTCRun:
    """The model the settings describe (UserInputError for any bad value or combination)."""
    if settings.dynamics not in STRATEGIES:
        STRATEGIES.get(settings.dynamics, "dynamics")
    game, notes = build_game(settings, uploads)
    seed = model_seed(settings.seed.strip())
    model = TTCMarket(
        game,
        mechanism=settings.mechanism,
        strategy=settings.dynamics,
        users=user_population(settings, game, seed),
        rng=seed,
    )
    return TTCRun(model, notes, response_graph(game))


@dataclass(frozen=True)
class Comparison:
    """The paper's Table 2 at the current profile: the market against the auction.

    Quantities: user value, price, provider utility (total) and welfare per query.
    """

    quantities: tuple[str, ...]
    market: tuple[float, ...]
    auction: tuple[float, ...]
    winner: str


def comparison(model: TTCMarket) -> Comparison:
    """Market at the current profile against truthful bidding in the auction (Theorem 5)."""
    game = model.game
    table = runs.comparison_table(game, model.state)
    return Comparison(
        quantities=tuple(q.replace("_", " ") for q in table["quantity"]),
        market=tuple(float(x) for x in table["game"]),
        auction=tuple(float(x) for x in table["auction"]),
        winner=game.providers[runs.truthful_auction(game).outcome.winner],
    )


@dataclass(frozen=True)
class TTCFrame:
    """A snapshot of a TTC run after a step.

    Attributes:
        steps: revisions so far.
        running: whether the dynamics go on.
        stop_reason: why it stopped ("" while running).
        equilibrium: whether the resting profile is a verified pure Nash equilibrium.
        mechanism: the mechanism's name.
        providers: provider names.
        levels: the compute levels theta.
        level_names: display names of the levels.
        values: ``(N, L)`` user value curves V_i(theta).
        profile: the current level index per provider.
        rows: recorded step numbers (thinned to at most :data:`PLOT_ROWS`).
        thetas: ``(rows, N)`` compute level per provider.
        shares: ``(rows, N)`` market shares.
        inefficiency: ``(rows,)`` max welfare / welfare.
        comparison: Table 2 at the current profile.
        graph: the better-response graph of a small game.
        approximate: the game comes from digitised curves.
        beta: user rationality.
        seed: the root seed.
        notes: warnings raised building the game.
    """

    steps: int
    running: bool
    stop_reason: str
    equilibrium: bool
    mechanism: str
    providers: tuple[str, ...]
    levels: tuple[float, ...]
    level_names: tuple[str, ...]
    values: np.ndarray = field(repr=False)
    profile: tuple[int, ...] = ()
    rows: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    thetas: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    shares: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    inefficiency: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    comparison: Comparison | None = None
    graph: ResponseGraph | None = None
    approximate: bool = False
    beta: float = math.inf
    seed: int = 0
    notes: tuple[str, ...] = ()


def provider_rows(columns: dict, quantity: str, n: int, keep: np.ndarray) -> np.ndarray:
    """``(rows, n)``: the kept rows of the DataCollector columns ``<quantity>[Provider k]``."""
    return np.array(
        [[columns[provider_column(quantity, k + 1)][i] for k in range(n)] for i in keep],
        dtype=float,
    ).reshape(len(keep), n)


def snapshot(run: TTCRun) -> TTCFrame:
    """Copy what the plots need out of the model (at most :data:`PLOT_ROWS` rows)."""
    model, game = run.model, run.model.game
    columns = model.datacollector.model_vars
    keep = evenly_spaced_rows(len(columns["step"]), PLOT_ROWS)
    n = game.n_providers
    return TTCFrame(
        steps=model.steps,
        running=model.running,
        stop_reason=model.stop_reason,
        equilibrium=model.equilibrium_reached,
        mechanism=model.mechanism.name,
        providers=tuple(game.providers),
        levels=tuple(game.levels),
        level_names=tuple(game.level_label(k) for k in range(game.n_levels)),
        values=np.array(game.value),
        profile=model.profile,
        rows=keep.astype(float),
        thetas=provider_rows(columns, "theta", n, keep),
        shares=provider_rows(columns, "share", n, keep),
        inefficiency=np.array([columns["inefficiency"][i] for i in keep], dtype=float),
        comparison=comparison(model),
        graph=run.graph,
        approximate=bool(game.approximate),
        beta=float(game.beta),
        seed=int(model.seed),
        notes=run.warnings,
    )


def frame_table(run_frame: TTCFrame):
    """The plotted rows as a tidy DataFrame (the CSV download)."""
    import pandas as pd

    table = pd.DataFrame({"step": run_frame.rows.astype(int)})
    for i, name in enumerate(run_frame.providers):
        table[f"theta[{name}]"] = run_frame.thetas[:, i]
        table[f"share[{name}]"] = run_frame.shares[:, i]
    table["inefficiency"] = run_frame.inefficiency
    table["seed"] = run_frame.seed
    return table
