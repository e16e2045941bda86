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

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from market.core.datafiles import DataFile
from market.core.errors import UserInputError
from market.delegation.prices import PRICES, list_price, usd_per_token
from market.delegation.response_files import (
    NEGATIVE_TOKEN_POLICIES,
    check_policy,
    handle_negative_tokens,
    read_dense_records,
)
from market.delegation.response_readers import (
    RECORD_SUFFIXES,
    REQUIRED_COLUMNS,
    SHARED_FORMAT_COLUMNS,
)

SHIPPED_SOURCE = "shipped: NLGraph max-flow, Cao et al. artifact"
SHIPPED_FILE = "nlgraph_maxflow.npz"


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
                "model",
                f"one of {', '.join(self.models)} (source: {self.source})",
                name,
                expected_without_values="a model in the records",
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
    check_policy(negative_tokens)
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
            "model",
            f"one of {', '.join(available)} (source: {source})",
            ", ".join(unknown),
            expected_without_values="a model in the records",
        )
    return [list(available).index(m) for m in wanted]


def load_records(
    source: str | Path | DataFile,
    negative_tokens: str = "clip",
    reward_bound: float = 1.0,
    models: Sequence[str] | None = None,
) -> ResponseTable:
    """Load and validate a user's response records.

    Accepted forms (by suffix): ``.csv``, ``.jsonl``/``.ndjson`` and ``.parquet``/``.pq`` with
    columns ``model, query_id, reward, output_tokens`` (extra columns are ignored), or a folder
    of per-model ``*.jsonl`` files in the shared format ``{"id", "score", "output_tokens", ...}``
    (model = file stem; from a path only). A :class:`~market.core.datafiles.DataFile` is read
    from memory exactly as the same bytes from a path, and labelled with its name.

    Every mistake raises a UserInputError naming the file, the line or row, the column, what was
    expected and what was found: missing columns, values that are not finite numbers, rewards
    outside ``[0, reward_bound]``, non-integer token counts, a duplicate (model, query_id),
    models that do not all cover the same query ids (saying which are missing), an empty file
    or an unknown suffix. Negative token counts follow ``negative_tokens``; any repair is
    written into the table's ``notes``.

    Args:
        source: The file or folder, or a file held in memory.
        negative_tokens: ``"clip"`` (to 0), ``"drop"`` (the query id, for all models) or
            ``"error"``.
        reward_bound: R, the largest reward allowed.
        models: Only these models, in this order (None: all). The whole file is still
            validated; the negative-token policy sees only these models' records.

    Returns:
        The table: models in order of first appearance (folder: sorted by model name) unless
        ``models`` is given, query ids sorted.
    """
    check_policy(negative_tokens)
    wanted = None if models is None else _model_list(models)
    if (
        isinstance(reward_bound, bool)
        or not isinstance(reward_bound, int | float)
        or not math.isfinite(reward_bound)
        or reward_bound <= 0
    ):
        raise UserInputError("reward_bound", "a finite number > 0", reward_bound)
    if not isinstance(source, DataFile):
        source = Path(source)
    dense = read_dense_records(source, float(reward_bound))
    label = dense.raw.label
    rows = _rows_of([str(m) for m in dense.models], wanted, label)
    names = tuple(str(dense.models[r]) for r in rows)
    record_at = dense.record_at[rows]
    kept_ids, reward, length, notes = handle_negative_tokens(
        names,
        dense.query_ids,
        dense.reward[rows],
        dense.length[rows],
        negative_tokens,
        label,
        where=lambda r, c: dense.raw.where(int(record_at[r, c])),
    )
    return ResponseTable(names, kept_ids, reward, length, label, notes)


__all__ = [
    "NEGATIVE_TOKEN_POLICIES",
    "PRICES",
    "RECORD_SUFFIXES",
    "REQUIRED_COLUMNS",
    "SHARED_FORMAT_COLUMNS",
    "SHIPPED_SOURCE",
    "ResponseTable",
    "handle_negative_tokens",
    "list_price",
    "load_records",
    "shipped_arrays",
    "shipped_table",
    "usd_per_token",
]
