"""A small registry of named classes (strategies, mechanisms, presets).

Filtered lists are derived from each entry's ``classifier`` dict, never kept by hand
(STYLE.md, item 1). A registry can be extended from outside the package (a notebook, a script,
a module of your own), scoped to a block of code, and told to replace an entry::

    from agents.delegation.strategies import STRATEGIES

    with STRATEGIES.scoped():  # registrations made inside are undone on exit
        STRATEGIES.register(MyStrategy)  # MyStrategy.name == "my-strategy"
        ...  # runs and sweeps that name "my-strategy"

Installed packages add entries through entry points (:mod:`market.core.plugins`): a registry
reads its group (``llm_market.<game>.<kind>``, e.g. ``llm_market.delegation.strategies``) on its
first lookup, listing or iteration, so importing the package imports no plugin. A loaded plugin
is an ordinary entry; a broken one is skipped with one :class:`~market.core.plugins.PluginWarning`.

Worker processes that are not forked start from a fresh import of the package, so they see
only the registrations the package makes itself; :func:`registrations_for_workers` and
:func:`restore_registrations` carry the others to them (see :mod:`market.core.parallel`).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, overload

from market.core import plugins
from market.core.errors import UserInputError

#: Every registry created, for the workers (:func:`registrations_for_workers`).
REGISTRIES: weakref.WeakSet[Registry] = weakref.WeakSet()


def creating_module() -> str:
    """The name of the module whose code called ``Registry(...)`` (typing's alias skipped)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") in (__name__, "typing"):
        frame = frame.f_back
    return "" if frame is None else frame.f_globals.get("__name__", "")


def dotted_name(entry: object) -> str:
    """``module.qualname`` of a class (or of an instance's class)."""
    cls = entry if isinstance(entry, type) else type(entry)
    return f"{cls.__module__}.{cls.__qualname__}"


def same_definition(old: object, new: object) -> bool:
    """Whether ``new`` is ``old`` or a new definition of it (a notebook cell run again)."""
    if old is new:
        return True
    return isinstance(old, type) and isinstance(new, type) and dotted_name(old) == dotted_name(new)


class Registry[T]:
    """Named entries of one kind, looked up by name with a helpful error.

    Examples:
        >>> STRATEGIES = Registry("strategy")
        >>> @STRATEGIES.register
        ... class Mine:
        ...     name = "mine"
        >>> STRATEGIES.names()
        ['mine']
        >>> with STRATEGIES.scoped():
        ...     @STRATEGIES.register(replace=True)
        ...     class Other:
        ...         name = "mine"
        ...     STRATEGIES.get("mine").__name__
        'Other'
        >>> STRATEGIES.get("mine").__name__
        'Mine'
    """

    def __init__(self, kind: str, group: str | None = None):
        """An empty registry.

        Args:
            kind: What its entries are, for messages (``"strategy"``, ``"mechanism"``).
            group: The entry-point group its plugins are read from; by default
                ``llm_market.<game>.<kinds>`` for a registry of the games' packages
                (:func:`market.core.plugins.entry_point_group`), none elsewhere.
        """
        self.kind = kind
        self._entries: dict[str, T] = {}
        self.module = creating_module()
        self.group = group or plugins.entry_point_group(self.module, kind)
        self._plugins_read = self.group is None
        REGISTRIES.add(self)

    @overload
    def register(self, entry: T, /, *, replace: bool = False) -> T: ...

    @overload
    def register(self, entry: None = None, /, *, replace: bool = False) -> Callable[[T], T]: ...

    def register(self, entry=None, /, *, replace=False):
        """Add ``entry`` under its ``name``; usable as ``@register`` or ``@register(replace=True)``.

        Registering again the entry already under that name, or a new definition of it (same
        module and qualified name: a notebook cell run twice), replaces it silently. Another
        entry under a taken name is refused unless ``replace=True``. A replaced entry keeps
        its place in :meth:`names`.

        Args:
            entry: The class (or object) to add; it must have a non-empty ``name``. Omitted,
                ``register`` returns a decorator.
            replace: Replace whatever is registered under that name.

        Returns:
            ``entry`` itself (so it works as a class decorator), or the decorator.

        Raises:
            TypeError: ``entry`` has no name.
            UserInputError: the name is taken by another entry and ``replace`` is False.
        """
        if entry is None:
            return lambda later: self.register(later, replace=replace)
        name = getattr(entry, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{self.kind} {entry!r} has no name")
        old = self._entries.get(name)
        if old is not None and not replace and not same_definition(old, entry):
            raise UserInputError(
                f"{self.kind} {name!r}",
                f"a name not registered yet, or register(..., replace=True) to replace "
                f"{dotted_name(old)}",
                dotted_name(entry),
                note="registered twice",
            )
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> T:
        """Remove and return the entry called ``name`` (an unknown name raises, listing all)."""
        entry = self.get(name)
        del self._entries[name]
        return entry

    @contextlib.contextmanager
    def scoped(self) -> Iterator[Registry[T]]:
        """A block whose registrations, replacements and removals are undone on exit.

        Examples:
            >>> KINDS = Registry("kind")
            >>> class Temporary:
            ...     name = "temporary"
            >>> with KINDS.scoped():
            ...     _ = KINDS.register(Temporary)
            ...     "temporary" in KINDS
            True
            >>> "temporary" in KINDS
            False

        Yields:
            This registry.
        """
        self._read_plugins()  # read now, so that leaving the block keeps them
        saved = dict(self._entries)
        try:
            yield self
        finally:
            self._entries.clear()
            self._entries.update(saved)

    def get(self, name: str, field: str | None = None) -> T:
        """The entry called ``name``; an unknown name raises a ``UserInputError`` listing all.

        A name already registered is found without reading the plugins (the package's own
        presets look their mechanism up on import); any other name reads them first.
        """
        if name not in self._entries:
            self._read_plugins()
        try:
            return self._entries[name]
        except KeyError:
            raise UserInputError(
                field or self.kind, f"one of {', '.join(self.names())}", name
            ) from None

    def names(self) -> list[str]:
        """All registered names, in registration order (plugins after the package's own)."""
        self._read_plugins()
        return list(self._entries)

    def filter(self, predicate: Callable[[dict[str, Any]], bool]) -> list[T]:
        """Entries whose ``classifier`` dict satisfies ``predicate``."""
        self._read_plugins()
        return [e for e in self._entries.values() if predicate(getattr(e, "classifier", {}))]

    def added_from_outside(self) -> list[tuple[str, T]]:
        """Entries defined outside the package that made this registry (by a user or a plugin)."""
        package = self.module.partition(".")[0]
        return [
            (name, entry)
            for name, entry in self._entries.items()
            if dotted_name(entry).partition(".")[0] != package
        ]

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}) of {self.module}"

    def __iter__(self) -> Iterator[T]:
        self._read_plugins()
        return iter(list(self._entries.values()))

    def __contains__(self, name: object) -> bool:
        if name not in self._entries:
            self._read_plugins()
        return name in self._entries

    def __len__(self) -> int:
        self._read_plugins()
        return len(self._entries)

    # ---- plugins (entry points) ------------------------------------------------------------

    def _read_plugins(self) -> None:
        """Load this registry's entry points, once (the first lookup, listing or iteration)."""
        if not self._plugins_read:
            self._plugins_read = True  # first: a plugin's own import may look names up
            self.load_plugins()

    def load_plugins(self) -> list[str]:
        """Register every installed entry point of :attr:`group`; returns the names added.

        Called by the first lookup, listing or iteration; call it again after installing a
        package in a running process (and ``plugins.installed_entry_points.cache_clear()``).
        A plugin that cannot join is skipped with one :class:`~market.core.plugins.PluginWarning`
        naming it; an entry point whose entry is already registered (the same definition) is
        skipped silently.

        Returns:
            The names registered, in the order they were.
        """
        self._plugins_read = True
        if self.group is None or plugins.autoload_disabled():
            return []
        shipped = list(self._entries.values())  # what a plugin must resemble
        added = []
        for entry_point in plugins.group_entry_points(self.group):
            loaded, entry = plugins.load_entry_point(entry_point)
            if loaded and self._join(entry_point, entry, shipped):
                added.append(entry_point.name)
        return added

    def _join(self, entry_point: Any, entry: Any, shipped: list[T]) -> bool:
        """Register a loaded plugin entry, or warn why not; whether it was registered."""
        old = self._entries.get(entry_point.name)
        if old is not None and same_definition(old, entry):
            return False
        reason = plugins.why_unfit(entry, entry_point, shipped)
        if reason is None and old is not None:
            reason = f"the name {entry_point.name!r} is taken by {dotted_name(old)}"
        if reason is not None:
            plugins.warn_broken(entry_point, reason)
            return False
        self._entries[entry_point.name] = entry
        return True

    def own_entries(self) -> list[tuple[str, T]]:
        """Entries defined in the package that made this registry (its shipped ones)."""
        outside = {name for name, _ in self.added_from_outside()}
        return [(name, entry) for name, entry in self._entries.items() if name not in outside]


