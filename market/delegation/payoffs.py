"""The payoff table of the empirical game: every strategy profile's estimated utilities.

For a scenario, each provider's mean utility and the user's, for every profile of base
strategies (``6^K``, or a named subset), averaged over S replicate seeds with standard errors.
It is computed by the strategy sweep (:func:`market.delegation.runs.sweep`: one engine, shared
query ids per seed) and cached on disk, one small JSON file per configuration, named by a hash
of everything that determines it (scenario with its data file's size and time stamp, T, eps,
mechanism, strategies, seeds and the package version) and written atomically. The cache sits
behind one function, :func:`payoff_table`, so a general experiment store can replace it.

References:
    Cao et al. (2026), Section 6 (the 216-profile experiment); ``shared/specs/delegation.md``
    section 5.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from market.core import output
from market.core.experiments import package_version
from market.delegation.experiments import scenario_fields
from market.delegation.model import resolve_scenario
from market.delegation.tables import PROFILE_SEPARATOR, profile_label

CACHE_FORMAT = 1


@dataclass(frozen=True)
class PayoffTable:
    """Estimated utilities of every strategy profile (rows in :attr:`profiles` order).

    Attributes:
        settings: what was run (scenario, mechanism, T, eps, seed, seeds, providers, ...).
        strategies: the base strategies each provider may play, in registry order.
        providers: provider names, provider 1 first.
        profiles: every profile, a strategy name per provider (provider 1 varying slowest).
        provider_mean: ``(profiles, K)`` mean provider utility over the seeds.
        provider_se: ``(profiles, K)`` its standard error (0 with one seed).
        user_mean: ``(profiles,)`` the user's mean total utility.
        user_se: ``(profiles,)`` its standard error.
        u_sb: the second-best benchmark ``u_SB`` (Section 3.2).
        u_fb: the first-best benchmark ``u_FB``.
    """

    settings: dict
    strategies: tuple[str, ...]
    providers: tuple[str, ...]
    profiles: tuple[tuple[str, ...], ...]
    provider_mean: np.ndarray
    provider_se: np.ndarray
    user_mean: np.ndarray
    user_se: np.ndarray
    u_sb: float
    u_fb: float

    @property
    def K(self) -> int:
        """Number of providers."""
        return len(self.providers)

    def index(self, profile: Sequence[str]) -> int:
        """Row of ``profile`` (mixed radix over :attr:`strategies`, provider 1 slowest)."""
        position = {name: i for i, name in enumerate(self.strategies)}
        row = 0
        for name in profile:
            row = row * len(self.strategies) + position[name]
        return row

    def utility(self, profile: Sequence[str], provider: int) -> float:
        """Provider ``provider``'s (0-based) mean utility at ``profile``."""
        return float(self.provider_mean[self.index(profile), provider])

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per profile and provider, with the user's utility repeated."""
        rows = [
            (
                profile_label(profile),
                k + 1,
                profile[k],
                float(self.provider_mean[i, k]),
                float(self.provider_se[i, k]),
                float(self.user_mean[i]),
                float(self.user_se[i]),
            )
            for i, profile in enumerate(self.profiles)
            for k in range(self.K)
        ]
        columns = ["profile", "provider", "strategy", "provider_utility", "provider_utility_se"]
        return pd.DataFrame(rows, columns=[*columns, "user_utility", "user_utility_se"])


