"""One result protocol for every game's result records: ``to_dict``, ``to_frame``, ``summary``.

Every public result record of every game (the frozen dataclasses its run functions return) is
a :class:`ResultRecord`: ``to_dict()`` gives the record's own dataclass fields, JSON-ready;
``to_frame()`` a tidy pandas DataFrame (one row per provider, step, point or profile, as each
record documents); ``summary()`` one line for people, with units. The records inherit
:class:`ResultMixin` for the first two and write their own summary. A game declares its record
types in its :class:`~market.core.game.GameDescription` (``results_paths``), so tests iterate
them without listing games by hand.

The JSON the CLI prints keeps its own, older shape (renamed keys, derived values); records that
have one offer it as ``json_record()``.

This module imports neither numpy nor pandas at import time (the CLI's ``--help`` stays fast):
it recognises their objects through :data:`sys.modules` and imports pandas only to build a
frame.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, Protocol, runtime_checkable

#: Types that are already JSON (exactly these: numpy's float64 subclasses float).
PLAIN = (bool, int, float, str, type(None))


@runtime_checkable
class ResultRecord(Protocol):
    """What every result record of every game answers (STYLE.md item 13)."""

    def to_dict(self) -> dict[str, Any]:
        """The record's own dataclass fields, JSON-ready (see :func:`json_ready`)."""
        ...

    def to_frame(self) -> Any:
        """A tidy pandas DataFrame with string column names (the record says per what)."""
        ...

    def summary(self) -> str:
        """One line of text for people, units stated."""
        ...


def json_ready(value: Any) -> Any:
    """``value`` as plain JSON types, recursively.

    Numpy scalars and arrays become Python numbers and lists, tuples and sets become lists,
    result records their :meth:`ResultMixin.to_dict`, other dataclasses a dict of their fields,
    DataFrames a list of row dicts, Series a list, paths a string; mapping keys become strings.
    Infinities and NaN stay floats (``json.dumps`` writes them as ``Infinity`` and ``NaN``).

    Raises:
        TypeError: for an object with no JSON form (a record with such a field overrides
            :meth:`ResultMixin.json_field`).
    """
    if type(value) in PLAIN:
        return value
    if isinstance(value, ResultMixin):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_ready(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_ready(item) for item in value]
    if isinstance(value, PurePath):
        return str(value)
    return library_json_ready(value)


def library_json_ready(value: Any) -> Any:
    """Numpy and pandas objects as plain JSON types (see :func:`json_ready`)."""
    numpy, pandas = sys.modules.get("numpy"), sys.modules.get("pandas")
    if numpy is not None and isinstance(value, numpy.generic):
        return value.item()
    if numpy is not None and isinstance(value, numpy.ndarray):
        items = value.tolist()
        return json_ready(items) if value.dtype.kind == "O" else items
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return json_ready(value.to_dict(orient="records"))
    if pandas is not None and isinstance(value, pandas.Series):
        return json_ready(value.tolist())
    if isinstance(value, bool | int | float | str):  # other subclasses (enums, ...)
        return value
    raise TypeError(f"no JSON form for a {type(value).__name__}")


def scalar_fields(record) -> dict[str, Any]:
    """The record's fields whose JSON form is a number, a string, a bool or None."""
    values = {f.name: json_ready(getattr(record, f.name)) for f in dataclasses.fields(record)}
    return {name: v for name, v in values.items() if not isinstance(v, list | dict)}


class ResultMixin:
    """Defaults of the protocol for a dataclass record.

    ``to_dict()`` maps every field name to :meth:`json_field`; ``to_frame()`` is one row of the
    scalar fields (records with rows of their own override it); ``summary()`` names the record
    and its scalar fields (records override it to state units).
    """

    def json_field(self, name: str) -> Any:
        """The JSON form of field ``name`` (override for a field :func:`json_ready` refuses)."""
        return json_ready(getattr(self, name))

    def to_dict(self) -> dict[str, Any]:
        """The record's own dataclass fields, JSON-ready (see :func:`json_ready`)."""
        return {f.name: self.json_field(f.name) for f in dataclasses.fields(self)}

    def to_frame(self):
        """One row: the record's scalar fields."""
        import pandas as pd

        return pd.DataFrame([scalar_fields(self)])

    def summary(self) -> str:
        """The record's name and scalar fields on one line."""
        shown = ", ".join(f"{name}={value}" for name, value in scalar_fields(self).items())
        return f"{type(self).__name__}: {shown}"


def number(value: float, digits: int = 4) -> str:
    """``value`` for a summary line: ``digits`` significant digits, ``inf``/``nan`` spelt out."""
    value = float(value)
    return str(value) if not math.isfinite(value) else f"{value:.{digits}g}"
