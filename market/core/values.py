"""Reading values that users type: counts, numbers and ``LO:HI:N`` ranges.

Each function takes what the user gave (text from the CLI or the dashboard, or a Python number)
and returns a clean value, or raises a :class:`~market.core.errors.UserInputError` naming the
field, what was expected and what was given. ``None`` means "not given" wherever a function is
called ``optional_*``.
"""

from __future__ import annotations

import math
import numbers

from market.core.errors import UserInputError


def count(value, field: str, minimum: int = 1) -> int:
    """An integer ``>= minimum``, also written like ``1e6`` or ``1_000_000``."""
    expected = f"an integer >= {minimum}"
    if isinstance(value, bool):
        raise UserInputError(field, expected, value)
    if isinstance(value, numbers.Integral):
        number = int(value)
    else:
        number = integer_text(value, field, expected)
    if number < minimum:
        raise UserInputError(field, expected, value)
    return number


def integer_text(value, field: str, expected: str) -> int:
    """The integer written in ``value`` (``"42"``, ``"1e6"``, ``"1_000"``, ``1000.0``)."""
    text = str(value).strip().replace("_", "")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise UserInputError(field, expected, value) from None
    if not math.isfinite(number) or number != int(number):
        raise UserInputError(field, expected, value)
    return int(number)


def optional_count(value, field: str, minimum: int = 1) -> int | None:
    """:func:`count`, with ``None`` passed through."""
    return None if value is None else count(value, field, minimum)


def number(value, field: str, *, positive: bool = False) -> float:
    """A finite float (``positive``: also > 0)."""
    expected = "a finite positive number" if positive else "a finite number"
    if isinstance(value, bool):
        raise UserInputError(field, expected, value)
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise UserInputError(field, "a number", value) from None
    if not math.isfinite(result) or (positive and result <= 0):
        raise UserInputError(field, expected, value)
    return result


def optional_number(value, field: str, *, positive: bool = False) -> float | None:
    """:func:`number`, with ``None`` passed through."""
    return None if value is None else number(value, field, positive=positive)


def split_range(text, field: str, example: str) -> tuple[str, str, int]:
    """``LO:HI:N`` split into its bounds (as text) and a count ``N >= 1`` (``1e6`` too).

    Only N is read: the caller prices it (:mod:`market.core.pricing`) before building an array.
    """
    parts = str(text).split(":")
    if len(parts) != 3:
        raise UserInputError(field, f"LO:HI:N (e.g. {example})", text)
    points = integer_text(parts[2], field, "an integer N >= 1 in LO:HI:N")
    if points < 1:
        raise UserInputError(field, "an integer N >= 1 in LO:HI:N", text)
    return parts[0], parts[1], points


def log_spaced_counts(low: int, high: int, points: int) -> tuple[int, ...]:
    """``points`` whole numbers from ``low`` to ``high``, evenly spaced on a log scale.

    Each is rounded to the nearest integer and repeats are dropped (so fewer than ``points``
    may come back when the range is narrow), in increasing order: e.g. horizons T for a regret
    curve, ``500:8000:5`` -> 500, 1000, 2000, 4000, 8000.
    """
    import numpy as np

    values = np.unique(np.geomspace(low, high, points).round().astype(int))
    return tuple(int(v) for v in values)
