"""One provider numbering and one column name per provider, in every game.

Providers are numbered from 1, as the papers, the figures, the CLI, the JSON and the dashboard
show them ("Provider 1"). Every public Python argument and record field that identifies a
provider (``provider``, ``chosen``, ...) uses that number; arrays inside the engines stay
0-based, and :func:`provider_index` is the one place a number becomes an index.

A model's DataCollector names a per-provider quantity ``<quantity>[Provider <k>]``
(:func:`provider_column`), e.g. ``utility[Provider 1]``, so the same quantity has the same
column in every game.
"""

from __future__ import annotations

import numbers

from market.core.errors import UserInputError


def provider_column(quantity: str, provider: int) -> str:
    """The DataCollector column of ``quantity`` for ``provider`` (numbered from 1).

    Args:
        quantity: the quantity's name, e.g. ``"utility"``.
        provider: the provider's number, from 1.

    Returns:
        ``"<quantity>[Provider <provider>]"``.
    """
    return f"{quantity}[Provider {provider}]"


def provider_index(provider, n_providers: int, field: str = "provider") -> int:
    """The 0-based array index of ``provider``, a number from 1 to ``n_providers``.

    Args:
        provider: the provider's number as the user gave it (from 1).
        n_providers: how many providers the market has.
        field: the argument's name as the user typed it, for the error.

    Returns:
        ``provider - 1``.

    Raises:
        UserInputError: ``provider`` is not a whole number from 1 to ``n_providers`` (a
            0-based index of older scripts, 0, fails here rather than naming another provider).
    """
    expected = f"a provider from 1 to {n_providers} (providers are numbered from 1)"
    whole = isinstance(provider, numbers.Integral) and not isinstance(provider, bool)
    if not whole or not 1 <= int(provider) <= n_providers:
        raise UserInputError(field, expected, provider)
    return int(provider) - 1
