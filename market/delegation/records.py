"""Response tables for the delegation game: who answers which query how well, at what length.

The delegation game of Cao et al. (2026, Sec. 3) needs, for every model ``m`` and query id ``q``,
the reward ``r_m(q)`` in ``[0, R]`` and the true output length ``l_m(q)`` in tokens. The paper's
experiment (Sec. 6.1) resamples 2,000 NLGraph maximum-flow results per model; those records
ship with the package as ``market/delegation/data/nlgraph_maxflow.npz`` (provenance in
``market/delegation/data/NLGRAPH_PROVENANCE.md``). :func:`shipped_table` loads them and
:func:`load_records` loads a user's own records (CSV, JSONL, Parquet, or a folder of per-model
JSONL files in the shared format), validating everything and never repairing silently: every
repair is written, in words, into :attr:`ResponseTable.notes`.

The shipped records contain two negative output-token counts (gpt-5-high query 1831: -26,
gpt-5-low query 444: -14). The ``negative_tokens`` policy decides what happens to them:
``"clip"`` (to 0, the default), ``"drop"`` (the query id is removed for all models) or
``"error"`` (reject the data).

List prices (USD per 1M tokens) are in ``market/delegation/data/prices.csv``: :data:`PRICES`
holds the output price of all 16 models, :func:`list_price` looks one up. The mechanism works
per token: divide by one million (:func:`usd_per_token`).

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Sec. 3 (the game) and Sec. 6.1 (data,
    prices, L = 38,058).
"""

from __future__ import annotations

import csv
import functools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import numpy as np

from market.core.errors import UserInputError

NEGATIVE_TOKEN_POLICIES = ("clip", "drop", "error")
REQUIRED_COLUMNS = ("model", "query_id", "reward", "output_tokens")
SHIPPED_SOURCE = "shipped: NLGraph max-flow, Cao et al. artifact"
SHIPPED_FILE = "nlgraph_maxflow.npz"
RECORD_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet", ".pq")
#: Column names of the shared per-model JSONL format (``{"id", "score", "output_tokens"}``).
SHARED_FORMAT_COLUMNS = {"query_id": "id", "reward": "score", "output_tokens": "output_tokens"}
_MAX_LISTED = 5  # how many offending rows an error message names


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------