def standard_error(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Standard error of the mean along ``axis`` (sample SD / sqrt(n)); 0 for one value."""
    n = values.shape[axis]
    if n < 2:
        return np.zeros(np.delete(values.shape, axis))
    return values.std(axis=axis, ddof=1) / np.sqrt(n)


def table_from_sweep(sweep_result) -> PayoffTable:
    """The payoff table of a finished :class:`~market.delegation.runs.SweepResult`."""
    s, frame = sweep_result.settings, sweep_result.profiles
    strategies = tuple(s["strategies"])
    K = len(s["providers"])
    seeds = list(s["replicate_seeds"])
    labels = list(dict.fromkeys(frame["profile"]))
    order = frame.assign(
        _p=frame["profile"].map({label: i for i, label in enumerate(labels)}),
        _s=frame["seed"].map({seed: i for i, seed in enumerate(seeds)}),
    ).sort_values(["_p", "_s", "provider"], kind="stable")
    shape = (len(labels), len(seeds), K)
    provider = order["provider_utility"].to_numpy(float).reshape(shape)
    user = order["user_utility"].to_numpy(float).reshape(shape).sum(axis=2)
    return PayoffTable(
        settings=dict(s),
        strategies=strategies,
        providers=tuple(s["providers"]),
        profiles=tuple(tuple(label.split(PROFILE_SEPARATOR)) for label in labels),
        provider_mean=provider.mean(axis=1),
        provider_se=standard_error(provider, axis=1),
        user_mean=user.mean(axis=1),
        user_se=standard_error(user, axis=1),
        u_sb=float(s["u_sb"]),
        u_fb=float(s["u_fb"]),
    )


# ---- the cache ------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/llm-market/delegation`` (``~/.cache/...`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llm-market" / "delegation"


def configuration(scenario, strategies, seeds, seed) -> dict:
    """Everything that determines a payoff table, as JSON-ready data."""
    fields = scenario_fields(scenario)
    return {
        "format": CACHE_FORMAT,
        "version": package_version(),
        "scenario": fields,
        "strategies": list(strategies) if strategies is not None else None,
        "seeds": int(seeds),
        "seed": int(seed),
    }


def cache_path(cache_dir: Path, config: dict) -> Path:
    """The cache file of ``config``: a hash of its canonical JSON in the name."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:20]
    return Path(cache_dir) / f"payoffs-{config['scenario']['name']}-{digest}.json"


def table_to_json(table: PayoffTable, config: dict) -> bytes:
    """A payoff table and its configuration as JSON bytes (floats in full precision)."""
    return output.json_bytes(
        {
            "configuration": config,
            "settings": table.settings,
            "strategies": list(table.strategies),
            "providers": list(table.providers),
            "profiles": [list(p) for p in table.profiles],
            "provider_mean": table.provider_mean.tolist(),
            "provider_se": table.provider_se.tolist(),
            "user_mean": table.user_mean.tolist(),
            "user_se": table.user_se.tolist(),
            "u_sb": table.u_sb,
            "u_fb": table.u_fb,
        }
    )


def table_from_json(text: bytes | str, config: dict) -> PayoffTable | None:
    """The table stored in a cache file, or None when it is unreadable or for another config."""
    try:
        data = json.loads(text)
        if data["configuration"] != config:
            return None
        return PayoffTable(
            settings=data["settings"],
            strategies=tuple(data["strategies"]),
            providers=tuple(data["providers"]),
            profiles=tuple(tuple(p) for p in data["profiles"]),
            provider_mean=np.array(data["provider_mean"], dtype=float),
            provider_se=np.array(data["provider_se"], dtype=float),
            user_mean=np.array(data["user_mean"], dtype=float),
            user_se=np.array(data["user_se"], dtype=float),
            u_sb=float(data["u_sb"]),
            u_fb=float(data["u_fb"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def payoff_table(
    preset="cao2026",
    T=None,
    eps=None,
    mechanism=None,
    seeds: int = 1,
    seed: int = 42,
    jobs: int = 1,
    strategies: Sequence[str] | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: bool = False,
    engine: dict | None = None,
) -> tuple[PayoffTable, bool]:
    """The payoff table of a scenario, from the cache when it holds this configuration.

    Args:
        preset: preset name, TOML path or scenario.
        T: horizon override.
        eps: epsilon override.
        mechanism: mechanism override.
        seeds: replicate seeds (the sweep's rule: one seed is the root seed itself).
        seed: the root seed (an int: a cached table must be reproducible).
        jobs: worker processes (never changes the table).
        strategies: the base strategies to enumerate (default: all).
        cache_dir: where cache files live (default :func:`default_cache_dir`).
        use_cache: False computes afresh and writes nothing.
        progress: show a progress bar while simulating.
        engine: the experiment engine's keywords for the sweep (``store``, ``executor``,
            ``scheduler``, ``resume_hint``; see :func:`market.delegation.runs.sweep`).

    Returns:
        The table and whether it came from the cache.
    """
    from market.delegation.runs import sweep

    scenario = resolve_scenario(preset, T, eps, mechanism)
    config = configuration(scenario, strategies, seeds, seed)
    path = cache_path(Path(cache_dir) if cache_dir else default_cache_dir(), config)
    if use_cache and path.is_file():
        cached = table_from_json(path.read_bytes(), config)
        if cached is not None:
            return cached, True
    result = sweep(
        scenario,
        seeds=seeds,
        seed=seed,
        jobs=jobs,
        strategies=strategies,
        progress=progress,
        **(engine or {}),
    )
    table = table_from_sweep(result)
    if use_cache:
        store_table(table, config, path)
    return table, False


def store_table(table: PayoffTable, config: dict, path: Path) -> None:
    """Write a table into the cache atomically (a UserInputError if the folder is unusable)."""
    output.write_outputs(output.output_dir(path.parent), {path.name: table_to_json(table, config)})


def store_sweep(sweep_result, preset, strategies, cache_dir=None) -> Path:
    """Put a finished sweep's table into the cache, so the metagame reuses it; its path."""
    s = sweep_result.settings
    scenario = resolve_scenario(preset, s["T"], s["eps"], s["mechanism"])
    config = configuration(scenario, strategies, s["seeds"], s["seed"])
    path = cache_path(Path(cache_dir) if cache_dir else default_cache_dir(), config)
    store_table(table_from_sweep(sweep_result), config, path)
    return path
