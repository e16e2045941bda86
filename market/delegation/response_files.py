"""Checking a user's own response records and laying them out per model and query.

:mod:`market.delegation.response_readers` collects every record as found (with the file, line or
row it came from); :func:`read_dense_records` validates the values and lays them out as dense
``(models, queries)`` arrays, and :func:`handle_negative_tokens` applies the negative-token
policy. Every mistake raises a :class:`~market.core.errors.UserInputError` naming the file, the
line or row, the column, what was expected and what was found; nothing is repaired silently
(:func:`market.delegation.responses.load_records` writes every repair into the table's notes).

References:
    Cao et al. (2026), Sec. 3 (rewards in ``[0, R]``, true output lengths) and Sec. 6.1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from market.core.datafiles import DataFile
from market.core.errors import UserInputError
from market.delegation.response_readers import RawRecords, read_raw_records

NEGATIVE_TOKEN_POLICIES = ("clip", "drop", "error")
MAX_LISTED = 5  # how many offending rows an error message names
SHOWN_ID = 24  # the most characters of a query id or a model an error message names


def shown(name: object) -> str:
    """A query id or a model's name as an error message lists it: at most :data:`SHOWN_ID`."""
    text = str(name)
    return text if len(text) <= SHOWN_ID else f"{text[:SHOWN_ID]}…"


def _bad_value(records: RawRecords, column: str, bad: np.ndarray, expected: str) -> None:
    """Raise a UserInputError naming the first offending rows of ``column`` (if any)."""
    indices = np.flatnonzero(bad)
    if indices.size == 0:
        return
    first = int(indices[0])
    note = ""
    if indices.size > 1:
        where = ", ".join(records.where(int(i)) for i in indices[:MAX_LISTED])
        more = ", ..." if indices.size > MAX_LISTED else ""
        note = f"{indices.size} bad values in all: {where}{more}"
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


def _query_ids(records: RawRecords) -> np.ndarray:
    """The query-id column as int64 when every id is an integer, else as strings."""
    values = records.columns["query_id"]
    missing = np.array([v is None or (isinstance(v, str) and not v.strip()) for v in values])
    _bad_value(records, "query_id", missing, "a query id")
    integers = [_integer_id(v) for v in values]
    if all(i is not None and -(2**63) <= i < 2**63 for i in integers):
        return np.array(integers, dtype=np.int64)
    text = [v.strip() if isinstance(v, str) else str(v) for v in values]
    return np.array(text, dtype=np.str_)


def _model_names(records: RawRecords) -> np.ndarray:
    values = records.columns["model"]
    bad = np.array([not isinstance(v, str) or not v.strip() for v in values])
    _bad_value(records, "model", bad, "a model name (text)")
    return np.array([v.strip() for v in values], dtype=np.str_)


def _rewards(records: RawRecords, reward_bound: float) -> np.ndarray:
    reward, not_number = _numbers(records.columns["reward"])
    _bad_value(records, "reward", not_number, f"a number in [0, {reward_bound:g}]")
    outside = (reward < 0) | (reward > reward_bound)
    _bad_value(records, "reward", outside, f"a reward in [0, {reward_bound:g}] (reward_bound)")
    return reward


def _token_counts(records: RawRecords) -> np.ndarray:
    tokens, not_number = _numbers(records.columns["output_tokens"])
    _bad_value(records, "output_tokens", not_number, "an integer number of tokens")
    _bad_value(records, "output_tokens", tokens != np.round(tokens), "an integer number of tokens")
    return tokens.astype(np.int64)


def _check_duplicates(records: RawRecords, model_code: np.ndarray, query_code: np.ndarray):
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
            f"{shown(records.columns['model'][b])}, {shown(records.columns['query_id'][b])}",
            note=f"also at {records.where(a)}; {int(same.sum())} duplicates in all",
        )


def _check_coverage(
    records: RawRecords, models: np.ndarray, query_ids: np.ndarray, present: np.ndarray
) -> None:
    if present.all():
        return
    lines = []
    for m in np.flatnonzero(~present.all(axis=1)):
        missing = query_ids[~present[m]]
        listed = ", ".join(shown(q) for q in missing[:MAX_LISTED])
        more = ", ..." if missing.size > MAX_LISTED else ""
        lines.append(f"{shown(models[m])} lacks {missing.size}: {listed}{more}")
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
    raw: RawRecords


def read_dense_records(source: Path | DataFile, reward_bound: float) -> DenseRecords:
    """Read, validate and lay out the records of ``source`` (in memory, a file or a folder)."""
    records = read_raw_records(source)
    if not records.position:
        raise UserInputError(records.label, "at least one record", "an empty file")
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


def check_policy(negative_tokens: str) -> None:
    """``negative_tokens`` must name a policy (``"clip"``, ``"drop"`` or ``"error"``)."""
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
    check_policy(policy)
    rows, cols = np.nonzero(length < 0)
    if rows.size == 0:
        return query_ids, reward, length, ()
    described = [
        f"{shown(models[r])} query {shown(query_ids[c])}"
        + (f" [{where(int(r), int(c))}]" if where else "")
        + f" ({int(length[r, c])})"
        for r, c in zip(rows, cols, strict=True)
    ]
    listing = ", ".join(described[:MAX_LISTED])
    if len(described) > MAX_LISTED:
        listing += f", and {len(described) - MAX_LISTED} more"
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
        f"({', '.join(shown(query_ids[c]) for c in dropped[:MAX_LISTED])}"
        f"{', ...' if dropped.size > MAX_LISTED else ''}) for all models: {listing}"
    )
    return query_ids[keep], reward[:, keep], length[:, keep], (note,)
