"""Reading a user's own response records: CSV, JSONL, Parquet, or a folder of JSONL files.

The readers collect every record as found (with the file, line or row it came from), then
:func:`read_dense_records` validates the values and lays them out as dense ``(models,
queries)`` arrays. Every mistake raises a :class:`~market.core.errors.UserInputError` naming
the file, the line or row, the column, what was expected and what was found; nothing is ever
repaired here (:func:`market.delegation.records.load_records` applies the negative-token
policy and writes what it did into the table's notes).

References:
    Cao et al. (2026), Sec. 3 (rewards in ``[0, R]``, true output lengths) and Sec. 6.1.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from market.core.errors import UserInputError

REQUIRED_COLUMNS = ("model", "query_id", "reward", "output_tokens")
RECORD_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet", ".pq")
#: Column names of the shared per-model JSONL format (``{"id", "score", "output_tokens"}``).
SHARED_FORMAT_COLUMNS = {"query_id": "id", "reward": "score", "output_tokens": "output_tokens"}
MAX_LISTED = 5  # how many offending rows an error message names


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
        shown = ", ".join(records.where(int(i)) for i in indices[:MAX_LISTED])
        more = ", ..." if indices.size > MAX_LISTED else ""
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
        shown = ", ".join(str(q) for q in missing[:MAX_LISTED])
        more = ", ..." if missing.size > MAX_LISTED else ""
        lines.append(f"{models[m]} lacks {missing.size}: {shown}{more}")
    raise UserInputError(
        f"{records.label}, column {records.column_names['query_id']!r}",
        "every model to cover the same query ids",
        note="; ".join(lines),
    )


@dataclass(frozen=True)
class DenseRecords:
    """Validated records laid out per model and query.

    Attributes:
        models: model names, in order of first appearance (folder: sorted by model name).
        query_ids: the distinct query ids, sorted.
        reward: ``(models, queries)`` rewards.
        length: ``(models, queries)`` raw output token counts (possibly negative).
        record_at: ``(models, queries)`` the record each cell came from (for messages).
        raw: the records as read.
    """

    models: np.ndarray
    query_ids: np.ndarray
    reward: np.ndarray
    length: np.ndarray
    record_at: np.ndarray
    raw: _RawRecords


def read_dense_records(path: Path, reward_bound: float) -> DenseRecords:
    """Read, validate and lay out the records of ``path`` (file or folder)."""
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
    return DenseRecords(models, unique_ids, dense_reward, dense_length, record_at, records)
