"""Named scenarios of the delegation game (Cao et al. 2026), and their TOML format.

A scenario (:class:`~market.delegation.spec.DelegationScenario`) fixes everything about a
delegation market except the providers' strategies and the seed. Two presets ship with the
package:

- ``cao2026``: the paper's experiment as the authors' public simulator ran it (Figures 2-4):
  mechanism ``second-best-artifact`` (``docs/delegation-variant.md``), ``eta = 0.9``, ``T = 10^6``,
  ``eps = 0.3``, the three providers of Sec. 6.1;
- ``cao2026-paper``: the same providers under Mechanism 1 as printed (``second-best``),
  ``eta = 1``.

Both are written in the TOML format below (``market/delegation/data/presets/*.toml``) and loaded
through the same code path as a user's own file (:func:`get_scenario` takes a preset name or a
path; :func:`scenario_from_data_file` reads an uploaded file from memory)::

    name = "cao2026"                    # required
    description = "..."                 # optional, default ""
    mechanism = "second-best-artifact"  # optional, default "second-best" (Mechanism 1)
    T = 1000000                         # optional, default 1000000
    eps = 0.3                           # optional, default 0.3; strictly between 0 and 1/2
    eta = 0.9                           # optional, default 1.0; provider-utility scale
    reward_bound = 1.0                  # optional, default 1.0; R
    # max_length = 38058                # optional; L, the longest output (tokens) a provider
    #                                   # may bill; default the records' largest length. Lengths
    #                                   # above L are capped. Mechanism 1 reserves 2R/(p_min L) B
    #                                   # queries: with cheap prices and short records, set L to
    #                                   # the models' output limit (e.g. 32768); see
    #                                   # `llm-market delegation plan`
    # data = "records.jsonl"            # optional; CSV, JSONL, Parquet or a folder of per-model
    #                                   # JSONL files (see
    #                                   # market.delegation.responses.load_records);
    #                                   # a relative path resolves against this file's folder
    #                                   # (from memory: the caller's resolve_data finds it);
    #                                   # default: the shipped NLGraph max-flow records
    # negative_tokens = "clip"          # optional; "clip", "drop" or "error"
    [prices]                            # optional; USD per 1M output tokens (cost c_m); models
    "gpt-5-high" = 10.0                 # not listed get their shipped list price
    [[providers]]                       # at least two
    name = "provider 1"
    models = ["gpt-5-high", "deepseek-r1", "gpt-5-medium"]

Unknown keys are an error that lists the allowed ones, as is a price for a model no provider
offers. Every mistake raises a :class:`~market.core.errors.UserInputError` naming the file and key
(for a file held in memory, the name it was given: never a server path); its
``without_values()`` leaves out whatever was read from the file.

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Sec. 6.1 (providers, prices, T, eps,
    L); ``docs/delegation-variant.md`` (the mechanisms the presets run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from market.core.datafiles import (
    DataFile,
    file_bytes,
    files_by_name,
    is_absolute_path,
    listing,
    toml_document,
    utf8_text,
)
from market.core.errors import UserInputError
from market.core.registry import Registry
from market.delegation.prices import PRICES
from market.delegation.spec import (
    ON_A_MENU,
    DelegationScenario,
    ProviderSpec,
    is_finite_number,
    validate_scenario,
)
from mechanisms.delegation.base import is_whole_number

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
#: What a missing or unreadable scenario file was expected to be (one message for both).
READABLE_TOML = "an existing .toml file (readable, UTF-8)"


def _key(
    table: Mapping[str, Any],
    key: str,
    where: str,
    kind: str,
    default: Any = None,
    *,
    shown_key: str | None = None,
) -> Any:
    """``table[key]`` checked to be of ``kind`` ("text", "integer", "number", ...).

    ``shown_key`` stands for ``key`` in messages without the file's values (for keys the file
    chose, such as model names under ``[prices]``).
    """
    if key not in table:
        return default
    value = table[key]
    checks = {
        "text": lambda v: isinstance(v, str),
        "integer": lambda v: is_whole_number(v) or (is_finite_number(v) and float(v).is_integer()),
        "number": is_finite_number,
    }
    if not checks[kind](value):
        raise UserInputError(
            f"{where}{key}",
            f"a TOML {kind}",
            value,
            field_without_values=f"{where}{shown_key or key}",
        )
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
            field_without_values=f"{where}<unknown key>",
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
    given = {str(m): _key(raw, m, f"{where}prices.", "number", shown_key="<model>") for m in raw}
    unused = [m for m in given if m not in models]
    if unused:
        raise UserInputError(
            f"{where}prices",
            f"prices only for models on some provider's menu ({listing(models)})",
            listing(unused),
            expected_without_values=ON_A_MENU,
        )
    defaults = {m: PRICES[m] for m in models if m in PRICES}
    return defaults | given  # a model with neither is reported by validate_scenario


def _toml_table(label: str, content: bytes) -> dict[str, Any]:
    """The TOML document in ``content``; ``label`` names the file in messages."""
    return toml_document(utf8_text(content, "scenario", READABLE_TOML, label, bom=False), label)


def _scenario_from_bytes(
    label: str, content: bytes, data_source: Callable[[str, str], str | DataFile]
) -> DelegationScenario:
    """Parse and validate a scenario TOML; ``data_source(text, field)`` finds its records."""
    where = f"{label}: "
    raw = _toml_table(label, content)
    _check_keys(raw, TOP_LEVEL_KEYS, where)
    if "name" not in raw:
        raise UserInputError(f"{where}name", "a scenario name (required key)")
    if "providers" not in raw:
        raise UserInputError(f"{where}providers", "[[providers]] tables (required)")
    providers = _providers_from_toml(raw["providers"], where)
    models = tuple(dict.fromkeys(m for p in providers for m in p.models))
    data = _key(raw, "data", where, "text")
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
        data=None if data is None else data_source(data, f"{where}data"),
        negative_tokens=_key(raw, "negative_tokens", where, "text", default="clip"),
    )
    validate_scenario(scenario, where)
    return scenario


def scenario_from_toml(path: str | Path) -> DelegationScenario:
    """Read and validate a scenario from a TOML file (format in the module docstring).

    A relative ``data`` path resolves against the file's folder. A missing file and an
    unreadable one (no permission, a folder, not UTF-8) raise the same UserInputError.
    """
    path = Path(path)
    content = file_bytes(path, "scenario", READABLE_TOML)

    def records_path(text: str, field: str) -> str:
        return text if Path(text).is_absolute() else str((path.parent / text).resolve())

    return _scenario_from_bytes(str(path), content, records_path)


def scenario_from_data_file(
    file: DataFile, resolve_data: Callable[[str], DataFile] | None = None
) -> DelegationScenario:
    """Parse and validate a scenario TOML held in memory, never touching the filesystem.

    Args:
        file: The TOML file (e.g. an upload); messages name it by ``file.name``.
        resolve_data: Maps the TOML's ``data = "..."`` to the records file (an upload of that
            name, a file of an allow-listed folder: see
            :func:`~market.core.datafiles.files_by_name`); it raises a UserInputError when
            there is none. None: no records file can be given (``data`` is then an error).

    Returns:
        The scenario; its ``data`` is the records :class:`~market.core.datafiles.DataFile`
        (or None for the shipped records).

    Raises:
        UserInputError: Any mistake in either file, or an absolute ``data`` path.
    """
    resolve = resolve_data or files_by_name(())

    def records_in_memory(text: str, field: str) -> DataFile:
        if is_absolute_path(text):
            raise UserInputError(
                field, "the name of a records file (not a path on the server)", text
            )
        return resolve(text)

    return _scenario_from_bytes(file.name, file.content, records_in_memory)


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
    "scenario_from_data_file",
    "scenario_from_toml",
    "validate_scenario",
]
