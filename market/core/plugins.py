"""Plugins: strategies, mechanisms and learners that installed packages add through entry points.

A package that installs beside llm-market declares its entries in its ``pyproject.toml``, one
line per entry, in the group of the registry it joins; the line's name is the entry's registry
name and its value the ``module:attribute`` of the class::

    [project.entry-points."llm_market.delegation.strategies"]
    late-cheapest = "llm_market_extras.strategies:LateCheapest"

    [project.entry-points."llm_market.delegation.mechanisms"]
    explore-then-commit-t23 = "llm_market_extras.mechanisms:ExploreThenCommitT23"

A registry's group is ``llm_market.<game>.<kind>`` (:func:`entry_point_group`): the game is in
the group's name, not in the class, so that a registry imports only its own game's plugins, the
line alone says where the entry goes, and TTC's two strategy registries (provider and bidding)
stay apart. The groups of the shipped registries are:

=====================================  ================================================
``llm_market.delegation.strategies``   delegation provider strategies
``llm_market.delegation.mechanisms``   delegation mechanisms
``llm_market.ttc.provider_strategies`` TTC provider strategies
``llm_market.ttc.bidding_strategies``  TTC bidding strategies
``llm_market.ttc.mechanisms``          TTC market mechanisms
``llm_market.rosa.strategies``         ROSA bidding strategies
``llm_market.rosa.mechanisms``         ROSA mechanisms
``llm_market.rosa.learners``           ROSA learners
``llm_market.games``                   whole games (a ``GameDescription``, :mod:`market.games`)
=====================================  ================================================

(and ``llm_market.<game>.scenarios`` or ``.presets`` for named settings). A registry reads its
group on its first lookup, listing or iteration, never at import: ``llm-market --help`` imports
no plugin. A plugin that cannot be loaded (its module fails to import, the object is not a
subclass of what the registry holds, its name differs from the line's or is taken) is skipped
with one :class:`PluginWarning` naming it; the rest load. Setting the environment variable
``LLM_MARKET_DISABLE_PLUGIN_AUTOLOAD`` (as pytest's ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``) loads
none.
"""

from __future__ import annotations

import functools
import os
import warnings
from typing import Any

#: The first part of every entry-point group llm-market reads.
GROUP_PREFIX = "llm_market"
#: The top-level packages whose registries take plugins (``<package>.<game>.<module>``).
GAME_PACKAGES = ("agents", "mechanisms", "market")
#: Set (to anything but "" or "0") to load no plugins.
DISABLE_VARIABLE = "LLM_MARKET_DISABLE_PLUGIN_AUTOLOAD"


class PluginWarning(UserWarning):
    """An installed plugin that could not be loaded (it is skipped, the rest load)."""


def plural(kind: str) -> str:
    """``"provider strategy"`` -> ``"provider_strategies"``: a registry kind as a group part."""
    words = kind.split()
    last = words[-1]
    words[-1] = f"{last[:-1]}ies" if last.endswith("y") else f"{last}s"
    return "_".join(words)


def entry_point_group(module: str, kind: str) -> str | None:
    """The entry-point group of a registry made in ``module`` holding ``kind`` entries.

    Examples:
        >>> entry_point_group("agents.delegation.strategies", "strategy")
        'llm_market.delegation.strategies'
        >>> entry_point_group("agents.ttc.strategies", "bidding strategy")
        'llm_market.ttc.bidding_strategies'
        >>> entry_point_group("my_notebook", "strategy") is None
        True

    Returns:
        ``llm_market.<game>.<kinds>`` for a registry of one of the games' packages, else None
        (a registry made elsewhere takes no plugins unless given a ``group``).
    """
    parts = module.split(".")
    if len(parts) < 3 or parts[0] not in GAME_PACKAGES or parts[1] == "core":
        return None
    return f"{GROUP_PREFIX}.{parts[1]}.{plural(kind)}"


def autoload_disabled() -> bool:
    """Whether :data:`DISABLE_VARIABLE` asks for no plugins."""
    return os.environ.get(DISABLE_VARIABLE, "") not in ("", "0")


@functools.cache
def installed_entry_points() -> Any:
    """Every entry point of the installed distributions (read once per process).

    Call ``installed_entry_points.cache_clear()`` after installing a package in a running
    process (tests do, with a fake distribution on ``sys.path``).
    """
    from importlib.metadata import entry_points

    return entry_points()


def group_entry_points(group: str) -> list[Any]:
    """The installed entry points of ``group``, in a stable order (by distribution, name)."""
    found = installed_entry_points().select(group=group)
    return sorted(found, key=lambda ep: (distribution_name(ep), ep.name))


def distribution_name(entry_point: Any) -> str:
    """The name of the distribution that declares ``entry_point`` ("" when unknown)."""
    dist = getattr(entry_point, "dist", None)
    return "" if dist is None else str(dist.metadata["Name"] or "")


def describe(entry_point: Any) -> str:
    """``'name = module:attribute' (group G, distribution D)`` for messages."""
    dist = distribution_name(entry_point)
    origin = f"group {entry_point.group}" + (f", distribution {dist}" if dist else "")
    return f"'{entry_point.name} = {entry_point.value}' ({origin})"


def warn_broken(entry_point: Any, reason: str) -> None:
    """One :class:`PluginWarning` naming the plugin and why it was skipped."""
    message = f"llm-market plugin {describe(entry_point)} not loaded: {reason}"
    warnings.warn(
        " ".join(message.split()), PluginWarning, skip_file_prefixes=(os.path.dirname(__file__),)
    )


def kind_of(entries: list[Any]) -> type | None:
    """The most specific class every entry is (or, for classes, derives from), else None.

    Registered classes themselves are not candidates: a plugin strategy must derive from
    ``DelegationStrategy``, not from ``Ours``. For an empty list, None (no check).
    """
    if not entries:
        return None
    classes = [e if isinstance(e, type) else type(e) for e in entries]
    registered = {id(e) for e in entries}
    for candidate in classes[0].__mro__:
        if candidate is object or id(candidate) in registered:
            continue
        if all(issubclass(c, candidate) for c in classes):
            return candidate
    return None


def why_unfit(loaded: object, entry_point: Any, shipped: list[Any]) -> str | None:
    """Why ``loaded`` cannot join a registry holding ``shipped`` (None: it can)."""
    classes = bool(shipped) and all(isinstance(e, type) for e in shipped)
    if classes and not isinstance(loaded, type):
        return f"expected a class, got {type(loaded).__name__} {loaded!r:.80}"
    base = kind_of(shipped)
    cls = loaded if isinstance(loaded, type) else type(loaded)
    if base is not None and not issubclass(cls, base):
        return f"expected a subclass of {base.__module__}.{base.__qualname__}, got {cls!r}"
    name = getattr(loaded, "name", None)
    if name != entry_point.name:
        return f"its name is {name!r}, but the entry point's is {entry_point.name!r}"
    return None


def load_entry_point(entry_point: Any) -> tuple[bool, object]:
    """``(True, object)`` or ``(False, None)`` after warning: importing a plugin never fails."""
    try:
        return True, entry_point.load()
    except Exception as error:  # any failure of foreign code at import: skip it, say why
        warn_broken(entry_point, f"{type(error).__name__}: {error}")
        return False, None
