"""Named scenarios of the delegation game (Cao et al. 2026), and their TOML format.

A scenario fixes everything about a delegation market except the providers' strategies and the
seed: the mechanism, the providers and their menus of models, each model's cost (its list price),
``T``, ``eps``, the provider-utility scale ``eta``, the reward bound ``R``, the length bound
``L`` and the response records. Two presets ship with the package:

- ``cao2026``: the paper's experiment as the authors' public simulator ran it (Figures 2-4):
  mechanism ``second-best-artifact`` (spec section 4), ``eta = 0.9``, ``T = 10^6``,
  ``eps = 0.3``, the three providers of Sec. 6.1;
- ``cao2026-paper``: the same providers under Mechanism 1 as printed (``second-best``),
  ``eta = 1``.

Both are written in the TOML format below (``market/delegation/data/presets/*.toml``) and loaded
through the same code path as a user's own file (:func:`get_scenario` takes a preset name or a
path)::

    name = "cao2026"                    # required
    description = "..."                 # optional, default ""
    mechanism = "second-best-artifact"  # optional, default "second-best" (Mechanism 1)
    T = 1000000                         # optional, default 1000000
    eps = 0.3                           # optional, default 0.3; strictly between 0 and 1/2
    eta = 0.9                           # optional, default 1.0; provider-utility scale
    reward_bound = 1.0                  # optional, default 1.0; R
    # max_length = 38058                # optional; L, default the records' largest length
    # data = "records.jsonl"            # optional; CSV, JSONL, Parquet or a folder of per-model
    #                                   # JSONL files (see market.delegation.records.load_records);
    #                                   # a relative path resolves against this file's folder;
    #                                   # default: the shipped NLGraph max-flow records
    # negative_tokens = "clip"          # optional; "clip", "drop" or "error"
    [prices]                            # optional; USD per 1M output tokens (cost c_m); models
    "gpt-5-high" = 10.0                 # not listed get their shipped list price
    [[providers]]                       # at least two
    name = "provider 1"
    models = ["gpt-5-high", "deepseek-r1", "gpt-5-medium"]

Unknown keys are an error that lists the allowed ones, as is a price for a model no provider
offers. Every mistake raises a :class:`~market.core.errors.UserInputError` naming the file and key.

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Sec. 6.1 (providers, prices, T, eps,
    L); build notes ``specs/delegation.md`` sections 2 and 4.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from market.core.errors import UserInputError
from market.core.registry import Registry
from market.delegation.records import (
    NEGATIVE_TOKEN_POLICIES,
    PRICES,
    ResponseTable,
    load_records,
    shipped_table,
)

#: The mechanisms named in the contract; used only if the mechanism registry cannot be imported.
CONTRACT_MECHANISMS = ("second-best", "second-best-artifact", "explore-then-commit")
TOP_LEVEL_KEYS = (
    "name",
    "description",
    "mechanism",
    "T",
    "eps",
    "eta",
    "reward_bound",
    "max_length",
    "data",
    "negative_tokens",
    "prices",
    "providers",
)
PROVIDER_KEYS = ("name", "models")


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
            ``"second-best-artifact"`` (spec section 4) or ``"explore-then-commit"``.
        providers: The K providers, provider 1 first.
        prices: Model -> output USD per 1M tokens, the cost ``c_m`` of that model.
        T: Number of queries.
        eps: ``epsilon`` in (0, 1/2).
        eta: Provider-utility scale (1 in the paper, 0.9 in the authors' simulator).
        reward_bound: ``R``.
        max_length: ``L``; None means the largest length in :meth:`table` (38,058 for the
            shipped records, as in Sec. 6.1). A smaller L caps the true lengths (spec
            section 1); the simulation does the capping, this class only validates.
        data: Path to records; None means the shipped NLGraph max-flow table.
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
    data: str | None = None
    negative_tokens: str = "clip"

    def __post_init__(self) -> None:
        object.__setattr__(self, "providers", tuple(self.providers))
        object.__setattr__(self, "prices", MappingProxyType(dict(self.prices)))
        if self.data is not None and not isinstance(self.data, str):
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
    data: str | None, negative_tokens: str, reward_bound: float, models: tuple[str, ...] | None
) -> ResponseTable:
    """The records (shipped or ``data``) for ``models`` (None: every model in them)."""
    if data is None:
        return shipped_table(negative_tokens, models)
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


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def known_mechanisms() -> list[str]:
    """Names in the mechanism registry (the contract's names if it cannot be imported)."""
    try:
        from mechanisms.delegation.rules import MECHANISMS
    except ModuleNotFoundError:  # the mechanisms package is absent: fall back to the contract
        return list(CONTRACT_MECHANISMS)
    return MECHANISMS.names()


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
    if not _is_integer(s.T) or s.T < 1:
        raise UserInputError(f"{where}T", "a positive integer number of queries", s.T)
    if not _is_number(s.eps) or not 0 < s.eps < 0.5:
        raise UserInputError(f"{where}eps", "a number strictly between 0 and 1/2", s.eps)
    if not _is_number(s.eta) or s.eta <= 0:
        raise UserInputError(f"{where}eta", "a number > 0 (provider-utility scale)", s.eta)
    if not _is_number(s.reward_bound) or s.reward_bound <= 0:
        raise UserInputError(f"{where}reward_bound", "a number R > 0", s.reward_bound)
    if s.max_length is not None and (not _is_integer(s.max_length) or s.max_length < 1):
        raise UserInputError(f"{where}max_length", "a positive integer L (tokens)", s.max_length)
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
            )
        price = s.prices[model]
        if not _is_number(price) or price <= 0:
            raise UserInputError(f"{where}prices.{model}", "a price > 0 (USD per 1M)", price)
    unused = [m for m in s.prices if m not in used]
    if unused:
        raise UserInputError(
            f"{where}prices",
            f"prices only for models on some provider's menu ({', '.join(used)})",
            ", ".join(unused),
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
    mechanisms = known_mechanisms()
    if s.mechanism not in mechanisms:
        raise UserInputError(f"{where}mechanism", f"one of {', '.join(mechanisms)}", s.mechanism)
    _check_providers(s.providers, where)
    _check_numbers(s, where)
    _check_prices(s, where)
    _check_table(s, where)


# ---------------------------------------------------------------------------------------------
# TOML
# ---------------------------------------------------------------------------------------------


def _key(table: Mapping[str, Any], key: str, where: str, kind: str, default: Any = None) -> Any:
    """``table[key]`` checked to be of ``kind`` ("text", "integer", "number", ...)."""
    if key not in table:
        return default
    value = table[key]
    checks = {
        "text": lambda v: isinstance(v, str),
        "integer": lambda v: _is_integer(v) or (_is_number(v) and float(v).is_integer()),
        "number": _is_number,
    }
    if not checks[kind](value):
        raise UserInputError(f"{where}{key}", f"a TOML {kind}", value)
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    return value


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise UserInputError(
            f"{where}{unknown[0]}",
            f"one of the keys {', '.join(allowed)}",
            unknown[0],
            note="unknown key",
        )


def _providers_from_toml(raw: object, where: str) -> tuple[ProviderSpec, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise UserInputError(
            f"{where}providers", "an array of tables [[providers]] with name and models", raw
        )
    providers = []
    for i, entry in enumerate(raw, start=1):
        at = f"{where}providers[{i}]."
        _check_keys(entry, PROVIDER_KEYS, at)
        name = _key(entry, "name", at, "text", default=f"provider {i}")
        models = entry.get("models")
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            raise UserInputError(f"{at}models", "a list of model names", models)
        providers.append(ProviderSpec(name, tuple(models)))
    return tuple(providers)


def _prices_from_toml(raw: object, models: tuple[str, ...], where: str) -> dict[str, float]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UserInputError(f"{where}prices", "a table of model = USD per 1M output tokens", raw)
    given = {str(m): _key(raw, m, f"{where}prices.", "number") for m in raw}
    unused = [m for m in given if m not in models]
    if unused:
        raise UserInputError(
            f"{where}prices",
            f"prices only for models on some provider's menu ({', '.join(models)})",
            ", ".join(unused),
        )
    defaults = {m: PRICES[m] for m in models if m in PRICES}
    return defaults | given  # a model with neither is reported by validate_scenario


def scenario_from_toml(path: str | Path) -> DelegationScenario:
    """Read and validate a scenario from a TOML file (format in the module docstring)."""
    path = Path(path)
    where = f"{path}: "
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise UserInputError("scenario", "an existing .toml file", str(path)) from None
    except tomllib.TOMLDecodeError as error:
        raise UserInputError(str(path), "valid TOML", note=str(error)) from None
    _check_keys(raw, TOP_LEVEL_KEYS, where)
    if "name" not in raw:
        raise UserInputError(f"{where}name", "a scenario name (required key)")
    if "providers" not in raw:
        raise UserInputError(f"{where}providers", "[[providers]] tables (required)")
    providers = _providers_from_toml(raw["providers"], where)
    models = tuple(dict.fromkeys(m for p in providers for m in p.models))
    data = _key(raw, "data", where, "text")
    if data is not None and not Path(data).is_absolute():
        data = str((path.parent / data).resolve())
    scenario = DelegationScenario(
        name=_key(raw, "name", where, "text"),
        description=_key(raw, "description", where, "text", default=""),
        mechanism=_key(raw, "mechanism", where, "text", default="second-best"),
        providers=providers,
        prices=_prices_from_toml(raw.get("prices"), models, where),
        T=_key(raw, "T", where, "integer", default=1_000_000),
        eps=_key(raw, "eps", where, "number", default=0.3),
        eta=_key(raw, "eta", where, "number", default=1.0),
        reward_bound=_key(raw, "reward_bound", where, "number", default=1.0),
        max_length=_key(raw, "max_length", where, "integer"),
        data=data,
        negative_tokens=_key(raw, "negative_tokens", where, "text", default="clip"),
    )
    validate_scenario(scenario, where)
    return scenario


# ---------------------------------------------------------------------------------------------
# Registry of shipped presets
# ---------------------------------------------------------------------------------------------

PRESET_FILES = ("cao2026.toml", "cao2026-paper.toml")
SCENARIOS: Registry[DelegationScenario] = Registry("scenario")


def _register_shipped_presets() -> None:
    folder = resources.files("market.delegation.data").joinpath("presets")
    for file_name in PRESET_FILES:
        with resources.as_file(folder.joinpath(file_name)) as path:
            SCENARIOS.register(scenario_from_toml(path))


_register_shipped_presets()


def get_scenario(name_or_path: str | Path) -> DelegationScenario:
    """A registered preset by name (``"cao2026"``, ``"cao2026-paper"``) or a scenario TOML file.

    Raises:
        UserInputError: an unknown name (listing the known ones and the TOML option) or any
            mistake in the file.
    """
    text = str(name_or_path)
    if text in SCENARIOS:
        return SCENARIOS.get(text)
    path = Path(text)
    if path.suffix.lower() == ".toml" or path.is_file():
        return scenario_from_toml(path)
    raise UserInputError(
        "scenario", f"one of {', '.join(SCENARIOS.names())} or a path to a .toml file", text
    )


__all__ = [
    "SCENARIOS",
    "DelegationScenario",
    "ProviderSpec",
    "get_scenario",
    "scenario_from_toml",
    "validate_scenario",
]