def _read_only(values: object, dtype: type) -> np.ndarray:
    """A private, read-only copy of ``values`` as ``dtype``."""
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class ResponseTable:
    """Rewards and true output lengths of M models on the same Q queries.

    Attributes:
        models: The M model names, in row order.
        query_ids: (Q,) the original query ids, in column order.
        reward: (M, Q) float64, reward ``r_m(q)`` in ``[0, R]``; read-only.
        length: (M, Q) int64 >= 0, true output tokens ``l_m(q)``; read-only.
        source: Where the records came from (a path, or :data:`SHIPPED_SOURCE`).
        notes: Every repair the loader made, in words (empty when none).

    References:
        Cao et al. (2026), Sec. 3: serving query ``w_t`` with model m yields ``r_m(w_t)`` and
        ``l_m(w_t)``.
    """

    models: tuple[str, ...]
    query_ids: np.ndarray
    reward: np.ndarray
    length: np.ndarray
    source: str
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        models = tuple(str(m) for m in self.models)
        if len(set(models)) != len(models):
            raise UserInputError("ResponseTable.models", "unique model names", models)
        query_ids = np.array(self.query_ids, copy=True)
        query_ids.setflags(write=False)
        reward = _read_only(self.reward, np.float64)
        length = _read_only(self.length, np.int64)
        shape = (len(models), len(query_ids))
        for name, array in (("reward", reward), ("length", length)):
            if array.shape != shape:
                raise UserInputError(
                    f"ResponseTable.{name}", f"shape (models, queries) = {shape}", array.shape
                )
        if query_ids.ndim != 1 or len(np.unique(query_ids)) != len(query_ids):
            raise UserInputError("ResponseTable.query_ids", "a 1-D array of unique query ids")
        if not np.all(np.isfinite(reward)):
            raise UserInputError("ResponseTable.reward", "finite rewards")
        if np.any(length < 0):
            raise UserInputError("ResponseTable.length", "output lengths >= 0", int(length.min()))
        object.__setattr__(self, "models", models)
        object.__setattr__(self, "query_ids", query_ids)
        object.__setattr__(self, "reward", reward)
        object.__setattr__(self, "length", length)
        object.__setattr__(self, "notes", tuple(self.notes))

    def __reduce__(self) -> tuple[type, tuple]:
        # through the constructor, so the arrays come back read-only
        return (
            ResponseTable,
            (self.models, self.query_ids, self.reward, self.length, self.source, self.notes),
        )

    def __repr__(self) -> str:
        return (
            f"ResponseTable({len(self.models)} models x {self.n_queries} queries, "
            f"max_length={self.max_length if self.n_queries else 0}, source={self.source!r}, "
            f"{len(self.notes)} notes)"
        )

    @property
    def n_queries(self) -> int:
        """Q, the number of queries (columns)."""
        return int(self.query_ids.shape[0])

    @property
    def max_length(self) -> int:
        """The largest true output length in the table (the paper's L, Sec. 6.1)."""
        return int(self.length.max())

    def model_index(self, name: str) -> int:
        """The row of model ``name``; an unknown name raises a UserInputError listing all."""
        try:
            return self.models.index(name)
        except ValueError:
            raise UserInputError(
                "model", f"one of {', '.join(self.models)} (source: {self.source})", name
            ) from None

    def mean_reward(self) -> np.ndarray:
        """(M,) each model's expected reward ``mu_r_m`` under uniform query ids."""
        return self.reward.mean(axis=1)

    def mean_length(self) -> np.ndarray:
        """(M,) each model's expected true length ``mu_l_m`` under uniform query ids."""
        return self.length.mean(axis=1)

    def subset(self, models: Sequence[str]) -> ResponseTable:
        """The table restricted to ``models``, in the order given (same queries, same notes)."""
        if isinstance(models, str):
            models = (models,)
        names = tuple(models)
        if not names:
            raise UserInputError("models", "at least one model name", names)
        if len(set(names)) != len(names):
            raise UserInputError("models", "each model named once", names)
        rows = [self.model_index(name) for name in names]
        return ResponseTable(
            models=names,
            query_ids=self.query_ids,
            reward=self.reward[rows],
            length=self.length[rows],
            source=self.source,
            notes=self.notes,
        )


# ---------------------------------------------------------------------------------------------
# Negative output-token counts (the shipped data has two)
# ---------------------------------------------------------------------------------------------


def _check_policy(negative_tokens: str) -> None:
    if negative_tokens not in NEGATIVE_TOKEN_POLICIES:
        raise UserInputError(
            "negative_tokens", f"one of {', '.join(NEGATIVE_TOKEN_POLICIES)}", negative_tokens
        )


