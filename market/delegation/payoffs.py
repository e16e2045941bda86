"""The payoff table of the empirical game: every strategy profile's estimated utilities.

For a scenario, each provider's mean utility and the user's, for every profile of base
strategies (``6^K``, or a named subset), averaged over S replicate seeds with standard errors.
It is computed by the strategy sweep (:func:`market.delegation.runs.sweep`: runs of the
experiment kind ``delegation/profiles``) and kept on disk in an experiment store
(:mod:`market.core.store`; by default ``payoffs.db`` in the user's cache folder), where every
run is keyed by a hash of its full configuration (the scenario with its data file's size and
time stamp, T, eps, mechanism, the profile), its seed and the package version. A table whose
runs are stored is read back without computing; ``delegation sweep --store`` fills the same
store, so the metagame reuses a sweep's runs.

References:
    Cao et al. (2026), Section 6 (the 216-profile experiment).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from market.core.engine import Engine, engine_with
from market.core.errors import UserInputError
from market.core.pricing import Price
from market.core.providers import provider_index
from market.delegation.tables import PROFILE_SEPARATOR, profile_label

#: The default store's file name in the cache folder.
STORE_NAME = "payoffs.db"


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
        """Provider ``provider``'s mean utility at ``profile`` (providers numbered from 1)."""
        return float(self.provider_mean[self.index(profile), provider_index(provider, self.K)])

    def user_share(self, profile: Sequence[str]) -> float:
        """The user's mean utility at ``profile`` as a share of ``u_SB`` (NaN if undefined).

        Mechanism 1 aims at the second-best total (Cao et al. 2026, Section 3.2), so 1 means
        the user got what the mechanism promises; NaN when ``u_SB`` is 0 or not finite.
        """
        user = float(self.user_mean[self.index(profile)])
        share = user / self.u_sb if self.u_sb else math.nan
        return share if math.isfinite(share) else math.nan

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


# ---- the store ------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/llm-market/delegation`` (``~/.cache/...`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llm-market" / "delegation"


def store_in(folder, field: str = "cache") -> Path:
    """The store ``payoffs.db`` in ``folder``, which is created if missing.

    Raises:
        UserInputError: (naming ``field``) when the folder cannot be created.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserInputError(
            field, "a folder that exists or can be created", str(folder), note=str(error)
        ) from None
    return folder / STORE_NAME


def payoff_engine(engine: Engine, use_store: bool = True) -> Engine:
    """``engine`` keeping its runs where payoff tables are kept.

    Its own store, else :func:`default_store`; with ``use_store=False`` no store at all.
    """
    if not use_store:
        return replace(engine, store=None)
    return engine if engine.store is not None else replace(engine, store=default_store())


def default_store() -> Path:
    """The payoff tables' default store: ``payoffs.db`` in :func:`default_cache_dir`."""
    return store_in(default_cache_dir(), "store")


def payoff_table(
    preset="cao2026",
    T=None,
    eps=None,
    mechanism=None,
    seeds: int = 1,
    seed: int = 42,
    jobs: int | None = None,
    strategies: Sequence[str] | None = None,
    store: str | Path | None = None,
    use_store: bool = True,
    *,
    engine: Engine | None = None,
    priced: Price | None = None,
) -> tuple[PayoffTable, bool]:
    """The payoff table of a scenario: the strategy sweep's runs, kept in an experiment store.

    The runs are the sweep's ``delegation/profiles`` runs (:func:`market.delegation.runs.sweep`),
    each keyed by a hash of its full configuration, seed and the package version: a table
    whose runs are all in the store is read back without computing, a partly computed one
    resumes, and ``llm-market delegation sweep --store X`` fills the same store.

    Args:
        preset: preset name, TOML path or scenario.
        T: horizon override.
        eps: epsilon override.
        mechanism: mechanism override.
        seeds: replicate seeds (the sweep's rule: one seed is the root seed itself).
        seed: the root seed.
        jobs: shorthand for ``Engine(jobs=...)`` (worker processes; never changes the table).
        strategies: the base strategies to enumerate (default: the paper's six, Table 1).
        store: shorthand for ``Engine(store=...)`` (None: :func:`default_store`).
        use_store: False computes in memory and keeps nothing.
        engine: how and where runs are computed: see :class:`market.core.engine.Engine` (its
            store None: :func:`default_store`).
        priced: the request's price when the caller has made it already; None: priced by
            :func:`~market.delegation.runs.sweep` (a refusal names ``seeds``, ``T``, ``jobs``
            or ``strategies``).

    Returns:
        The table and whether every one of its runs came from the store.
    """
    from market.delegation.runs import sweep

    engine = payoff_engine(engine_with(engine, jobs=jobs, store=store), use_store)
    result = sweep(
        preset,
        T=T,
        eps=eps,
        mechanism=mechanism,
        seeds=seeds,
        seed=seed,
        strategies=strategies,
        engine=engine,
        priced=priced,
    )
    path = engine.store
    from_store = path is not None and result.timings["runs_computed"] == 0
    return table_from_sweep(result), from_store
