"""What a delegation market is made of, without its strategies: scenarios and their checks.

A :class:`DelegationScenario` fixes everything about a delegation market except the providers'
strategies and the seed: the mechanism, the providers and their menus of models, each model's
cost (its list price), ``T``, ``eps``, the provider-utility scale ``eta``, the reward bound
``R``, the length bound ``L`` and the response records. :func:`validate_scenario` checks one;
every problem raises a :class:`~market.core.errors.UserInputError` naming the field (and the
file, for a TOML scenario). The TOML format and the shipped presets are in
:mod:`market.delegation.scenarios`.

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Sec. 3 (the game) and Sec. 6.1 (the
    experiment); ``docs/delegation-variant.md`` (the mechanisms).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from market.core.datafiles import DataFile
from market.core.errors import UserInputError
from market.delegation.responses import (
    NEGATIVE_TOKEN_POLICIES,
    ResponseTable,
    load_records,
    shipped_table,
)
from mechanisms.delegation import (
    MECHANISMS,
    check_eps,
    check_horizon,
    check_max_length,
    check_reward_bound,
)
from mechanisms.delegation.base import is_finite_number

#: What a price for a model on no menu was expected to be, without the file's model names.
ON_A_MENU = "prices only for models on some provider's menu"


@dataclass(frozen=True)
class ProviderSpec:
    """One provider: a name and its menu of models (cost options).

    Attributes:
        name: Display name, e.g. ``"provider 1"``.
        models: Its menu, e.g. ``("gpt-5-high", "deepseek-r1", "gpt-5-medium")``.
    """

    name: str
    models: tuple[str, ...]

    def __post_init__(self) -> None:
        if isinstance(self.models, str):
            object.__setattr__(self, "models", (self.models,))
        else:
            object.__setattr__(self, "models", tuple(self.models))


@dataclass(frozen=True)
class DelegationScenario:
    """A delegation market without its strategies: mechanism, providers, costs and horizon.

    Attributes:
        name: Scenario name.
        description: One or two sentences for people.
        mechanism: A mechanism registry name: ``"second-best"`` (Mechanism 1 as printed),
            ``"second-best-artifact"`` (the authors' simulator) or ``"explore-then-commit"``;
            see ``docs/delegation-variant.md``.
        providers: The K providers, provider 1 first.
        prices: Model -> output USD per 1M tokens, the cost ``c_m`` of that model.
        T: Number of queries.
        eps: ``epsilon`` in (0, 1/2).
        eta: Provider-utility scale (1 in the paper, 0.9 in the authors' simulator).
        reward_bound: ``R``.
        max_length: ``L``; None means the largest length in :meth:`table` (38,058 for the
            shipped records, as in Sec. 6.1). A smaller L caps the true lengths (Section
            3.1); the simulation does the capping, this class only validates.
        data: The records: a path, a :class:`~market.core.datafiles.DataFile` held in memory
            (an upload), or None for the shipped NLGraph max-flow table.
        negative_tokens: Policy for negative token counts in the records.

    References:
        Cao et al. (2026), Sec. 3 (the game) and Sec. 6.1 (the experiment).
    """

    name: str
    description: str
    mechanism: str
    providers: tuple[ProviderSpec, ...]
    prices: Mapping[str, float]
    T: int = 1_000_000
    eps: float = 0.3
    eta: float = 1.0
    reward_bound: float = 1.0
    max_length: int | None = None
    data: str | DataFile | None = None
    negative_tokens: str = "clip"

    def __post_init__(self) -> None:
        object.__setattr__(self, "providers", tuple(self.providers))
        object.__setattr__(self, "prices", MappingProxyType(dict(self.prices)))
        if self.data is not None and not isinstance(self.data, str | DataFile):
            object.__setattr__(self, "data", str(self.data))

    def __reduce__(self) -> tuple[type, tuple]:
        values = [getattr(self, f.name) for f in dataclasses.fields(self)]
        values[4] = dict(self.prices)  # a mappingproxy does not pickle (sweeps use processes)
        return (DelegationScenario, tuple(values))

    @property
    def models(self) -> tuple[str, ...]:
        """Every model on some provider's menu, in order of first appearance."""
        return tuple(dict.fromkeys(m for p in self.providers for m in p.models))

    def table(self) -> ResponseTable:
        """The response records, restricted to :attr:`models` (in that order)."""
        return _records(self.data, self.negative_tokens, self.reward_bound, self.models)

    def length_bound(self) -> int:
        """``L``: :attr:`max_length` if set, else the largest length in :meth:`table`."""
        return self.max_length if self.max_length is not None else self.table().max_length

    def replace(self, **changes: Any) -> DelegationScenario:
        """A validated copy with ``changes`` (e.g. ``T=10_000, eps=0.25``)."""
        fields = [f.name for f in dataclasses.fields(self)]
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise UserInputError(
                "scenario field", f"one of {', '.join(fields)}", ", ".join(unknown)
            )
        changed = dataclasses.replace(self, **changes)
        validate_scenario(changed)
        return changed


def _records(
    data: str | DataFile | None,
    negative_tokens: str,
    reward_bound: float,
    models: tuple[str, ...] | None,
) -> ResponseTable:
    """The records (shipped or ``data``) for ``models`` (None: every model in them)."""
    if data is None:
        return shipped_table(negative_tokens, models)
    if isinstance(data, DataFile):
        return _cached_file_records(data, negative_tokens, float(reward_bound), models)
    path = Path(data)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0  # load_records reports the missing file
    return _cached_records(str(path.resolve()), stamp, negative_tokens, float(reward_bound), models)


@functools.lru_cache(maxsize=8)
def _cached_records(
    path: str,
    stamp: int,
    negative_tokens: str,
    reward_bound: float,
    models: tuple[str, ...] | None,
) -> ResponseTable:
    """Records of a file, cached until the file changes (``stamp`` is its mtime)."""
    return load_records(path, negative_tokens, reward_bound, models)


@functools.lru_cache(maxsize=8)
def _cached_file_records(
    file: DataFile, negative_tokens: str, reward_bound: float, models: tuple[str, ...] | None
) -> ResponseTable:
    """Records of a file held in memory, cached by the file itself (its name and bytes)."""
    return load_records(file, negative_tokens, reward_bound, models)


def _check_text(field_name: str, value: object) -> None:
    if not isinstance(value, str):
        raise UserInputError(field_name, "text", value)


def _check_providers(providers: tuple[ProviderSpec, ...], where: str) -> None:
    if len(providers) < 2:
        raise UserInputError(f"{where}providers", "at least 2 providers (K >= 2)", len(providers))
    names = [p.name for p in providers]
    for i, provider in enumerate(providers, start=1):
        field_name = f"{where}providers[{i}]"
        if not isinstance(provider, ProviderSpec):
            raise UserInputError(field_name, "a ProviderSpec(name, models)", provider)
        if not isinstance(provider.name, str) or not provider.name.strip():
            raise UserInputError(f"{field_name}.name", "a non-empty name", provider.name)
        if provider.name in names[: i - 1]:
            raise UserInputError(
                f"{field_name}.name", "a name no other provider has", provider.name
            )
        if not provider.models:
            raise UserInputError(f"{field_name}.models", "at least one model", provider.models)
        if any(not isinstance(m, str) or not m for m in provider.models):
            raise UserInputError(f"{field_name}.models", "model names (text)", provider.models)
        if len(set(provider.models)) != len(provider.models):
            raise UserInputError(f"{field_name}.models", "each model once", provider.models)


def _check_numbers(s: DelegationScenario, where: str) -> None:
    check_horizon(s.T, f"{where}T")
    check_eps(s.eps, f"{where}eps")
    if not is_finite_number(s.eta) or s.eta <= 0:
        raise UserInputError(f"{where}eta", "a number > 0 (provider-utility scale)", s.eta)
    check_reward_bound(s.reward_bound, f"{where}reward_bound")
    if s.max_length is not None:
        check_max_length(s.max_length, f"{where}max_length")
    if s.negative_tokens not in NEGATIVE_TOKEN_POLICIES:
        raise UserInputError(
            f"{where}negative_tokens",
            f"one of {', '.join(NEGATIVE_TOKEN_POLICIES)}",
            s.negative_tokens,
        )


def _check_prices(s: DelegationScenario, where: str) -> None:
    used = s.models
    for model in used:
        if model not in s.prices:
            raise UserInputError(
                f"{where}prices",
                f"a price (USD per 1M output tokens) for {model}",
                None,
                note="no shipped list price; give one under [prices]",
                expected_without_values="a price (USD per 1M output tokens) for each model",
            )
        price = s.prices[model]
        if not is_finite_number(price) or price <= 0:
            raise UserInputError(
                f"{where}prices.{model}",
                "a price > 0 (USD per 1M)",
                price,
                field_without_values=f"{where}prices.<model>",
            )
    unused = [m for m in s.prices if m not in used]
    if unused:
        raise UserInputError(
            f"{where}prices",
            f"prices only for models on some provider's menu ({', '.join(used)})",
            ", ".join(unused),
            expected_without_values=ON_A_MENU,
        )


def _check_table(s: DelegationScenario, where: str) -> None:
    table = _records(s.data, "clip", s.reward_bound, None)  # policy applies to the used models
    for i, provider in enumerate(s.providers, start=1):
        for model in provider.models:
            if model not in table.models:
                raise UserInputError(
                    f"{where}providers[{i}].models",
                    f"models in the records ({', '.join(table.models)})",
                    model,
                    note=f"records: {table.source}",
                    expected_without_values="models in the records",
                )
    used = _records(s.data, s.negative_tokens, s.reward_bound, s.models)
    if used.reward.size and float(used.reward.max()) > s.reward_bound:
        raise UserInputError(
            f"{where}reward_bound",
            f"R at least the largest reward in the records ({float(used.reward.max()):g})",
            s.reward_bound,
        )


def validate_scenario(s: DelegationScenario, where: str = "") -> None:
    """Check a scenario; every problem raises a UserInputError naming the field.

    Checks: K >= 2 providers with unique names and non-empty menus; ``eps`` in (0, 1/2)
    exclusive; ``T`` a positive integer; ``eta > 0``; ``R > 0`` and no reward above it;
    ``L`` (if set) a positive integer (lengths above it are capped by the simulation, spec
    section 1: "all lengths are capped by L"); a known mechanism and
    negative-token policy; every model in the records; every model priced, prices > 0.

    Args:
        s: The scenario.
        where: Prefix for field names in messages (e.g. ``"my.toml: "``).
    """
    _check_text(f"{where}name", s.name)
    if not s.name.strip():
        raise UserInputError(f"{where}name", "a non-empty name", s.name)
    _check_text(f"{where}description", s.description)
    MECHANISMS.get(s.mechanism, field=f"{where}mechanism")
    _check_providers(s.providers, where)
    _check_numbers(s, where)
    _check_prices(s, where)
    _check_table(s, where)