# ---- carrying registrations to worker processes that are not forked ------------------------


@dataclass(frozen=True)
class RegistryState:
    """One registry's names in order, for a worker: where to find it and what to put back.

    Attributes:
        module: The module that holds the registry (imported by the worker).
        attribute: The registry's name in that module.
        entries: ``(name, entry)`` in order; ``entry`` is None where the worker's own import
            registers the same entry (only entries from outside the package travel).
    """

    module: str
    attribute: str
    entries: tuple[tuple[str, Any], ...]


def importable(entry: object) -> bool:
    """Whether a fresh process finds ``entry``'s class again by module and qualified name."""
    cls = entry if isinstance(entry, type) else type(entry)
    module = sys.modules.get(cls.__module__)
    if cls.__module__ == "__main__" or getattr(module, "__spec__", None) is None:
        return False
    found: object = module
    for part in cls.__qualname__.split("."):
        found = getattr(found, part, None)
    return found is cls


def registry_attribute(registry: Registry) -> str | None:
    """The name ``registry`` has in the module that created it (None: it has none there)."""
    module = sys.modules.get(registry.module)
    if registry.module == "__main__" or module is None:
        return None
    return next((key for key, value in vars(module).items() if value is registry), None)


def unreachable_error(kind: str, name: str, entry: object) -> UserInputError:
    """Why a worker started afresh cannot run ``entry``, and what to do instead."""
    cls = entry if isinstance(entry, type) else type(entry)
    return UserInputError(
        "jobs",
        f"{cls.__name__} defined in a .py module and imported from there, or jobs=1",
        note=f"{kind} {name!r} is {dotted_name(entry)}, which worker processes cannot import: "
        "they are started afresh, not forked, when this process runs threads (as Jupyter does)",
    )