def handle_negative_tokens(
    models: Sequence[str],
    query_ids: np.ndarray,
    reward: np.ndarray,
    length: np.ndarray,
    policy: str,
    source: str,
    where: Callable[[int, int], str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Apply the ``negative_tokens`` policy to a dense (M, Q) table of raw lengths.

    Args:
        models: The M model names.
        query_ids: (Q,) query ids.
        reward: (M, Q) rewards.
        length: (M, Q) raw output token counts, possibly negative.
        policy: ``"clip"`` (to 0), ``"drop"`` (remove the query id for every model) or
            ``"error"`` (raise a UserInputError naming the records).
        source: The data's name, for messages.
        where: Optional ``(row, column) -> "line N"`` locating a record in its file.

    Returns:
        ``(query_ids, reward, length, notes)`` after the repair, with one note per repair.
    """
    _check_policy(policy)
    rows, cols = np.nonzero(length < 0)
    if rows.size == 0:
        return query_ids, reward, length, ()
    described = [
        f"{models[r]} query {query_ids[c]}"
        + (f" [{where(int(r), int(c))}]" if where else "")
        + f" ({int(length[r, c])})"
        for r, c in zip(rows, cols, strict=True)
    ]
    listing = ", ".join(described[:_MAX_LISTED])
    if len(described) > _MAX_LISTED:
        listing += f", and {len(described) - _MAX_LISTED} more"
    count = f"{rows.size} record{'s' if rows.size > 1 else ''} with negative output_tokens"
    if policy == "error":
        raise UserInputError(
            f"{source}, column output_tokens",
            "output token counts >= 0 (negative_tokens='error'; use 'clip' or 'drop' to repair)",
            int(length[rows[0], cols[0]]),
            note=f"{count}: {listing}",
        )
    if policy == "clip":
        return query_ids, reward, np.maximum(length, 0), (f"{count} clipped to 0: {listing}",)
    dropped = np.unique(cols)
    keep = np.ones(length.shape[1], dtype=bool)
    keep[dropped] = False
    if not keep.any():
        raise UserInputError(
            f"{source}, column output_tokens",
            "at least one query id without negative output_tokens (negative_tokens='drop')",
            note=f"{count}: {listing}",
        )
    note = (
        f"{count}: dropped {dropped.size} query id{'s' if dropped.size > 1 else ''} "
        f"({', '.join(str(query_ids[c]) for c in dropped[:_MAX_LISTED])}"
        f"{', ...' if dropped.size > _MAX_LISTED else ''}) for all models: {listing}"
    )
    return query_ids[keep], reward[:, keep], length[:, keep], (note,)


# ---------------------------------------------------------------------------------------------
# The shipped NLGraph max-flow records
# ---------------------------------------------------------------------------------------------


def shipped_arrays() -> dict[str, np.ndarray]:
    """The raw arrays of the shipped compact file (models, query_ids, score, output_tokens, ...)."""
    with resources.files("market.delegation.data").joinpath(SHIPPED_FILE).open("rb") as handle:
        with np.load(handle, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}


def shipped_table(
    negative_tokens: str = "clip", models: Sequence[str] | None = None
) -> ResponseTable:
    """The NLGraph max-flow records of Cao et al. (2026, Sec. 6.1): 16 models x 2,000 queries.

    Cached per policy and model list; the arrays are read-only, so sharing is safe.

    Args:
        negative_tokens: What to do with the two negative output-token counts in the records
            (gpt-5-high query 1831: -26, gpt-5-low query 444: -14): ``"clip"`` (default),
            ``"drop"`` or ``"error"``.
        models: Only these models, in this order (None: all 16). The policy then sees only
            their records, so e.g. ``"drop"`` keeps query 444 when gpt-5-low is not among them.

    Returns:
        The table, with the repair written in its ``notes``.
    """
    _check_policy(negative_tokens)
    return _shipped_table(negative_tokens, None if models is None else _model_list(models))


@functools.cache
def _shipped_table(negative_tokens: str, models: tuple[str, ...] | None) -> ResponseTable:
    arrays = shipped_arrays()
    names = tuple(str(m) for m in arrays["models"])
    rows = _rows_of(names, models, SHIPPED_SOURCE)
    query_ids, reward, length, notes = handle_negative_tokens(
        [names[r] for r in rows],
        arrays["query_ids"],
        arrays["score"][rows],
        arrays["output_tokens"][rows],
        negative_tokens,
        SHIPPED_SOURCE,
    )
    kept = tuple(names[r] for r in rows)
    return ResponseTable(kept, query_ids, reward, length, SHIPPED_SOURCE, notes)


def _model_list(models: Sequence[str]) -> tuple[str, ...]:
    names = (models,) if isinstance(models, str) else tuple(models)
    if not names:
        raise UserInputError("models", "at least one model name", names)
    if len(set(names)) != len(names):
        raise UserInputError("models", "each model named once", names)
    return names


def _rows_of(available: Sequence[str], wanted: tuple[str, ...] | None, source: str) -> list[int]:
    """Row numbers of ``wanted`` among ``available`` (all rows when ``wanted`` is None)."""
    if wanted is None:
        return list(range(len(available)))
    unknown = [m for m in wanted if m not in available]
    if unknown:
        raise UserInputError(
            "model", f"one of {', '.join(available)} (source: {source})", ", ".join(unknown)
        )
    return [list(available).index(m) for m in wanted]


# ---------------------------------------------------------------------------------------------
# A user's own records
# ---------------------------------------------------------------------------------------------


@dataclass
class _RawRecords:
    """Records as read, before validation: one entry per data row, values as found."""

    label: str  # the file or folder, for messages
    unit: str  # "line" or "row"
    files: list[str]  # file names, indexed by file_index (one entry for a single file)
    file_index: list[int]
    position: list[int]  # line (CSV, JSONL) or row (Parquet) number, 1-based
    columns: dict[str, list[object]]  # required column -> values
    column_names: dict[str, str]  # required column -> the name used in the file

    def where(self, i: int) -> str:
        """Where record ``i`` sits, e.g. ``"gpt-5-high.jsonl line 12"``."""
        prefix = f"{self.files[self.file_index[i]]} " if len(self.files) > 1 else ""
        return f"{prefix}{self.unit} {self.position[i]}"


def _bad_value(records: _RawRecords, column: str, bad: np.ndarray, expected: str) -> None:
    """Raise a UserInputError naming the first offending rows of ``column`` (if any)."""
    indices = np.flatnonzero(bad)
    if indices.size == 0:
        return
    first = int(indices[0])
    note = ""
    if indices.size > 1:
        shown = ", ".join(records.where(int(i)) for i in indices[:_MAX_LISTED])
        more = ", ..." if indices.size > _MAX_LISTED else ""
        note = f"{indices.size} bad values in all: {shown}{more}"
    raise UserInputError(
        f"{records.label} {records.where(first)}, column {records.column_names[column]!r}",
        expected,
        records.columns[column][first],
        note=note,
    )


def _numbers(values: list[object]) -> tuple[np.ndarray, np.ndarray]:
    """``values`` as float64, and a mask of the entries that are not finite numbers."""
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float | np.integer | np.floating):
            out[i] = float(value)
        elif isinstance(value, str):
            try:
                out[i] = float(value.strip())
            except ValueError:
                continue
    return out, ~np.isfinite(out)


def _integer_id(value: object) -> int | None:
    """``value`` as an integer id (``7``, ``"7"``, ``7.0``), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if math.isfinite(value) and float(value).is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _query_ids(records: _RawRecords) -> np.ndarray:
    """The query-id column as int64 when every id is an integer, else as strings."""
    values = records.columns["query_id"]
    missing = np.array([v is None or (isinstance(v, str) and not v.strip()) for v in values])
    _bad_value(records, "query_id", missing, "a query id")
    integers = [_integer_id(v) for v in values]
    if all(i is not None and -(2**63) <= i < 2**63 for i in integers):
        return np.array(integers, dtype=np.int64)
    text = [v.strip() if isinstance(v, str) else str(v) for v in values]
    return np.array(text, dtype=np.str_)


def _model_names(records: _RawRecords) -> np.ndarray:
    values = records.columns["model"]
    bad = np.array([not isinstance(v, str) or not v.strip() for v in values])
    _bad_value(records, "model", bad, "a model name (text)")
    return np.array([v.strip() for v in values], dtype=np.str_)


def _rewards(records: _RawRecords, reward_bound: float) -> np.ndarray:
    reward, not_number = _numbers(records.columns["reward"])
    _bad_value(records, "reward", not_number, f"a number in [0, {reward_bound:g}]")
    outside = (reward < 0) | (reward > reward_bound)
    _bad_value(records, "reward", outside, f"a reward in [0, {reward_bound:g}] (reward_bound)")
    return reward


def _token_counts(records: _RawRecords) -> np.ndarray:
    tokens, not_number = _numbers(records.columns["output_tokens"])
    _bad_value(records, "output_tokens", not_number, "an integer number of tokens")
    _bad_value(records, "output_tokens", tokens != np.round(tokens), "an integer number of tokens")
    return tokens.astype(np.int64)


def _check_missing_columns(
    label: str, found: Sequence[str], names: Mapping[str, str], wanted: Sequence[str]
) -> None:
    missing = [names[c] for c in wanted if names[c] not in found]
    if missing:
        raise UserInputError(
            f"{label}, columns",
            f"columns {', '.join(names[c] for c in wanted)}",
            ", ".join(str(c) for c in found) or "no columns",
            note=f"missing: {', '.join(missing)}",
        )


def _plain_names() -> dict[str, str]:
    return {c: c for c in REQUIRED_COLUMNS}


def _read_csv(path: Path) -> _RawRecords:
    records = _RawRecords(str(path), "line", [path.name], [], [], {}, _plain_names())
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header: list[str] | None = None
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                _check_missing_columns(str(path), header, records.column_names, REQUIRED_COLUMNS)
                columns = {c: header.index(c) for c in REQUIRED_COLUMNS}
                records.columns = {c: [] for c in REQUIRED_COLUMNS}
                continue
            if len(row) != len(header):
                raise UserInputError(
                    f"{path} line {reader.line_num}",
                    f"{len(header)} comma-separated fields (as in the header)",
                    len(row),
                )
            records.file_index.append(0)
            records.position.append(reader.line_num)
            for column, index in columns.items():
                records.columns[column].append(row[index])
    if header is None:
        raise UserInputError(str(path), "a header line and at least one record", "an empty file")
    return records


def _read_jsonl_lines(
    path: Path, records: _RawRecords, file_index: int, model: str | None = None
) -> None:
    """Append the records of one JSONL file (``model`` set: shared per-model format)."""
    names = records.column_names
    wanted = [c for c in REQUIRED_COLUMNS if model is None or c != "model"]
    first = True
    with path.open(encoding="utf-8-sig") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise UserInputError(
                    f"{path} line {line_number}",
                    "one JSON object per line",
                    line.strip()[:60],
                    note=error.msg,
                ) from None
            if not isinstance(record, dict):
                raise UserInputError(
                    f"{path} line {line_number}", "a JSON object", type(record).__name__
                )
            if first:  # the file's first record fixes its columns
                _check_missing_columns(str(path), list(record), names, wanted)
                first = False
            absent = [names[c] for c in wanted if names[c] not in record]
            if absent:
                raise UserInputError(
                    f"{path} line {line_number}",
                    f"the keys {', '.join(names[c] for c in wanted)}",
                    ", ".join(record) or "no keys",
                    note=f"missing: {', '.join(absent)}",
                )
            records.file_index.append(file_index)
            records.position.append(line_number)
            for column in wanted:
                records.columns[column].append(record[names[column]])
            if model is not None:
                records.columns["model"].append(model)


def _read_jsonl(path: Path) -> _RawRecords:
    records = _RawRecords(
        str(path), "line", [path.name], [], [], {c: [] for c in REQUIRED_COLUMNS}, _plain_names()
    )
    _read_jsonl_lines(path, records, 0)
    return records


def _read_shared_folder(path: Path) -> _RawRecords:
    files = sorted(path.glob("*.jsonl"), key=lambda f: f.stem)
    if not files:
        raise UserInputError(
            str(path), "a folder of per-model *.jsonl files (model = file name)", "no *.jsonl files"
        )
    names = dict(SHARED_FORMAT_COLUMNS, model="model (the file name)")
    records = _RawRecords(
        str(path),
        "line",
        [f.name for f in files],
        [],
        [],
        {c: [] for c in REQUIRED_COLUMNS},
        names,
    )
    for index, file in enumerate(files):
        before = len(records.position)
        _read_jsonl_lines(file, records, index, model=file.stem)
        if len(records.position) == before:
            raise UserInputError(str(file), "at least one record", "an empty file")
    return records


def _read_parquet(path: Path) -> _RawRecords:
    try:
        import pandas as pd

        frame = pd.read_parquet(path)
    except ImportError as error:
        raise UserInputError(
            str(path),
            "pyarrow installed to read Parquet (pip install 'llm-market[parquet]')",
            note=str(error),
        ) from None
    except Exception as error:  # any reader failure means a malformed file
        raise UserInputError(str(path), "a readable Parquet file", note=str(error)) from None
    _check_missing_columns(
        str(path), [str(c) for c in frame.columns], _plain_names(), REQUIRED_COLUMNS
    )
    n = len(frame)

    def values(column: str) -> list[object]:
        return [None if v is None or v is pd.NA else v for v in frame[column].tolist()]

    return _RawRecords(
        str(path),
        "row",
        [path.name],
        [0] * n,
        list(range(1, n + 1)),
        {c: values(c) for c in REQUIRED_COLUMNS},
        _plain_names(),
    )


def _read_raw(path: Path) -> _RawRecords:
    if path.is_dir():
        return _read_shared_folder(path)
    if not path.exists():
        raise UserInputError("data", "an existing file or folder", str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    raise UserInputError(
        f"{path}, file suffix",
        f"one of {', '.join(RECORD_SUFFIXES)} or a folder of per-model *.jsonl files",
        path.suffix or "no suffix",
    )


def _check_duplicates(records: _RawRecords, model_code: np.ndarray, query_code: np.ndarray):
    n_queries = int(query_code.max()) + 1
    key = model_code.astype(np.int64) * n_queries + query_code
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    if same.any():
        first = int(np.flatnonzero(same)[0])
        a, b = int(order[first]), int(order[first + 1])
        raise UserInputError(
            f"{records.label} {records.where(b)}",
            "one record per (model, query_id)",
            f"{records.columns['model'][b]}, {records.columns['query_id'][b]}",
            note=f"also at {records.where(a)}; {int(same.sum())} duplicates in all",
        )


def _check_coverage(
    records: _RawRecords, models: np.ndarray, query_ids: np.ndarray, present: np.ndarray
) -> None:
    if present.all():
        return
    lines = []
    for m in np.flatnonzero(~present.all(axis=1)):
        missing = query_ids[~present[m]]
        shown = ", ".join(str(q) for q in missing[:_MAX_LISTED])
        more = ", ..." if missing.size > _MAX_LISTED else ""
        lines.append(f"{models[m]} lacks {missing.size}: {shown}{more}")
    raise UserInputError(
        f"{records.label}, column {records.column_names['query_id']!r}",
        "every model to cover the same query ids",
        note="; ".join(lines),
    )


def load_records(
    path: str | Path,
    negative_tokens: str = "clip",
    reward_bound: float = 1.0,
    models: Sequence[str] | None = None,
) -> ResponseTable:
    """Load and validate a user's response records.

    Accepted forms (by suffix): ``.csv``, ``.jsonl``/``.ndjson`` and ``.parquet``/``.pq`` with
    columns ``model, query_id, reward, output_tokens`` (extra columns are ignored), or a folder
    of per-model ``*.jsonl`` files in the shared format ``{"id", "score", "output_tokens", ...}``
    (model = file stem).

    Every mistake raises a UserInputError naming the file, the line or row, the column, what was
    expected and what was found: missing columns, values that are not finite numbers, rewards
    outside ``[0, reward_bound]``, non-integer token counts, a duplicate (model, query_id),
    models that do not all cover the same query ids (saying which are missing), an empty file
    or an unknown suffix. Negative token counts follow ``negative_tokens``; any repair is
    written into the table's ``notes``.

    Args:
        path: The file or folder.
        negative_tokens: ``"clip"`` (to 0), ``"drop"`` (the query id, for all models) or
            ``"error"``.
        reward_bound: R, the largest reward allowed.
        models: Only these models, in this order (None: all). The whole file is still
            validated; the negative-token policy sees only these models' records.

    Returns:
        The table: models in order of first appearance (folder: sorted by model name) unless
        ``models`` is given, query ids sorted.
    """
    _check_policy(negative_tokens)
    wanted = None if models is None else _model_list(models)
    if (
        isinstance(reward_bound, bool)
        or not isinstance(reward_bound, int | float)
        or not math.isfinite(reward_bound)
        or reward_bound <= 0
    ):
        raise UserInputError("reward_bound", "a finite number > 0", reward_bound)
    path = Path(path)
    records = _read_raw(path)
    if not records.position:
        raise UserInputError(str(path), "at least one record", "an empty file")
    model_names = _model_names(records)
    query_ids = _query_ids(records)
    reward = _rewards(records, float(reward_bound))
    tokens = _token_counts(records)

    models, first_seen, model_code = np.unique(model_names, return_index=True, return_inverse=True)
    appearance = np.argsort(first_seen, kind="stable")  # models in order of first appearance
    rank = np.empty_like(appearance)
    rank[appearance] = np.arange(appearance.size)
    models, model_code = models[appearance], rank[model_code]
    unique_ids, query_code = np.unique(query_ids, return_inverse=True)
    _check_duplicates(records, model_code, query_code)

    shape = (models.size, unique_ids.size)
    present = np.zeros(shape, dtype=bool)
    present[model_code, query_code] = True
    _check_coverage(records, models, unique_ids, present)
    dense_reward = np.zeros(shape)
    dense_length = np.zeros(shape, dtype=np.int64)
    record_at = np.zeros(shape, dtype=np.int64)
    dense_reward[model_code, query_code] = reward
    dense_length[model_code, query_code] = tokens
    record_at[model_code, query_code] = np.arange(model_code.size)

    rows = _rows_of([str(m) for m in models], wanted, str(path))
    names = tuple(str(models[r]) for r in rows)
    record_at = record_at[rows]
    kept_ids, dense_reward, dense_length, notes = handle_negative_tokens(
        names,
        unique_ids,
        dense_reward[rows],
        dense_length[rows],
        negative_tokens,
        str(path),
        where=lambda r, c: records.where(int(record_at[r, c])),
    )
    return ResponseTable(names, kept_ids, dense_reward, dense_length, str(path), notes)


# ---------------------------------------------------------------------------------------------
# List prices
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceEntry:
    """One row of ``market/delegation/data/prices.csv``.

    Attributes:
        model: Model name as in the response tables.
        input_usd_per_1m: Input price, USD per 1M tokens (None when the source gives none;
            the delegation game ignores input tokens, Remark 1 of the paper).
        output_usd_per_1m: Output price, USD per 1M tokens (the cost ``c_m``).
        source: Where the price comes from.
    """

    model: str
    input_usd_per_1m: float | None
    output_usd_per_1m: float
    source: str


def _read_price_list() -> tuple[PriceEntry, ...]:
    text = (
        resources.files("market.delegation.data").joinpath("prices.csv").read_text(encoding="utf-8")
    )
    rows = csv.DictReader(text.splitlines())
    return tuple(
        PriceEntry(
            model=row["model"],
            input_usd_per_1m=float(row["input_usd_per_1m"]) if row["input_usd_per_1m"] else None,
            output_usd_per_1m=float(row["output_usd_per_1m"]),
            source=row["source"],
        )
        for row in rows
    )


#: Every row of the shipped price list.
PRICE_LIST: tuple[PriceEntry, ...] = _read_price_list()
#: Output list price, USD per 1M tokens, of all 16 shipped models (paper's and artifact's).
PRICES: Mapping[str, float] = MappingProxyType(
    {entry.model: entry.output_usd_per_1m for entry in PRICE_LIST}
)


def list_price(model: str) -> float:
    """The output list price of ``model`` in USD per 1M tokens (Cao et al. 2026, Sec. 6.1)."""
    try:
        return PRICES[model]
    except KeyError:
        raise UserInputError(
            "price of model", f"a model with a list price: {', '.join(PRICES)}", model
        ) from None


def usd_per_token(usd_per_1m: float) -> float:
    """A price per 1M tokens as a price per token (what ``p_i * l'`` multiplies)."""
    return usd_per_1m / 1_000_000
