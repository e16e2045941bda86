"""Test-time compute curves: the curves file format, its validation and the shipped curves.

A curves file is a CSV with the columns ``benchmark, model, reasoning, ttc_method, theta,
accuracy, avg_tokens, price_per_1m_tokens`` (one row per model and compute level).
:func:`load_curves` validates it (columns, NaN, negative or out-of-range numbers, duplicate
levels, models with different levels); :func:`market.ttc.economy.game_from_curves` turns one
benchmark x method slice into a game with the authors' economics.

The shipped curves (``market/ttc/data/ttc_curves.csv``) were digitised from the figures of the
authors' public notebooks and are approximate; games built from them carry
``approximate=True`` and every output built from them says :data:`APPROXIMATE_NOTE`
(provenance in ``market/ttc/data/TTC_CURVES_PROVENANCE.md``).

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 5 and Appendices C-D.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from market.core.datafiles import DataFile, file_bytes
from market.core.errors import UserInputError

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
APPROXIMATE_NOTE = "approximate (digitised curves)"
"""What every output built from digitised curves says."""
#: Short preset names of the test-time compute methods in the curves file.
METHOD_SLUGS = {"best_of_n": "best-of-n", "majority": "majority", "reasoning_bin": "reasoning"}
_MAX_LISTED = 5
#: What a missing or unreadable curves file was expected to be (one message for both).
READABLE_CURVES = "an existing CSV file (readable, UTF-8)"


def _name_key(name: str) -> str:
    """Case- and separator-insensitive key for benchmark and method names."""
    return str(name).strip().casefold().replace("-", "_")


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
            raise UserInputError(
                "benchmark",
                f"one of {', '.join(known)}",
                benchmark,
                expected_without_values="a benchmark in the curves",
            )
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
            raise UserInputError(
                "method",
                f"one of {', '.join(methods)} (for {benchmark})",
                method,
                expected_without_values="a method of this benchmark in the curves",
            )
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
                    expected_without_values="the same compute levels for every model of a "
                    "benchmark and method",
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


def _read_curves_csv(label: str, content: bytes) -> pd.DataFrame:
    """The raw cells of a curves CSV (all text); ``label`` names the file in messages."""
    try:
        return pd.read_csv(
            io.BytesIO(content), dtype=str, keep_default_na=True, skipinitialspace=True
        )
    except UnicodeDecodeError:
        raise UserInputError("curves", READABLE_CURVES, label) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise UserInputError("curves", "a readable CSV file", label, note=str(error)) from None


def load_curves(source: str | Path | DataFile, *, approximate: bool = False) -> CurvesTable:
    """Load and validate a curves CSV file, from a path or held in memory.

    A :class:`~market.core.datafiles.DataFile` (an upload) is read from memory exactly as the
    same bytes from a path, and messages name it by its name.

    Args:
        source: The CSV file, or a file held in memory.
        approximate: Mark the data as approximate (digitised); games built from it say so.

    Returns:
        The validated :class:`CurvesTable` (``source``: the path or the file's name).

    Raises:
        UserInputError: A missing or unreadable file (no permission, a folder, not UTF-8: one
            message for all), wrong columns, empty cells, NaN, negative or out-of-range
            numbers, duplicate levels, or models with different levels.
    """
    if isinstance(source, DataFile):
        label, content = source.name, source.content
    else:
        label = str(source)
        content = file_bytes(Path(source), "curves", READABLE_CURVES)
    frame = _read_curves_csv(label, content)
    return CurvesTable(validate_curves(frame, label), label, approximate)


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
