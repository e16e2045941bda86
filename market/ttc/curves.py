"""Test-time compute curves, the authors' economics on them, and the named TTC games (presets).

A curves file is a CSV with the columns ``benchmark, model, reasoning, ttc_method, theta,
accuracy, avg_tokens, price_per_1m_tokens`` (one row per model and compute level).
:func:`load_curves` validates it (columns, NaN, negative or out-of-range numbers, duplicate
levels) and :func:`game_from_curves` turns one benchmark x method slice into a
:class:`~mechanisms.ttc.TTCGame` with the authors' economics:

- quality ``q = alpha (b + (1 - b) accuracy)`` with ``b = 0.1`` and ``alpha`` 0.008 / 0.02 / 0.05
  for GSM8K / GPQA / AIME (the authors' code; the paper's text says "per percentage point", but
  its Table 2 magnitudes, in $ x 1e-3, match ``alpha`` per unit of accuracy fraction);
- price ``p = avg_tokens x price_per_1m_tokens / 1e6``; cost ``c = p / (1 + margin)``, margin 0.25.

The shipped curves (``market/ttc/data/ttc_curves.csv``) were digitised from the figures of the
authors' public notebooks and are approximate; games built from them carry
``approximate=True`` (provenance in ``market/ttc/data/TTC_CURVES_PROVENANCE.md``).

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 1 and Appendix A (the intro
    example), Section 5 and Appendices C-D (experimental setup).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from market.core.errors import UserInputError
from market.core.registry import Registry
from mechanisms.ttc.game import PERFECT, TTCGame

COLUMNS = (
    "benchmark",
    "model",
    "reasoning",
    "ttc_method",
    "theta",
    "accuracy",
    "avg_tokens",
    "price_per_1m_tokens",
)
NUMERIC_COLUMNS = ("theta", "accuracy", "avg_tokens", "price_per_1m_tokens")
SHIPPED_FILE = "ttc_curves.csv"
SHIPPED_SOURCE = "shipped: digitised from the authors' figures (approximate)"
#: Value of accuracy by benchmark used by the authors (USD per unit of accuracy fraction).
DEFAULT_ALPHA = {"GSM8K": 0.008, "GPQA": 0.02, "AIME": 0.05}
DEFAULT_B = 0.1
DEFAULT_MARGIN = 0.25
#: Short preset names of the test-time compute methods in the curves file.
METHOD_SLUGS = {"best_of_n": "best-of-n", "majority": "majority", "reasoning_bin": "reasoning"}
_MAX_LISTED = 5


def _name_key(name: str) -> str:
    """Case- and separator-insensitive key for benchmark and method names."""
    return str(name).strip().casefold().replace("-", "_")


class ProfitNotIncreasingWarning(UserWarning):
    """Profit ``p - c`` does not strictly increase with compute (the paper's assumption 2)."""


@dataclass(frozen=True)
class CurveRow:
    """One model at one compute level of one benchmark and method.

    Attributes:
        benchmark: Benchmark (task), e.g. ``"GSM8K"``.
        model: Model (provider) name.
        reasoning: Whether the model is a reasoning model.
        ttc_method: Test-time compute method, e.g. ``"best_of_n"``.
        theta: Compute level (number of samples, or reasoning bin).
        accuracy: Average accuracy, a fraction in [0, 1].
        avg_tokens: Average tokens generated per query at this level.
        price_per_1m_tokens: Token price, USD per million tokens.
    """

    benchmark: str
    model: str
    reasoning: bool
    ttc_method: str
    theta: float
    accuracy: float
    avg_tokens: float
    price_per_1m_tokens: float


@dataclass(frozen=True, eq=False)
class CurvesTable:
    """A validated curves table (a tidy pandas DataFrame with the :data:`COLUMNS`).

    Attributes:
        frame: The rows, sorted by benchmark, method, model and theta.
        source: Where the rows came from (file path or the shipped-data note).
        approximate: True for digitised data; games built from it say so.
    """

    frame: pd.DataFrame
    source: str
    approximate: bool = False

    def benchmarks(self) -> list[str]:
        """Benchmarks present, sorted."""
        return sorted(self.frame["benchmark"].unique())

    def methods(self, benchmark: str | None = None) -> list[str]:
        """Test-time compute methods present (for one benchmark if given), sorted."""
        frame = self.frame if benchmark is None else self.slice(benchmark)
        return sorted(frame["ttc_method"].unique())

    def models(self, benchmark: str, method: str) -> list[str]:
        """Models of one benchmark x method, in file order."""
        return list(dict.fromkeys(self.slice(benchmark, method)["model"]))

    def resolve_benchmark(self, benchmark: str) -> str:
        """The benchmark's name as spelled in the file (case-insensitive exact match).

        Raises:
            UserInputError: Unknown benchmark, listing the known ones.
        """
        known = self.benchmarks()
        match = [b for b in known if _name_key(b) == _name_key(benchmark)]
        if not match:
            raise UserInputError("benchmark", f"one of {', '.join(known)}", benchmark)
        return match[0]

    def resolve_method(self, benchmark: str, method: str) -> str:
        """The method's name as spelled in the file for ``benchmark``.

        Matching is exact up to case and ``-``/``_``; the preset spellings ``best-of-n`` and
        ``reasoning`` (for ``reasoning_bin``) are accepted too.

        Raises:
            UserInputError: Unknown benchmark or method, listing the known ones.
        """
        benchmark = self.resolve_benchmark(benchmark)
        methods = self.methods(benchmark)
        aliases = {_name_key(slug): name for name, slug in METHOD_SLUGS.items()}
        wanted = aliases.get(_name_key(method), method)
        match = [m for m in methods if _name_key(m) == _name_key(wanted)]
        if not match:
            raise UserInputError("method", f"one of {', '.join(methods)} (for {benchmark})", method)
        return match[0]

    def slice(self, benchmark: str, method: str | None = None) -> pd.DataFrame:
        """Rows of one benchmark (and method); unknown names raise ``UserInputError``."""
        benchmark = self.resolve_benchmark(benchmark)
        frame = self.frame[self.frame["benchmark"] == benchmark]
        if method is None:
            return frame
        method = self.resolve_method(benchmark, method)
        return frame[frame["ttc_method"] == method]

    def rows(self) -> list[CurveRow]:
        """All rows as typed records."""
        return [CurveRow(**record) for record in self.frame.to_dict(orient="records")]

    def __len__(self) -> int:
        return len(self.frame)


# --- loading and validation --------------------------------------------------------------------


def _listed(rows: Sequence[int]) -> str:
    """File line numbers (header = line 1) of the first offending rows."""
    lines = [str(int(r) + 2) for r in rows[:_MAX_LISTED]]
    more = f" and {len(rows) - _MAX_LISTED} more" if len(rows) > _MAX_LISTED else ""
    return "line " + ", ".join(lines) + more


def _parse_bool(column: pd.Series) -> pd.Series:
    """The ``reasoning`` column as booleans; anything but true/false/1/0 is an error."""
    words = column.astype(str).str.strip().str.lower()
    truth = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
    bad = np.flatnonzero(~words.isin(list(truth)))
    if bad.size:
        raise UserInputError(
            "reasoning", "true or false", column.iloc[bad[0]], note=_listed(bad.tolist())
        )
    return words.map(truth).astype(bool)


def validate_curves(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check and normalise a raw curves DataFrame; every problem raises ``UserInputError``.

    Checks: exactly the :data:`COLUMNS`; no empty cells; numeric columns are finite numbers;
    accuracy in [0, 1]; theta non-negative; avg_tokens and price_per_1m_tokens positive; no
    duplicate (benchmark, method, model, theta); every model of a benchmark x method has the
    same compute levels (the game's shared Theta).
    """
    columns = [str(c).strip() for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    missing = [c for c in COLUMNS if c not in columns]
    extra = [c for c in columns if c not in COLUMNS]
    if missing or extra:
        raise UserInputError(
            "curves columns",
            f"exactly {', '.join(COLUMNS)}",
            columns,
            note=f"{source}: missing {missing or 'none'}, unexpected {extra or 'none'}",
        )
    if len(frame) == 0:
        raise UserInputError("curves", "at least one row", 0, note=source)
    empty = frame.isna()
    if empty.to_numpy().any():
        column = empty.any().idxmax()
        rows = np.flatnonzero(empty[column]).tolist()
        raise UserInputError(
            f"curves column {column}",
            "a value in every row",
            "NaN/empty",
            note=f"{source}, {_listed(rows)}",
        )
    out = frame.copy()
    for column in ("benchmark", "model", "ttc_method"):
        out[column] = out[column].astype(str).str.strip()
    out["reasoning"] = _parse_bool(out["reasoning"])
    for column in NUMERIC_COLUMNS:
        numbers = pd.to_numeric(out[column], errors="coerce").astype(float)
        bad = np.flatnonzero(~np.isfinite(numbers.to_numpy()))
        if bad.size:
            raise UserInputError(
                f"curves column {column}",
                "finite numbers",
                out[column].iloc[bad[0]],
                note=f"{source}, {_listed(bad.tolist())}",
            )
        out[column] = numbers
    _check_range(
        out,
        "accuracy",
        "a fraction in [0, 1]",
        (out["accuracy"] < 0) | (out["accuracy"] > 1),
        source,
    )
    _check_range(out, "theta", "non-negative levels", out["theta"] < 0, source)
    _check_range(out, "avg_tokens", "positive token counts", out["avg_tokens"] <= 0, source)
    _check_range(
        out, "price_per_1m_tokens", "positive token prices", out["price_per_1m_tokens"] <= 0, source
    )
    keys = ["benchmark", "ttc_method", "model", "theta"]
    duplicated = np.flatnonzero(out.duplicated(keys, keep="first").to_numpy())
    if duplicated.size:
        row = out.iloc[duplicated[0]]
        raise UserInputError(
            "curves",
            "one row per benchmark, method, model and theta (no duplicate levels)",
            f"{row['benchmark']}/{row['ttc_method']}/{row['model']} theta={row['theta']:g}",
            note=f"{source}, {_listed(duplicated.tolist())}",
        )
    for (benchmark, method), group in out.groupby(["benchmark", "ttc_method"], sort=True):
        levels = {m: tuple(sorted(g["theta"])) for m, g in group.groupby("model", sort=False)}
        reference_model, reference = next(iter(levels.items()))
        for model, thetas in levels.items():
            if thetas != reference:
                raise UserInputError(
                    "curves",
                    f"the same compute levels for every model of {benchmark}/{method} "
                    f"({reference_model}: {', '.join(f'{t:g}' for t in reference)})",
                    f"{model}: {', '.join(f'{t:g}' for t in thetas)}",
                    note=source,
                )
    return out.sort_values(
        ["benchmark", "ttc_method", "model", "theta"], kind="stable"
    ).reset_index(drop=True)


def _check_range(
    frame: pd.DataFrame, column: str, expected: str, bad_mask: pd.Series, source: str
) -> None:
    bad = np.flatnonzero(bad_mask.to_numpy())
    if bad.size:
        raise UserInputError(
            f"curves column {column}",
            expected,
            float(frame[column].iloc[bad[0]]),
            note=f"{source}, {_listed(bad.tolist())}",
        )


def load_curves(path: str | Path, *, approximate: bool = False) -> CurvesTable:
    """Load and validate a curves CSV file.

    Args:
        path: The CSV file.
        approximate: Mark the data as approximate (digitised); games built from it say so.

    Returns:
        The validated :class:`CurvesTable`.

    Raises:
        UserInputError: Missing file, wrong columns, empty cells, NaN, negative or out-of-range
            numbers, duplicate levels, or models with different levels.
    """
    path = Path(path)
    if not path.is_file():
        raise UserInputError("curves", "an existing CSV file", str(path))
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=True, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise UserInputError("curves", "a readable CSV file", str(path), note=str(error)) from None
    return CurvesTable(validate_curves(frame, str(path)), str(path), approximate)


@functools.cache
def shipped_curves() -> CurvesTable:
    """The curves shipped with the package (``market/ttc/data/ttc_curves.csv``), approximate.

    Digitised from the figures in the authors' public notebooks (``Networks-Learning/
    strategic-ttc``); see ``market/ttc/data/TTC_CURVES_PROVENANCE.md``. Loaded once and cached:
    treat the returned table as read-only.
    """
    resource = resources.files("market.ttc.data").joinpath(SHIPPED_FILE)
    with resources.as_file(resource) as path:
        table = load_curves(path, approximate=True)
    return CurvesTable(table.frame, SHIPPED_SOURCE, approximate=True)


# --- the authors' economics --------------------------------------------------------------------


def quality_from_accuracy(accuracy: np.ndarray, alpha: float, b: float = DEFAULT_B) -> np.ndarray:
    """Quality ``alpha (b + (1 - b) accuracy)`` (the authors' mapping, Section 5)."""
    return alpha * (b + (1.0 - b) * np.asarray(accuracy, dtype=float))


def price_from_tokens(avg_tokens: np.ndarray, price_per_1m_tokens: np.ndarray) -> np.ndarray:
    """Price per query: tokens x price per token (Section 5)."""
    return np.asarray(avg_tokens, dtype=float) * np.asarray(price_per_1m_tokens) / 1e6


def cost_from_price(price: np.ndarray, margin: float) -> np.ndarray:
    """Generation cost ``price / (1 + margin)`` (a fixed profit margin, Section 5)."""
    return np.asarray(price, dtype=float) / (1.0 + margin)


def _positive(name: str, value: float, expected: str = "a positive number") -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserInputError(name, expected, value) from None
    if not (math.isfinite(number) and number > 0):
        raise UserInputError(name, expected, value)
    return number


def warn_profit_not_increasing(game: TTCGame) -> None:
    """Warn, naming provider and levels, where profit is not increasing (assumption 2, Eq. 2)."""
    violations = game.profit_violations()
    if violations:
        listed = "; ".join(f"{p} theta {lo:g} -> {hi:g}" for p, lo, hi in violations[:10])
        more = f" (and {len(violations) - 10} more)" if len(violations) > 10 else ""
        warnings.warn(
            f"profit p - c is not increasing in compute (the paper's assumption 2): {listed}{more}",
            ProfitNotIncreasingWarning,
            stacklevel=3,
        )


def game_from_curves(
    curves: CurvesTable,
    benchmark: str,
    method: str,
    *,
    alpha: float | None = None,
    b: float = DEFAULT_B,
    margin: float = DEFAULT_MARGIN,
    v0: float = 0.0,
    beta: float = PERFECT,
    models: Sequence[str] | None = None,
) -> TTCGame:
    """Build the TTC game of one benchmark x method slice with the authors' economics.

    Args:
        curves: A validated curves table.
        benchmark: Benchmark name, case-insensitive (unknown -> ``UserInputError`` listing the
            known ones).
        method: Test-time compute method as in the file or as in the preset names
            (``best-of-n``, ``majority``, ``reasoning``); unknown -> ``UserInputError``.
        alpha: Value of accuracy (USD per unit of accuracy fraction); default by benchmark
            (:data:`DEFAULT_ALPHA`), required for other benchmarks.
        b: Quality floor fraction in ``alpha (b + (1 - b) accuracy)``, in [0, 1].
        margin: Profit margin over cost (> 0): ``cost = price / (1 + margin)``.
        v0: Abstention value ``V_0``.
        beta: User rationality (``inf`` = perfect).
        models: Optional subset of models (providers), in the given order.

    Returns:
        The game, ``approximate`` when the curves are.

    Warns:
        ProfitNotIncreasingWarning: Where profit is not increasing in compute (assumption 2).

    References:
        Velasco et al. (2026), Section 5 and Appendix C.
    """
    benchmark = curves.resolve_benchmark(benchmark)
    method = curves.resolve_method(benchmark, method)
    frame = curves.slice(benchmark, method)
    if alpha is None:
        if benchmark not in DEFAULT_ALPHA:
            raise UserInputError(
                "alpha",
                f"a value of accuracy (no default for {benchmark}; defaults exist for "
                f"{', '.join(DEFAULT_ALPHA)})",
                None,
            )
        alpha = DEFAULT_ALPHA[benchmark]
    alpha = _positive("alpha", alpha)
    margin = _positive("margin", margin, "a positive profit margin (price = cost x (1 + margin))")
    if not (isinstance(b, int | float) and 0 <= b <= 1):
        raise UserInputError("b", "a quality floor in [0, 1]", b)
    known = list(dict.fromkeys(frame["model"]))
    chosen = known if models is None else [str(m) for m in models]
    unknown = [m for m in chosen if m not in known]
    if unknown:
        raise UserInputError(
            "models", f"models of {benchmark}/{method}: {', '.join(known)}", unknown
        )
    if len(set(chosen)) != len(chosen):
        raise UserInputError("models", "each model at most once", list(chosen))
    if len(chosen) < 2:
        raise UserInputError("models", "at least two providers", list(chosen))
    by_model = {m: g.sort_values("theta") for m, g in frame.groupby("model", sort=False)}
    levels = tuple(float(t) for t in by_model[chosen[0]]["theta"])
    accuracy = np.stack([by_model[m]["accuracy"].to_numpy() for m in chosen])
    tokens = np.stack([by_model[m]["avg_tokens"].to_numpy() for m in chosen])
    token_price = np.stack([by_model[m]["price_per_1m_tokens"].to_numpy() for m in chosen])
    price = price_from_tokens(tokens, token_price)
    labels = None
    if method == "reasoning_bin":
        labels = tuple(f"bin {t:g}" for t in levels)
    game = TTCGame(
        providers=tuple(chosen),
        levels=levels,
        quality=quality_from_accuracy(accuracy, alpha, b),
        cost=cost_from_price(price, margin),
        price=price,
        v0=v0,
        beta=beta,
        approximate=curves.approximate,
        level_labels=labels,
    )
    warn_profit_not_increasing(game)
    return game


def intro_example(
    beta: float = PERFECT, v0: float = 0.0, *, alpha: float = 0.02, margin: float = 0.25
) -> TTCGame:
    """The two-provider, two-mode example of Section 1 and Appendix A.

    Accuracies 70 / 90 % (provider 1) and 50 / 95 % (provider 2) at low / high TTC, costs
    $0.25 / $1 and $0.5 / $10, prices ``(1 + margin) x cost``, quality ``alpha x accuracy`` in
    percentage points with ``alpha = $0.02``. Values: ``V_1 = 1.0875, 0.55``, ``V_2 = 0.375,
    -10.6`` (Eq. 15).

    References:
        Velasco et al. (2026), Section 1 and Appendix A, Eqs. 14-18.
    """
    alpha = _positive("alpha", alpha)
    margin = _positive("margin", margin, "a positive profit margin (price = cost x (1 + margin))")
    accuracy_points = np.array([[70.0, 90.0], [50.0, 95.0]])
    cost = np.array([[0.25, 1.0], [0.5, 10.0]])
    return TTCGame(
        providers=("Provider 1", "Provider 2"),
        levels=(0.0, 1.0),
        quality=alpha * accuracy_points,
        cost=cost,
        price=(1.0 + margin) * cost,
        v0=v0,
        beta=beta,
        approximate=False,
        level_labels=("low", "high"),
    )


# --- named presets -----------------------------------------------------------------------------


SCENARIOS: Registry[Any] = Registry("scenario")


@SCENARIOS.register
class IntroExampleScenario:
    """Section 1 / Appendix A: two providers, low and high TTC (exact numbers from the paper).

    References:
        Velasco et al. (2026), Section 1 and Appendix A.
    """

    name: ClassVar[str] = "intro-example"
    classifier: ClassVar[dict[str, Any]] = {
        "source": "paper",
        "approximate": False,
        "benchmark": None,
        "method": None,
        "n_providers": 2,
    }
    description: ClassVar[str] = "the two-provider low/high TTC example of Section 1 and App. A"

    @staticmethod
    def build(
        beta: float = PERFECT,
        v0: float = 0.0,
        *,
        alpha: float | None = None,
        margin: float | None = None,
    ) -> TTCGame:
        """The game (``alpha`` in USD per accuracy point, default 0.02; margin 0.25)."""
        return intro_example(
            beta,
            v0,
            alpha=0.02 if alpha is None else alpha,
            margin=DEFAULT_MARGIN if margin is None else margin,
        )


@dataclass(frozen=True)
class CurvesScenario:
    """A game of the paper's Section 5 built from the shipped (approximate) curves.

    Attributes:
        name: Preset name, ``<benchmark>-<method>`` (e.g. ``"gsm8k-best-of-n"``).
        benchmark: Benchmark in the curves file.
        method: Test-time compute method in the curves file.
        classifier: Tags used to filter presets.
        description: One line for listings.

    References:
        Velasco et al. (2026), Section 5, Appendices C and D.
    """

    name: str
    benchmark: str
    method: str
    classifier: dict[str, Any]
    description: str

    def build(
        self,
        beta: float = PERFECT,
        v0: float = 0.0,
        *,
        alpha: float | None = None,
        margin: float | None = None,
    ) -> TTCGame:
        """The game at rationality ``beta`` and abstention value ``v0``."""
        return game_from_curves(
            shipped_curves(),
            self.benchmark,
            self.method,
            alpha=alpha,
            margin=DEFAULT_MARGIN if margin is None else margin,
            v0=v0,
            beta=beta,
        )


def _register_curve_scenarios() -> None:
    """One preset per benchmark x method of the shipped curves (the paper's games)."""
    with resources.files("market.ttc.data").joinpath(SHIPPED_FILE).open() as handle:
        frame = pd.read_csv(handle)
    pairs = frame[["benchmark", "ttc_method", "model", "reasoning"]].drop_duplicates()
    for (benchmark, method), group in pairs.groupby(["benchmark", "ttc_method"], sort=False):
        slug = METHOD_SLUGS.get(method, method.replace("_", "-"))
        n = group["model"].nunique()
        kind = "reasoning models" if bool(group["reasoning"].all()) else "instruct models"
        SCENARIOS.register(
            CurvesScenario(
                name=f"{benchmark.lower()}-{slug}",
                benchmark=benchmark,
                method=method,
                classifier={
                    "source": "shipped curves",
                    "approximate": True,
                    "benchmark": benchmark,
                    "method": method,
                    "n_providers": n,
                },
                description=f"{benchmark} {method}: {n} {kind} (digitised curves, approximate)",
            )
        )


_register_curve_scenarios()


def get_scenario(name: str) -> Any:
    """The preset called ``name``; unknown names raise ``UserInputError`` listing all."""
    return SCENARIOS.get(name, "scenario")