def registrations_for_workers(by_value: bool = False) -> tuple[RegistryState, ...]:
    """Registrations made from outside the package, for workers that are not forked.

    Args:
        by_value: The workers receive classes by value (Dask's cloudpickle), so a class
            defined in a notebook travels too; else by module and qualified name.

    Returns:
        One :class:`RegistryState` per registry holding such an entry (none in a plain run).

    Raises:
        UserInputError: an entry a worker could not import (a class defined in a notebook or
            in a function), naming it and saying what to do.
    """
    states = []
    for registry in sorted(REGISTRIES, key=lambda r: (r.module, r.kind)):
        outside = dict(registry.added_from_outside())
        attribute = registry_attribute(registry)
        if not outside or attribute is None:
            continue
        for name, entry in outside.items():
            if not by_value and not importable(entry):
                raise unreachable_error(registry.kind, name, entry)
        entries = tuple((name, outside.get(name)) for name in registry.names())
        states.append(RegistryState(registry.module, attribute, entries))
    return tuple(states)


def restore_registrations(states: tuple[RegistryState, ...]) -> None:
    """In a worker: make each registry hold what the parent's held (its names, in order)."""
    for state in states:
        registry = getattr(importlib.import_module(state.module), state.attribute)
        registry._plugins_read = True  # the parent's names, plugins included, are the truth
        own = dict(registry._entries)
        registry._entries.clear()
        for name, entry in state.entries:
            if entry is not None or name in own:
                registry._entries[name] = own[name] if entry is None else entry
