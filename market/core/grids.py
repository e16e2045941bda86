"""Grid files: a game, an experiment kind, a root seed and lists of parameters, in TOML.

::

    game = "delegation"          # which game (delegation, ttc, ...)
    kind = "profiles"            # which experiment kind of that game
    seed = 42                    # the root seed (default 42)
    seeds = 2                    # replicate seeds per configuration (default 1)

    [grid]                       # each entry: a value or a list of values
    preset = "cao2026"
    T = [100000, 1000000]
    mechanism = ["second-best-artifact", "explore-then-commit"]

The experiment is every combination of the ``[grid]`` values (their Cartesian product, in the
order written) times the replicate seeds. Mistakes are one-line errors naming the entry: an
unknown key, an empty list, a value of the wrong type, an unknown game or kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from market.core.datafiles import file_bytes, toml_document, utf8_text
from market.core.errors import UserInputError
from market.core.store_files import SHOWN_PATH
from market.core.values import count

TOP_KEYS = ("game", "kind", "seed", "seeds", "grid")
#: SQLite's largest integer: run seeds and every integer of a grid must fit in the store.
LARGEST_INTEGER = 2**63 - 1
LARGEST_SEED = LARGEST_INTEGER
#: Characters of an offending value quoted in an error, at most.
SHOWN_CHARACTERS = 40
#: How a grid given as a mapping (not a file) is named in errors.
MAPPING_NAME = "mapping"


@dataclass
class GridFile:
    """A parsed grid file; kinds take their parameters with :meth:`values`, then :meth:`done`.

    Attributes:
        path: the file.
        game: the game's name.
        kind: the experiment kind's name.
        seed: the root seed.
        seeds: replicate seeds per configuration.
        grid: the ``[grid]`` table (entries are removed as the kind reads them).
    """

    path: str
    game: str
    kind: str
    seed: int
    seeds: int
    grid: dict[str, Any] = field(default_factory=dict)

    def field(self, name: str) -> str:
        """How an entry is named in errors: ``grid.T`` (with the file)."""
        return f"{Path(self.path).name}: grid.{name}"

    def values(self, name: str, parse: Callable[[Any, str], Any], default: list | None) -> list:
        """The entry's values (a list, or one value as a list), each read by ``parse``.

        ``default`` is used when the entry is absent (None: the entry is required).
        """
        where = self.field(name)
        if name not in self.grid:
            if default is None:
                raise UserInputError(where, "a value or a list of values (required)", None)
            return list(default)
        given = self.grid.pop(name)
        items = given if isinstance(given, list) else [given]
        if not items:
            raise UserInputError(where, "a non-empty list", given)
        values = [parse(item, where) for item in items]
        seen: set[str] = set()
        for value in values:
            if repr(value) in seen:
                raise UserInputError(where, "distinct values", short(value), note="given twice")
            seen.add(repr(value))
        return values

    def checked(self, entry: str, build: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``build(*args, **kwargs)``, its one-line error re-worded to name the grid ``entry``."""
        try:
            return build(*args, **kwargs)
        except UserInputError as error:
            raise UserInputError(
                f"{self.field(entry)} ({error.field})", error.expected, error.given
            ) from None

    def done(self, known: Sequence[str]) -> None:
        """Refuse any ``[grid]`` entry the kind did not read (``known``: its parameters)."""
        if self.grid:
            unknown = sorted(self.grid)[0]
            raise UserInputError(
                self.field(short(unknown)),
                f"a parameter of {self.game}/{self.kind}: {', '.join(known)}",
                short(unknown),
            )


def read_grid(path) -> GridFile:
    """Read and check a grid file's top level (the kind checks ``[grid]``)."""
    where = str(path)
    file = Path(path)
    try:
        found = file.is_file()
    except OSError:  # a name too long, a loop of links
        found = False
    if not found:
        raise UserInputError("grid", "an existing TOML grid file", short(where, SHOWN_PATH))
    expected = "an existing TOML grid file (readable, UTF-8)"
    content = file_bytes(file, "grid", expected)
    text = utf8_text(content, "grid", expected, short(where, SHOWN_PATH))
    data = toml_document(text, short(file.name, SHOWN_PATH))
    return grid_of(data, where)


def grid_from_mapping(mapping) -> GridFile:
    """A grid given as a mapping with a grid file's structure, checked exactly like the file.

    Errors name the entry after :data:`MAPPING_NAME` (``mapping: grid.T``) where a file's
    would name the file.
    """
    if not isinstance(mapping, Mapping):
        raise UserInputError("grid", "a TOML grid file's path or a mapping", short(mapping))
    return grid_of(dict(mapping), MAPPING_NAME)


def grid_of(data: dict, where: str) -> GridFile:
    """Check a grid document's top level (read from the file ``where``, or a mapping)."""
    name = Path(where).name
    unknown = sorted(set(data) - set(TOP_KEYS), key=str)
    if unknown:
        first = short(unknown[0])
        raise UserInputError(f"{name}: {first}", f"one of {', '.join(TOP_KEYS)}", first)
    for key in ("game", "kind"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise UserInputError(f"{name}: {key}", "a name (text)", short(data.get(key)))
        data[key] = short(data[key], SHOWN_CHARACTERS * 2)
    grid = data.get("grid", {})
    if not isinstance(grid, dict):
        raise UserInputError(f"{name}: grid", "a [grid] table", short(grid))
    return GridFile(
        path=where,
        game=data["game"],
        kind=data["kind"],
        seed=whole(data.get("seed", 42), f"{name}: seed", minimum=0, maximum=LARGEST_SEED),
        seeds=whole(data.get("seeds", 1), f"{name}: seeds", minimum=1),
        grid=dict(grid),
    )


def whole(value, where: str, minimum: int = 1, maximum: int = LARGEST_INTEGER) -> int:
    """An integer from ``minimum`` to ``maximum`` given as a TOML integer (or text like "1e6").

    ``maximum`` defaults to SQLite's largest integer: every integer of a grid reaches the store
    (a run's seed, its configuration, its rows), so a larger one is refused here, naming the
    entry, before any store exists.
    """
    if isinstance(value, float | bool) or not isinstance(value, int | str):
        raise UserInputError(where, f"an integer >= {minimum}", short(value))
    if isinstance(value, str):
        value = short(value, SHOWN_CHARACTERS * 2)
    number = count(value, where, minimum=minimum)
    if number > maximum:
        raise UserInputError(where, f"an integer from {minimum} to {maximum}", short(number))
    return number


def short(value, most: int = SHOWN_CHARACTERS):
    """A value to quote in an error: itself if short, else its first ``most`` characters."""
    if isinstance(value, str):
        return value if len(value) <= most else value[:most] + "..."
    text = repr(value)
    return value if len(text) <= most else text[:most] + "..."


def text(value, where: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise UserInputError(where, "a name (text)", short(value))
    return value.strip()


def real(value, where: str) -> float:
    """A finite number (TOML integer or float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserInputError(where, "a number", short(value))
    if value != value or value in (float("inf"), float("-inf")):
        raise UserInputError(where, "a finite number", value)
    return float(value)
