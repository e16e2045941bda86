"""A small registry of named classes (strategies, mechanisms, presets).

Filtered lists are derived from each entry's ``classifier`` dict, never kept by hand
(STYLE.md, item 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from market.core.errors import UserInputError


class Registry[T]:
    """Named entries of one kind, looked up by name with a helpful error."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        """Add ``entry`` (which must have a unique ``name``); usable as a class decorator."""
        name = getattr(entry, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{self.kind} {entry!r} has no name")
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def get(self, name: str, field: str | None = None) -> T:
        """The entry called ``name``; an unknown name raises a ``UserInputError`` listing all."""
        try:
            return self._entries[name]
        except KeyError:
            raise UserInputError(
                field or self.kind, f"one of {', '.join(self.names())}", name
            ) from None

    def names(self) -> list[str]:
        """All registered names, in registration order."""
        return list(self._entries)

    def filter(self, predicate: Callable[[dict[str, Any]], bool]) -> list[T]:
        """Entries whose ``classifier`` dict satisfies ``predicate``."""
        return [e for e in self._entries.values() if predicate(getattr(e, "classifier", {}))]

    def __iter__(self) -> Iterator[T]:
        return iter(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)
